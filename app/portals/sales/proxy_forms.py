"""The 代客下单 form: products with quantities, one of the customer's addresses, a payment method
the store accepts, a remark and the key that places the order once. Shapes are checked here;
pack multiples, stock, prices and the customer's region are checked by checkout."""

from __future__ import annotations

from flask import request
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, SelectField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Regexp

from app.web.bounds import ID_RANGE, MAX_ID, MAX_QUANTITY
from app.web.i18n import lazy_gettext as _l

MAX_LINES = 200


def _strip(value: str | None) -> str:
    return (value or "").strip()


class ProxyOrderForm(FlaskForm):
    key = HiddenField(
        validators=[DataRequired(_l("页面已过期，请刷新后再提交")), Regexp(r"^[0-9a-f]{16,64}$")]
    )
    address_id = IntegerField(
        _l("收货地址"), validators=[InputRequired(_l("请选择收货地址")), ID_RANGE]
    )
    payment_method = SelectField(
        _l("支付方式"), choices=[], validators=[InputRequired(_l("请选择支付方式"))]
    )
    remark = TextAreaField(
        _l("备注"), filters=[_strip], validators=[Length(max=200, message=_l("备注最多 200 字"))]
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.line_errors: list[str] = []
        self.quantities: dict[int, str] = {}  # what was typed, shown again on a refusal
        self.lines: list[tuple[int, int]] = []

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        return self._read_lines() and ok

    def _read_lines(self) -> bool:
        """`sku_id` and `quantity` come in pairs, one per product row; blank or 0 is skipped."""
        sku_ids = request.form.getlist("sku_id")[:MAX_LINES]
        quantities = request.form.getlist("quantity")[:MAX_LINES]
        for raw_id, raw_qty in zip(sku_ids, quantities, strict=False):
            raw_qty = raw_qty.strip()
            if not raw_id.isdigit() or not 1 <= int(raw_id) <= MAX_ID:
                self.line_errors.append(_("商品编号无效"))
                return False
            sku_id = int(raw_id)
            self.quantities[sku_id] = raw_qty[:6]
            if not raw_qty or raw_qty == "0":
                continue
            if not raw_qty.isdigit() or not 1 <= int(raw_qty) <= MAX_QUANTITY:
                self.line_errors.append(
                    _("数量须在 %(min)s 到 %(max)s 之间", min=1, max=MAX_QUANTITY)
                )
                return False
            self.lines.append((sku_id, int(raw_qty)))
        if not self.lines:
            self.line_errors.append(_("请至少选择一件商品"))
            return False
        return True
