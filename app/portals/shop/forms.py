"""Forms of the storefront: add to cart, change a cart line, check out."""

from __future__ import annotations

import secrets
from datetime import datetime

from flask_babel import gettext
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    ValidationError,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp

from app.accounts.addresses import (
    BAD_CONTACT_PHONE,
    LOCATION_OUTSIDE_CHINA,
    MAX_DETAIL,
    MAX_NAME,
    MAX_REGION,
    PHONE_PATTERN,
    AddressFields,
)
from app.accounts.models import Address
from app.geo import Point, in_china
from app.ordering.checkout import Choices
from app.ordering.payment import DELIVERY_OPTIONS, PAYMENT_METHODS
from app.web.bounds import ID_RANGE, MAX_ID, MAX_QUANTITY, QUANTITY_RANGE
from app.web.i18n import lazy_gettext as _l


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


def _id_or_invalid(value) -> int:
    """A coupon choice: 0 for none, a positive id, -1 for anything else (refused below)."""
    if value in (None, ""):
        return 0
    try:
        number = int(value)
    except (TypeError, ValueError):
        return -1
    return number if 0 <= number <= MAX_ID else -1


def _valid_coupon_choice(form, field) -> None:
    if field.data == -1:
        raise ValidationError(_l("请选择有效的优惠券"))


MAX_POINTS = 100_000_000


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
    platform_coupon_id = SelectField(
        _l("平台优惠券"),
        coerce=_id_or_invalid,
        validate_choice=False,
        validators=[_valid_coupon_choice],
    )
    points = IntegerField(
        _l("使用积分"),
        validators=[
            Optional(),
            NumberRange(min=0, max=MAX_POINTS, message=_l("积分须为不小于 0 的整数")),
        ],
    )

    # Made when the form is first drawn and sent back with it: the same key twice (double tap,
    # a retry on a flaky network) places the orders once.
    checkout_key = HiddenField(
        validators=[Optional(), Length(max=64), Regexp(r"^[0-9a-f]*$")],
    )

    store_ids: list[int] = []
    address_ids: set[int] = set()
    address_positions: dict[int, tuple[float, float] | None] = {}

    def validate_address_id(self, field) -> None:
        if field.data not in self.address_ids:
            raise ValidationError(_l("请选择您自己的收货地址"))

    def remark_field(self, store_id: int):
        return self[f"remark_{store_id}"]

    def delivery_field(self, store_id: int):
        return self[f"delivery_{store_id}"]

    def coupon_field(self, store_id: int):
        return self[f"store_coupon_{store_id}"]

    def remarks(self) -> dict[int, str]:
        return {sid: (self.remark_field(sid).data or "").strip() for sid in self.store_ids}

    def delivery(self) -> dict[int, str]:
        return {sid: self.delivery_field(sid).data for sid in self.store_ids}

    def slots(self) -> dict[int, datetime | None]:
        return {sid: self[f"slot_{sid}"].data for sid in self.store_ids}

    def store_coupons(self) -> dict[int, int | None]:
        return {sid: self.coupon_field(sid).data or None for sid in self.store_ids}

    def choices(self) -> Choices:
        """What the buyer chose, for pricing (never a price: the server computes every fen)."""
        return Choices(
            delivery=self.delivery(),
            platform_coupon_id=self.platform_coupon_id.data or None,
            store_coupons=self.store_coupons(),
            points=self.points.data or 0,
            location=self.address_positions.get(self.address_id.data),
            slots=self.slots(),
        )


SLOT_FORMAT = "%Y%m%d%H%M"  # a slot's start in UTC, as the checkout form sends it


def _slot_start(value) -> datetime | None:
    """The slot the buyer chose; anything else reads as a slot the store does not offer (the
    checkout then names the store and asks for one of its slots)."""
    if isinstance(value, datetime) or not value:
        return value or None
    try:
        return datetime.strptime(str(value)[:12], SLOT_FORMAT)
    except ValueError:
        return datetime(2000, 1, 1)


