"""The buyer's after-sales forms: the request (type, items and quantities, reason, words,
photos), the return's tracking number, withdrawing a request."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import BooleanField, RadioField, SelectChoice, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length

from app.errors import InvalidInput
from app.i18n_markers import N_
from app.messages import define
from app.ordering.aftersale_states import KIND_LABELS, REASONS
from app.ordering.aftersales import MAX_CARRIER, MAX_DESCRIPTION, MAX_TRACKING
from app.ordering.models import Order
from app.web.i18n import lazy_gettext as _l

QUANTITY_NOT_A_NUMBER = define("aftersale_quantity_nan", N_("「%(product)s」的数量请填写整数"))
MAX_QUANTITY_DIGITS = 6


def _strip(value: str | None) -> str:
    return (value or "").strip()


def quantity_field(item_id: int) -> str:
    """The name of an item's quantity input: qty-<order item id>."""
    return f"qty-{item_id}"


def read_quantities(order: Order, form) -> dict[int, int]:
    """Each item's quantity as typed (blank reads 0); a non-number is refused plainly. Whether
    the quantities are allowed is the domain's rule (request_aftersale)."""
    quantities = {}
    for item in order.items:
        raw = (form.get(quantity_field(item.id)) or "").strip()
        if not raw:
            quantities[item.id] = 0
            continue
        sign, digits = ("-", raw[1:]) if raw.startswith("-") else ("", raw)
        if not digits.isascii() or not digits.isdigit() or len(digits) > MAX_QUANTITY_DIGITS:
            raise InvalidInput(QUANTITY_NOT_A_NUMBER(product=item.product_name))
        quantities[item.id] = int(sign + digits)
    return quantities


class AfterSaleForm(FlaskForm):
    kind = RadioField(
        _l("售后类型"),
        choices=[SelectChoice(kind, label) for kind, label in KIND_LABELS.items()],
        validators=[InputRequired(_l("请选择售后类型"))],
        invalid_choice_message=_l("请选择售后类型"),
    )
    reason = RadioField(
        _l("售后原因"),
        choices=[SelectChoice(reason, reason) for reason in REASONS],
        validators=[InputRequired(_l("请选择售后原因"))],
        invalid_choice_message=_l("请选择售后原因"),
    )
    description = TextAreaField(
        _l("问题描述"),
        filters=[_strip],
        validators=[Length(max=MAX_DESCRIPTION, message=_l("问题描述不能超过 500 字"))],
    )
    # How many and whether each is a real photo are request_aftersale's rules (all or nothing).
    photos = MultipleFileField(_l("照片"))


class TrackingForm(FlaskForm):
    carrier = StringField(
        _l("快递公司"),
        filters=[_strip],
        validators=[
            DataRequired(_l("请填写快递公司")),
            Length(max=MAX_CARRIER, message=_l("快递公司不能超过 50 个字符")),
        ],
    )
    tracking_no = StringField(
        _l("快递单号"),
        filters=[_strip],
        validators=[
            DataRequired(_l("请填写快递单号")),
            Length(max=MAX_TRACKING, message=_l("快递单号不能超过 50 个字符")),
        ],
    )


class CancelForm(FlaskForm):
    """Withdrawing is ticked as well as pressed (the browser asks too)."""

    confirm = BooleanField(
        _l("我确认撤销该售后申请"), validators=[DataRequired(_l("请勾选确认后再撤销"))]
    )
