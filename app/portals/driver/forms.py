"""The driver's forms: photos of the signed slip, straight from the camera, and 已收款 for a
cash on delivery order (the rules are app/ordering/offline.py's)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileRequired, MultipleFileField
from wtforms import BooleanField, StringField
from wtforms.validators import DataRequired, Length, ValidationError

from app.money import parse_yuan
from app.ordering.offline import MAX_REFERENCE
from app.web.i18n import lazy_gettext as _l

MAX_RECEIPT_FEN = 10**11  # ￥1,000,000,000.00: more is a typo (and beyond any order's total)


def _strip(value: str | None) -> str:
    return (value or "").strip()


class SlipUploadForm(FlaskForm):
    # Only presence is checked here; whether each file is a real image is upload_slips' rule.
    photos = MultipleFileField(
        _l("签收单照片"), validators=[FileRequired(_l("请拍照或选择签收单照片"))]
    )


class CashReceiptForm(FlaskForm):
    """已收款: the amount taken at the door (yuan, two decimals at most) and how it was paid
    (现金, or the transfer's number), checked with the customer before it is sent."""

    amount = StringField(
        _l("收款金额（元）"), filters=[_strip], validators=[DataRequired(_l("请填写收款金额"))]
    )
    reference = StringField(
        _l("收款说明"),
        filters=[_strip],
        validators=[
            DataRequired(_l("请填写收款说明（如：现金，或转账单号）")),
            Length(max=MAX_REFERENCE, message=_l("收款说明不能超过 100 个字")),
        ],
    )
    confirmed = BooleanField(
        _l("已当面点清收款金额"),
        validators=[DataRequired(_l("请先当面点清金额，并勾选确认"))],
    )

    def validate_amount(self, field) -> None:
        try:
            fen = parse_yuan(field.data or "")
        except ValueError:
            raise ValidationError(
                _l("请填写金额（元），最多两位小数，如 1152 或 1152.50")
            ) from None
        if fen <= 0:
            raise ValidationError(_l("收款金额须大于 0"))
        if fen > MAX_RECEIPT_FEN:
            raise ValidationError(_l("收款金额超过订单金额"))

    @property
    def amount_fen(self) -> int:
        return parse_yuan(self.amount.data)
