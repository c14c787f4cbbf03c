"""The store's profile form (店铺设置). Shapes and lengths are checked here for the person;
every rule is checked again by app/stores/profile.py, which owns them."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, MultipleFileField
from wtforms import (
    BooleanField,
    HiddenField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.validators import DataRequired, Length

from app.money import format_fen
from app.stores.models import Store
from app.stores.profile import ALL_DAY, MAX_ANNOUNCEMENT

PROFILE_FIELDS_SENT = (
    "name",
    "category",
    "intro",
    "all_day",
    "opens_at",
    "closes_at",
    "avg_spend",
    "address",
    "lat",
    "lng",
    "service_phone",
    "service_wechat",
    "announcement",
    "return_address",
    "after_sales_enabled",
    "remove_logo",
)


def _strip(value: str | None) -> str:
    return (value or "").strip()


class ProfileForm(FlaskForm):
    """Field names follow the Store columns, so the form loads straight from the store."""

    name = StringField(
        _l("店铺名称"),
        filters=[_strip],
        validators=[
            DataRequired(_l("请填写店铺名称")),
            Length(max=100, message=_l("店铺名称不能超过 100 个字")),
        ],
    )
    category = StringField(_l("经营类目"), filters=[_strip])
    intro = TextAreaField(_l("店铺简介"), filters=[_strip])
    all_day = BooleanField(_l("全天营业（24 小时）"))
    opens_at = StringField(_l("开门时间"), filters=[_strip])
    closes_at = StringField(_l("打烊时间"), filters=[_strip])
    avg_spend = StringField(_l("人均消费（元）"), filters=[_strip])
    address = StringField(_l("店铺地址"), filters=[_strip])
    lat = HiddenField()
    lng = HiddenField()
    service_phone = StringField(_l("客服电话"), filters=[_strip])
    service_wechat = StringField(_l("客服微信"), filters=[_strip])
    # maxlength in the page helps the person; this refuses (never truncates) what gets past it
    announcement = TextAreaField(
        _l("店铺公告"),
        filters=[_strip],
        validators=[Length(max=MAX_ANNOUNCEMENT, message=_l("公告最多 100 个字"))],
    )
    return_address = StringField(_l("退货地址"), filters=[_strip])
    after_sales_enabled = BooleanField(_l("提供售后服务（退款 / 退货）"))
    logo = FileField(_l("更换 Logo"))
    remove_logo = BooleanField(_l("删除 Logo"))
    images = MultipleFileField(_l("添加图片"))
    remove_images = SelectMultipleField(
        _l("删除图片"), choices=[], validate_choice=False, widget=widgets.ListWidget()
    )

    @classmethod
    def of(cls, store: Store, **kwargs) -> ProfileForm:
        """The form for a store: as saved on GET, as sent on POST."""
        return cls(
            obj=store,
            avg_spend=format_fen(store.avg_spend_fen, symbol="") if store.avg_spend_fen else "",
            all_day=(store.opens_at, store.closes_at) == ALL_DAY,
            **kwargs,
        )

    def fields_sent(self) -> dict:
        """What the profile service reads."""
        return {name: self[name].data for name in PROFILE_FIELDS_SENT}


class PaymentSettingsForm(FlaskForm):
    """收款与配送: the choices are set per store (what its kind may offer); the service checks
    every value again."""

    payment_methods = SelectMultipleField(
        _l("收款方式"), choices=[], validate_choice=False, widget=widgets.ListWidget()
    )
    delivery_options = SelectMultipleField(
        _l("配送方式"), choices=[], validate_choice=False, widget=widgets.ListWidget()
    )
    transfer_payee = TextAreaField(
        _l("转账收款信息"),
        filters=[_strip],
        validators=[Length(max=300, message=_l("收款信息不能超过 300 个字"))],
    )
