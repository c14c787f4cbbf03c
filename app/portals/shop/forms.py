"""Forms of the storefront: add to cart, change a cart line, check out."""

from __future__ import annotations

import secrets

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    HiddenField,
    IntegerField,
    RadioField,
    SelectChoice,
    StringField,
    ValidationError,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional, Regexp

from app.accounts.models import Address
from app.ordering.payment import PAYMENT_METHODS
from app.web.bounds import ID_RANGE, MAX_QUANTITY, QUANTITY_RANGE


class ShopForm(FlaskForm):
    def first_error(self) -> str:
        """Small one-line forms show their first problem as a flash message."""
        for errors in self.errors.values():
            if errors:
                return str(errors[0])
        return gettext("提交的内容有误")


class AddToCartForm(ShopForm):
    sku_id = IntegerField(validators=[InputRequired(_l("请选择商品规格")), ID_RANGE])
    quantity = IntegerField(
        _l("数量"), validators=[InputRequired(_l("请填写数量")), QUANTITY_RANGE]
    )


class CartQuantityForm(ShopForm):
    quantity = IntegerField(
        _l("数量"),
        validators=[
            InputRequired(_l("请填写数量")),
            NumberRange(min=0, max=MAX_QUANTITY, message=_l("数量须在 %(min)s 到 %(max)s 之间")),
        ],
    )


class CheckoutForm(ShopForm):
    address_id = RadioField(
        _l("收货地址"),
        coerce=int,
        validate_choice=False,
        validators=[InputRequired(_l("请选择收货地址"))],
    )
    payment_method = RadioField(
        _l("支付方式"),
        choices=[SelectChoice(value, _l(label)) for value, label in PAYMENT_METHODS.items()],
        default="cod",
        invalid_choice_message=_l("请选择支付方式"),
        validators=[InputRequired(_l("请选择支付方式"))],
    )

    # Made when the form is first drawn and sent back with it: the same key twice (double tap,
    # a retry on a flaky network) places the orders once.
    checkout_key = HiddenField(
        validators=[Optional(), Length(max=64), Regexp(r"^[0-9a-f]*$")],
    )

    store_ids: list[int] = []
    address_ids: set[int] = set()

    def validate_address_id(self, field) -> None:
        if field.data not in self.address_ids:
            raise ValidationError(_l("请选择您自己的收货地址"))

    def remark_field(self, store_id: int):
        return self[f"remark_{store_id}"]

    def remarks(self) -> dict[int, str]:
        return {sid: (self.remark_field(sid).data or "").strip() for sid in self.store_ids}


def checkout_form(addresses: list[Address], store_ids: list[int]) -> CheckoutForm:
    """A checkout form with one buyer-remark field per store in the cart (SPEC §4)."""
    fields = {
        f"remark_{sid}": StringField(
            _l("买家留言"), validators=[Optional(), Length(max=200, message=_l("留言最多 200 字"))]
        )
        for sid in store_ids
    }
    form_class = type("StoreCheckoutForm", (CheckoutForm,), fields)
    form = form_class()
    form.store_ids = list(store_ids)
    form.address_ids = {a.id for a in addresses}
    form.address_id.choices = [SelectChoice(a.id, a.text) for a in addresses]
    if not form.is_submitted():
        form.checkout_key.data = secrets.token_hex(16)
        default = next((a for a in addresses if a.is_default), addresses[0] if addresses else None)
        form.address_id.data = default.id if default else None
    return form
