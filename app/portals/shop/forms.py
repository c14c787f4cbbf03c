"""Forms of the storefront: add to cart, change a cart line, check out."""

from __future__ import annotations

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, RadioField, SelectChoice, StringField, ValidationError
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from app.accounts.models import Address
from app.ordering.payment import PAYMENT_METHODS


class ShopForm(FlaskForm):
    def first_error(self) -> str:
        """Small one-line forms show their first problem as a flash message."""
        for errors in self.errors.values():
            if errors:
                return str(errors[0])
        return gettext("提交的内容有误")


class AddToCartForm(ShopForm):
    sku_id = IntegerField(validators=[InputRequired(_l("请选择商品规格"))])
    quantity = IntegerField(
        _l("数量"),
        validators=[
            InputRequired(_l("请填写数量")),
            NumberRange(min=1, message=_l("数量至少为 1")),
        ],
    )


class CartQuantityForm(ShopForm):
    quantity = IntegerField(
        _l("数量"),
        validators=[
            InputRequired(_l("请填写数量")),
            NumberRange(min=0, message=_l("数量不能为负数")),
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
        default = next((a for a in addresses if a.is_default), addresses[0] if addresses else None)
        form.address_id.data = default.id if default else None
    return form
