"""The coupon form (the store back office and the platform share it: the platform's pages import
it from here), the list filters, the stop confirmation and the form to give a coupon by phone."""

from __future__ import annotations

from datetime import UTC, datetime

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    Form,
    IntegerField,
    RadioField,
    SearchField,
    SelectChoice,
    SelectField,
    StringField,
    ValidationError,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp

from app.clock import SHANGHAI, to_local
from app.money import format_fen, parse_yuan
from app.promotions.coupons import CouponFields
from app.promotions.models import Coupon
from app.web.i18n import lazy_gettext as _l

MAX_COUPON_FEN = 10_000_000  # ¥100,000: a coupon above that is a typo
MAX_DAYS = 3650
MAX_QUANTITY = 10_000_000
MAX_LIMIT = 100
PHONE = r"^1\d{10}$"


def _strip(value: str | None) -> str:
    return (value or "").strip()


def _yuan(field) -> int:
    try:
        fen = parse_yuan(field.data or "")
    except ValueError:
        raise ValidationError(_l("请填写金额（元），最多两位小数，如 10.50")) from None
    if fen < 0 or fen > MAX_COUPON_FEN:
        raise ValidationError(_l("金额须在 0 到 100,000 元之间"))
    return fen


def _local(text: str) -> datetime | None:
    """A datetime-local value in Shanghai time → naive UTC (None if not a time)."""
    try:
        local = datetime.fromisoformat(text)
    except ValueError:
        return None
    if local.tzinfo is None:
        local = local.replace(tzinfo=SHANGHAI)
    if not 2000 <= local.year <= 2100:
        return None
    return local.astimezone(UTC).replace(tzinfo=None)


def _local_text(value: datetime | None) -> str:
    return f"{to_local(value):%Y-%m-%dT%H:%M}" if value else ""


class CouponForm(FlaskForm):
    name = StringField(
        _l("名称"),
        filters=[_strip],
        validators=[DataRequired(_l("请填写名称")), Length(max=50, message=_l("最多 50 字"))],
    )
    threshold = StringField(
        _l("使用门槛（元，0 为无门槛）"), filters=[_strip], default="0", validators=[Length(max=12)]
    )
    discount = StringField(
        _l("优惠金额（元）"),
        filters=[_strip],
        validators=[DataRequired(_l("请填写优惠金额")), Length(max=12)],
    )
    validity = RadioField(
        _l("有效期"),
        choices=[
            SelectChoice("days", _l("领取后 N 天内有效")),
            SelectChoice("window", _l("固定时间段")),
        ],
        default="days",
        invalid_choice_message=_l("请选择有效期类型"),
    )
    valid_days = IntegerField(
        _l("有效天数"),
        validators=[
            Optional(),
            NumberRange(min=1, max=MAX_DAYS, message=_l("天数须在 %(min)s 到 %(max)s 之间")),
        ],
    )
    valid_from = StringField(_l("开始时间"), filters=[_strip], validators=[Length(max=32)])
    valid_until = StringField(_l("结束时间"), filters=[_strip], validators=[Length(max=32)])
    total_quantity = IntegerField(
        _l("发放总量（空为不限）"),
        validators=[
            Optional(),
            NumberRange(min=1, max=MAX_QUANTITY, message=_l("数量须在 %(min)s 到 %(max)s 之间")),
        ],
    )
    per_person_limit = IntegerField(
        _l("每人限领"),
        default=1,
        validators=[
            InputRequired(_l("请填写每人限领张数")),
            NumberRange(min=1, max=MAX_LIMIT, message=_l("数量须在 %(min)s 到 %(max)s 之间")),
        ],
    )
    in_centre = BooleanField(_l("在领券中心展示"), default=True)

    def validate_threshold(self, field) -> None:
        _yuan(field)

    def validate_discount(self, field) -> None:
        if _yuan(field) <= 0:
            raise ValidationError(_l("优惠金额须大于 0"))

    def validate_validity(self, field) -> None:
        if field.data == "days" and not self.valid_days.data and not self.valid_days.errors:
            self.valid_days.errors = [*self.valid_days.errors, _l("请填写有效天数")]
            raise ValidationError(_l("请填写有效天数"))

    def validate_valid_from(self, field) -> None:
        if self.validity.data == "window" and field.data and _local(field.data) is None:
            raise ValidationError(_l("请填写正确的时间"))

    def validate_valid_until(self, field) -> None:
        if self.validity.data != "window":
            return
        if _local(field.data or "") is None:
            raise ValidationError(_l("请填写结束时间"))

    def fields(self) -> CouponFields:
        window = self.validity.data == "window"
        return CouponFields(
            name=self.name.data,
            threshold_fen=parse_yuan(self.threshold.data or "0"),
            discount_fen=parse_yuan(self.discount.data),
            valid_from=_local(self.valid_from.data or "") if window else None,
            valid_until=_local(self.valid_until.data or "") if window else None,
            valid_days=None if window else self.valid_days.data,
            total_quantity=self.total_quantity.data or None,
            per_person_limit=self.per_person_limit.data,
            in_centre=bool(self.in_centre.data),
        )


def coupon_form(coupon: Coupon | None = None) -> CouponForm:
    form = CouponForm()
    if coupon is not None and not form.is_submitted():
        form.name.data = coupon.name
        form.threshold.data = format_fen(coupon.threshold_fen, symbol="").replace(",", "")
        form.discount.data = format_fen(coupon.discount_fen, symbol="").replace(",", "")
        form.validity.data = "window" if coupon.valid_until else "days"
        form.valid_days.data = coupon.valid_days
        form.valid_from.data = _local_text(coupon.valid_from)
        form.valid_until.data = _local_text(coupon.valid_until)
        form.total_quantity.data = coupon.total_quantity
        form.per_person_limit.data = coupon.per_person_limit
        form.in_centre.data = coupon.in_centre
    return form


class GiveCouponForm(FlaskForm):
    phone = StringField(
        _l("手机号"),
        filters=[_strip],
        validators=[
            DataRequired(_l("请填写手机号")),
            Regexp(PHONE, message=_l("手机号格式不正确")),
        ],
    )


class StopCouponForm(FlaskForm):
    confirmed = BooleanField(
        _l("确认停止发放"), validators=[DataRequired(_l("请勾选确认后再停止发放"))]
    )


STATES = {"": _l("全部"), "active": _l("发放中"), "stopped": _l("已停止")}


class CouponFilterForm(Form):
    """The list filters, read from the query string (a GET form: no CSRF)."""

    state = SelectField(
        _l("状态"), choices=[SelectChoice(k, v) for k, v in STATES.items()], validate_choice=False
    )
    q = SearchField(_l("名称"), filters=[_strip], validators=[Length(max=50)])

    def values(self) -> dict[str, str]:
        """The valid filters (also the query-string arguments the pager carries)."""
        issuer = getattr(self, "issuer", None)
        pairs = (
            ("issuer", issuer.data if issuer is not None and issuer.data in ISSUERS else ""),
            ("state", self.state.data if self.state.data in STATES else ""),
            ("q", self.q.data if self.q.data and not self.q.errors else ""),
        )
        return {k: v for k, v in pairs if v}


ISSUERS = {"": _l("全部"), "platform": _l("平台券"), "store": _l("店铺券")}
