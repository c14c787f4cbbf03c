"""The store's profile form (店铺设置). Shapes and lengths are checked here for the person;
every rule is checked again by app/stores/profile.py, which owns them (the same-city delivery
rules: app/stores/delivery_settings.py)."""

from __future__ import annotations

import re
from dataclasses import replace

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, MultipleFileField
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    ValidationError,
    widgets,
)
from wtforms.validators import DataRequired, Length

from app.money import format_fen, parse_yuan
from app.stores.delivery_settings import MAX_PREP_MINUTES, MAX_TIERS, DeliveryRules, km_text
from app.stores.models import Store
from app.stores.profile import ALL_DAY, MAX_ANNOUNCEMENT
from app.web.i18n import lazy_gettext as _l

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


# ---- 同城配送规则 ------------------------------------------------------------------------------

TIER_ROWS = 3  # the page always offers at least this many tier rows
FEE_FIELDS = ("radius_km", "tiers", "delivery_fee", "beyond_km_fee")
_KM = re.compile(r"^(\d{1,3})(?:\.(\d))?$")
_MINUTES = re.compile(r"^\d{1,4}$")
BAD_KM = _l("请填写公里数，最多一位小数，如 5 或 3.5")
BAD_AMOUNT = _l("请填写金额（元），最多两位小数，如 3 或 2.50")


def km_metres(text: str) -> int:
    """Kilometres as typed ("3.5") into metres (3500), without floats; ValueError otherwise."""
    match = _KM.match(text.strip())
    if not match:
        raise ValueError(text)
    return int(match[1]) * 1000 + int(match[2] or 0) * 100


def _amount(text: str | None) -> int:
    """Yuan (a sign allowed: the service says why a negative fee cannot be) into fen; blank is 0."""
    return parse_yuan(text) if (text or "").strip() else 0


def _yuan_text(fen: int) -> str:
    return format_fen(fen, symbol="").replace(",", "")


class TierRow(Form):
    """One step of the fee: up to this many km, this fee (both blank: an unused row)."""

    km = StringField(_l("距离（公里）"), filters=[_strip])
    fee = StringField(_l("配送费（元）"), filters=[_strip])


class DeliveryRulesForm(FlaskForm):
    """同城配送规则 in the person's units (km with one decimal, yuan with two); `rules()` gives
    the store's units (metres, fen) for app/stores/delivery_settings.py, which checks again."""

    radius_km = StringField(
        _l("配送范围（公里）"), filters=[_strip], validators=[Length(max=8, message=BAD_KM)]
    )
    tiers = FieldList(FormField(TierRow), min_entries=TIER_ROWS, max_entries=MAX_TIERS)
    delivery_fee = StringField(
        _l("不分距离的配送费（元）"),
        filters=[_strip],
        validators=[Length(max=12, message=BAD_AMOUNT)],
    )
    beyond_km_fee = StringField(
        _l("超出部分每公里加收（元）"),
        filters=[_strip],
        validators=[Length(max=12, message=BAD_AMOUNT)],
    )
    min_order = StringField(
        _l("起送价（元）"), filters=[_strip], validators=[Length(max=12, message=BAD_AMOUNT)]
    )
    prep_minutes = StringField(_l("备货时间（分钟）"), filters=[_strip])
    delivery_slots = BooleanField(_l("支持预约配送时段"))

    @classmethod
    def of(cls, rules: DeliveryRules) -> DeliveryRulesForm:
        """The form showing saved rules, with a blank tier row to add one more."""
        tiers = [
            {"km": km_text(limit), "fee": _yuan_text(fee)}
            for limit, fee in rules.delivery_fee_tiers
        ]
        form = cls(
            formdata=None,
            radius_km=km_text(rules.delivery_radius_m),
            tiers=tiers,
            delivery_fee=_yuan_text(rules.delivery_fee_fen),
            beyond_km_fee=_yuan_text(rules.delivery_beyond_km_fen),
            min_order=_yuan_text(rules.min_order_fen),
            prep_minutes=str(rules.prep_minutes),
            delivery_slots=rules.delivery_slots,
        )
        form.pad_tiers(len(tiers) + 1)
        return form

    def pad_tiers(self, rows: int = TIER_ROWS) -> None:
        while len(self.tiers) < min(max(rows, TIER_ROWS), MAX_TIERS):
            self.tiers.append_entry()

    def validate_radius_km(self, field) -> None:
        if field.data:
            try:
                km_metres(field.data)
            except ValueError:
                raise ValidationError(
                    _l("配送范围请填写公里数，最多一位小数，如 5 或 3.5；不限请留空")
                ) from None

    def validate_tiers(self, field) -> None:
        for n, row in enumerate(field.entries, start=1):
            km, fee = row.form.km.data, row.form.fee.data
            if not km and not fee:
                continue
            if not km or not fee:
                raise ValidationError(_l("第 %(n)s 档请同时填写距离和配送费", n=n))
            try:
                km_metres(km)
            except ValueError:
                raise ValidationError(
                    _l("第 %(n)s 档的距离请填写公里数，最多一位小数，如 3 或 2.5", n=n)
                ) from None
            try:
                parse_yuan(fee)
            except ValueError:
                raise ValidationError(
                    _l("第 %(n)s 档的配送费请填写金额（元），最多两位小数", n=n)
                ) from None

    def _validate_amount(self, field) -> None:
        try:
            _amount(field.data)
        except ValueError:
            raise ValidationError(BAD_AMOUNT) from None

    validate_delivery_fee = validate_beyond_km_fee = validate_min_order = _validate_amount

    def validate_prep_minutes(self, field) -> None:
        if not _MINUTES.match(field.data or "") or int(field.data) > MAX_PREP_MINUTES:
            raise ValidationError(_l("备货时间须在 0 到 240 分钟之间"))

    def rules(self) -> DeliveryRules:
        """What was sent, in metres and fen (call after validate)."""
        return replace(
            self.fee_rules(),
            min_order_fen=_amount(self.min_order.data),
            prep_minutes=int(self.prep_minutes.data),
            delivery_slots=bool(self.delivery_slots.data),
        )

    def fee_rules(self) -> DeliveryRules | None:
        """Only the part that decides the fee (for the examples while the person is typing);
        None when that part cannot be read (call after validate)."""
        if any(self[name].errors for name in FEE_FIELDS):
            return None
        tiers = [
            [km_metres(row.form.km.data), parse_yuan(row.form.fee.data)]
            for row in self.tiers.entries
            if row.form.km.data or row.form.fee.data
        ]
        return DeliveryRules(
            delivery_radius_m=km_metres(self.radius_km.data) if self.radius_km.data else None,
            delivery_fee_tiers=tiers,
            delivery_fee_fen=_amount(self.delivery_fee.data),
            delivery_beyond_km_fen=_amount(self.beyond_km_fee.data),
        )