def checkout_form(
    addresses: list[Address],
    store_ids: list[int],
    methods: list[str] | None = None,
    delivery_options: dict[int, list[str]] | None = None,
) -> CheckoutForm:
    """A checkout form with, per store in the cart, a buyer-remark field (SPEC §4), a delivery
    option among the store's and a store coupon choice; offering only the payment methods
    every store in the cart accepts (`methods`)."""
    delivery_options = delivery_options or {}
    fields = {}
    for sid in store_ids:
        fields[f"remark_{sid}"] = StringField(
            _l("买家留言"), validators=[Optional(), Length(max=200, message=_l("留言最多 200 字"))]
        )
        fields[f"delivery_{sid}"] = SelectField(
            _l("配送方式"),
            choices=[
                SelectChoice(o, _l(DELIVERY_OPTIONS[o])) for o in delivery_options.get(sid, [])
            ],
            invalid_choice_message=_l("请选择配送方式"),
            validators=[Optional()],
        )
        fields[f"slot_{sid}"] = StringField(
            _l("送达时间"), filters=[_slot_start], validators=[Optional()]
        )
        fields[f"store_coupon_{sid}"] = SelectField(
            _l("店铺优惠券"),
            coerce=_id_or_invalid,
            validate_choice=False,
            validators=[_valid_coupon_choice],
        )
    form_class = type("StoreCheckoutForm", (CheckoutForm,), fields)
    form = form_class()
    form.store_ids = list(store_ids)
    form.address_ids = {a.id for a in addresses}
    form.address_id.choices = [SelectChoice(a.id, a.text) for a in addresses]
    form.address_positions = {a.id: a.position for a in addresses}
    if methods is not None:
        form.payment_method.choices = [
            choice for choice in form.payment_method.choices if choice.value in methods
        ]
        if not form.is_submitted() and methods and form.payment_method.data not in methods:
            form.payment_method.data = methods[0]
    if not form.is_submitted():
        form.checkout_key.data = secrets.token_hex(16)
        default = next((a for a in addresses if a.is_default), addresses[0] if addresses else None)
        form.address_id.data = default.id if default else None
        for sid in store_ids:
            offered = delivery_options.get(sid) or []
            form.delivery_field(sid).data = offered[0] if offered else None
    return form


# --- the address book -------------------------------------------------------------------------


def _strip(value: object) -> str:
    return "" if value is None else str(value).strip()


def _no_control_characters(form, field) -> None:
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in field.data or ""):
        raise ValidationError(_l("不能包含特殊字符"))


def _address_part(label, required_message, max_length: int, required: bool = True):
    return StringField(
        label,
        filters=[_strip],
        validators=[
            DataRequired(required_message) if required else Optional(),
            Length(max=max_length, message=_l("最多 %(max)s 字")),
            _no_control_characters,
        ],
    )


class AddressForm(ShopForm):
    contact_name = _address_part(_l("收货人"), _l("请填写收货人"), MAX_NAME)
    contact_phone = StringField(
        _l("联系电话"),
        filters=[_strip],
        validators=[
            DataRequired(_l("请填写联系电话")),
            Regexp(PHONE_PATTERN, message=_l(BAD_CONTACT_PHONE.text)),
        ],
    )
    province = _address_part(_l("省份"), _l("请填写省份"), MAX_REGION)
    city = _address_part(_l("城市"), _l("请填写城市"), MAX_REGION)
    district = _address_part(_l("区县"), None, MAX_REGION, required=False)
    detail = _address_part(_l("详细地址"), _l("请填写详细地址"), MAX_DETAIL)
    make_default = BooleanField(_l("设为默认地址"))
    # Filled by static/js/geolocate.js after the person taps 使用当前位置 (and the browser asked
    # them); empty otherwise, and then the address is geocoded when saved.
    lat = HiddenField(filters=[_strip], validators=[Length(max=32)])
    lng = HiddenField(filters=[_strip], validators=[Length(max=32)])

    def validate_lat(self, field) -> None:
        if (field.data or self.lng.data) and self.point() is None:
            raise ValidationError(_l(LOCATION_OUTSIDE_CHINA.text))

    def point(self) -> Point | None:
        """The phone's location: two finite numbers inside China, else None."""
        try:
            lat, lng = float(self.lat.data or ""), float(self.lng.data or "")
        except ValueError:
            return None
        return Point(lat, lng) if in_china(lat, lng) else None

    def fields(self) -> AddressFields:
        return AddressFields(
            contact_name=self.contact_name.data,
            contact_phone=self.contact_phone.data,
            province=self.province.data,
            city=self.city.data,
            district=self.district.data or "",
            detail=self.detail.data,
            point=self.point(),
            make_default=bool(self.make_default.data),
        )


def address_form(address: Address | None = None) -> AddressForm:
    """The form to add an address, or to change `address` (drawn with what it holds now)."""
    form = AddressForm()
    if address is not None and not form.is_submitted():  # a post says everything itself
        form.process(obj=address)
        form.lat.data = form.lng.data = ""  # a new tap on 使用当前位置 sends fresh ones
    return form
