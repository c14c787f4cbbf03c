"""Forms of the member centre: the wholesale profile (完善资料)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import StringField
from wtforms.validators import DataRequired, Length, Regexp

from app.accounts.members import (
    CHOOSE_LICENCE_PHOTO,
    CHOOSE_SHOP_PHOTO,
    CONTACT_PHONE,
    PROFILE_MAX,
    ProfileFields,
)
from app.web.i18n import lazy_gettext as _l
from app.web.order_view import render_message


def _strip(value: str | None) -> str:
    return (value or "").strip()


def _text(label, name: str, message):
    return StringField(
        label,
        filters=[_strip],
        validators=[
            DataRequired(message),
            Length(max=PROFILE_MAX[name], message=_l("最多 %(max)s 字")),
        ],
    )


class ProfileForm(FlaskForm):
    shop_name = _text(_l("店铺名称"), "shop_name", _l("请填写店铺名称"))
    contact_name = _text(_l("联系人"), "contact_name", _l("请填写联系人"))
    contact_phone = StringField(
        _l("联系电话"),
        filters=[_strip],
        validators=[
            DataRequired(_l("请填写联系电话")),
            Regexp(
                CONTACT_PHONE.pattern,
                message=_l("请填写正确的联系电话（手机号或带区号的座机号）"),
            ),
        ],
    )
    wechat = _text(_l("微信号"), "wechat", _l("请填写微信号"))
    address = _text(_l("店铺地址"), "address", _l("请填写店铺地址"))
    # Whether a photo is needed depends on what is on file already, and whether the file is a
    # real image is submit_profile's rule: the service says so.
    shop_photo = FileField(_l("店门照片"))
    licence_photo = FileField(_l("营业执照"))

    def photos_chosen(self, member) -> bool:
        """Each photo not on file yet must come with this submit: said at its field together
        with the other fields' errors, not one round later."""
        for field, on_file, message in (
            (self.shop_photo, member.shop_photo_key, CHOOSE_SHOP_PHOTO),
            (self.licence_photo, member.licence_photo_key, CHOOSE_LICENCE_PHOTO),
        ):
            if not on_file and self.upload(field) is None:
                field.errors = [*field.errors, render_message(message())]
        return not (self.shop_photo.errors or self.licence_photo.errors)

    def fields(self) -> ProfileFields:
        return ProfileFields(
            shop_name=self.shop_name.data,
            wechat=self.wechat.data,
            contact_name=self.contact_name.data,
            contact_phone=self.contact_phone.data,
            address=self.address.data,
        )

    @staticmethod
    def upload(field) -> tuple[str, object] | None:
        data = field.data
        if data is None or not getattr(data, "filename", ""):
            return None
        return data.filename, data.stream
