"""申请开店: the agreement, the fields the platform asks for, the licence photo."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, RadioField, SelectChoice, StringField, TextAreaField
from wtforms.validators import Length, Optional, Regexp

from app.stores.applications import FIELD_LENGTHS, PHONE_PATTERN
from app.stores.models import APPLICATION_FIELDS, KIND_LABELS, FieldRule
from app.web.i18n import lazy_gettext as _l


def _strip(value):
    return (value or "").strip()


def _too_long(name: str):
    return Length(
        max=FIELD_LENGTHS[name],
        message=_l(
            "%(field)s不能超过 %(max)s 个字",
            field=_l(APPLICATION_FIELDS[name]),
            max=FIELD_LENGTHS[name],
        ),
    )


class ApplyForm(FlaskForm):
    """Every field the platform may ask for; `rules` (from the settings) says which are shown
    and which must be filled. Whether the licence is a real photo is the service's rule."""

    agree = BooleanField(_l("我已阅读并同意《商家入驻协议》"))
    shop_name = StringField(_l("店铺名称"), filters=[_strip], validators=[_too_long("shop_name")])
    category = StringField(_l("经营类目"), filters=[_strip], validators=[_too_long("category")])
    kind = RadioField(
        _l("店铺类型"),
        choices=[SelectChoice(kind, _l(label)) for kind, label in KIND_LABELS.items()],
        validate_choice=False,
    )
    contact = StringField(_l("联系人"), filters=[_strip], validators=[_too_long("contact")])
    phone = StringField(
        _l("联系电话"),
        filters=[_strip],
        validators=[
            Optional(),
            _too_long("phone"),
            Regexp(PHONE_PATTERN, message=_l("请填写正确的联系电话")),
        ],
    )
    address = StringField(_l("店铺地址"), filters=[_strip], validators=[_too_long("address")])
    licence = FileField(_l("营业执照"))
    intro = TextAreaField(_l("店铺简介"), filters=[_strip], validators=[_too_long("intro")])

    def __init__(self, *args, rules: dict[str, str], has_licence: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.rules = rules
        self.has_licence = has_licence  # a corrected application may keep its licence photo

    def asked(self) -> list:
        """The fields the platform asks for, in form order."""
        return [self[name] for name, rule in self.rules.items() if rule != FieldRule.OFF]

    def required(self, name: str) -> bool:
        return self.rules.get(name) == FieldRule.REQUIRED

    def values(self) -> dict[str, str]:
        return {field.name: field.data or "" for field in self.asked() if field.name != "licence"}

    def licence_file(self):
        file = self.licence.data
        if self.rules.get("licence") == FieldRule.OFF or not getattr(file, "filename", ""):
            return None
        return file.filename, file.stream

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if not self.agree.data:
            self.agree.errors = [*self.agree.errors, _l("请先阅读并同意《商家入驻协议》")]
            ok = False
        for field in self.asked():
            if not self.required(field.name):
                continue
            if field.name == "licence":
                missing = self.licence_file() is None and not self.has_licence
                message = _l("请上传营业执照照片")
            elif field.name == "kind":
                missing = field.data not in KIND_LABELS
                message = _l("请选择店铺类型")
            else:
                missing = not field.data
                message = _l("请填写%(field)s", field=field.label.text)
            if missing:
                field.errors = [*field.errors, message]
                ok = False
        kind = self.kind.data
        if self.rules.get("kind") != FieldRule.OFF and kind and kind not in KIND_LABELS:
            self.kind.errors = [*self.kind.errors, _l("请选择店铺类型")]
            ok = False
        return ok
