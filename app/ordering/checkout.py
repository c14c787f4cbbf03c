"""Checkout: the buyer's cart becomes one order per store in one transaction, stock reserved,
the form's key making a double submit or a retry place the orders once."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from app.accounts.actor import Actor
from app.accounts.models import Address
from app.catalog.models import Sku
from app.clock import to_local, utcnow
from app.errors import IllegalTransition, InvalidInput, OutOfStock
from app.extensions import db
from app.i18n_markers import N_
from app.messages import define
from app.ordering.cart import cart_of, ensure_can_buy_from
from app.ordering.events import record_event
from app.ordering.models import CartItem, Checkout, Order, OrderItem
from app.ordering.payment import ONLINE, PAYMENT_METHODS, store_payment_methods
from app.ordering.signals import order_placed
from app.ordering.states import OrderStatus
from app.stores.models import StoreKind

NOT_YOUR_ADDRESS = define("not_your_address", N_("请选择您自己的收货地址"))
CHOOSE_PAYMENT = define("choose_payment", N_("请选择支付方式"))
CART_EMPTY = define("cart_empty", N_("购物车是空的"))
CART_CHANGED = define("cart_changed", N_("购物车已在另一个页面结算，请查看我的订单"))
METHOD_NOT_ACCEPTED = define(
    "method_not_accepted", N_("「%(store)s」不支持%(method)s，请选择其他支付方式")
)
STOCK_SHORT = define("stock_short", N_("「%(product)s %(spec)s」库存不足"))
PLACED = define("placed", N_("买家下单"))


def new_order_no() -> str:
    return f"{to_local(utcnow()):%Y%m%d%H%M%S}{secrets.randbelow(10**6):06d}"


def _reserve_stock(sku: Sku, quantity: int) -> None:
    """Decrement stock only if enough is left, in one statement: no oversell under races."""
    result = db.session.execute(
        update(Sku)
        .where(Sku.id == sku.id, Sku.stock >= quantity)
        .values(stock=Sku.stock - quantity)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise OutOfStock(STOCK_SHORT(product=sku.product.name, spec=sku.spec))


def _first_status(kind: str, payment_method: str) -> OrderStatus:
    """Online orders wait for the money; wholesale orders for the region's manager; cash on
    delivery ones for the store to accept."""
    if payment_method == ONLINE:
        return OrderStatus.PENDING_PAYMENT
    if kind == StoreKind.WHOLESALE:
        return OrderStatus.PENDING_CONFIRM
    return OrderStatus.PENDING_ACCEPT


@dataclass(frozen=True)
class CheckoutResult:
    orders: list[Order]
    replayed: bool  # the same key came again (double submit, retry): nothing new was created


def _checkout_with_key(buyer_id: int, key: str) -> tuple[Checkout, bool]:
    """The checkout this key names: the existing one (a replay) or a new one claimed now.

    The claim is an INSERT inside a savepoint: a concurrent twin with the same key waits on the
    unique index until the first commits, then finds its checkout and answers with its orders.
    """
    existing = db.session.execute(
        select(Checkout).where(Checkout.buyer_id == buyer_id, Checkout.key == key)
    ).scalar_one_or_none()
    if existing is not None:
        return existing, True
    checkout = Checkout(buyer_id=buyer_id, key=key)
    try:
        with db.session.begin_nested():
            db.session.add(checkout)
    except IntegrityError:
        twin = db.session.execute(
            select(Checkout).where(Checkout.buyer_id == buyer_id, Checkout.key == key)
        ).scalar_one()
        return twin, True
    return checkout, False


def place_orders(
    actor: Actor,
    address: Address,
    payment_method: str,
    remarks: dict[int, str] | None = None,
    key: str | None = None,
) -> CheckoutResult:
    """Check out the buyer's cart: one order per store, stock reserved, side effects deferred.

    `key` comes from the checkout form: the same key twice creates the orders once and answers
    with them again. Without a key (another client) the cart itself is claimed, so two
    checkouts of one cart still place its orders once.
    """
    if address.user_id != actor.user_id:
        raise InvalidInput(NOT_YOUR_ADDRESS())
    if payment_method not in PAYMENT_METHODS:
        raise InvalidInput(CHOOSE_PAYMENT())
    checkout, replayed = _checkout_with_key(actor.user_id, key or secrets.token_hex(16))
    if replayed:
        return CheckoutResult(list(checkout.orders), replayed=True)
    cart = cart_of(actor.user_id)
    if not cart.groups:
        raise InvalidInput(CART_EMPTY())
    cart.ensure_all_available()  # a line taken off sale (已下架) since it was added: refused
    _claim_cart(actor.user_id, [line.id for group in cart.groups for line in group.lines])

    orders = []
    for group in cart.groups:
        store = group.store
        member = ensure_can_buy_from(actor.user_id, store)
        if payment_method not in store_payment_methods(store):
            raise InvalidInput(
                METHOD_NOT_ACCEPTED(store=store.name, method=PAYMENT_METHODS[payment_method])
            )
        status = _first_status(store.kind, payment_method)
        order = Order(
            no=new_order_no(),
            store_id=store.id,
            buyer_id=actor.user_id,
            checkout_id=checkout.id,
            region_id=member.region_id if member else None,
            kind=store.kind,
            status=status,
            payment_method=payment_method,
            goods_fen=group.goods_fen,
            delivery_fee_fen=group.delivery_fee_fen,
            total_fen=group.total_fen,
            contact_name=address.contact_name,
            contact_phone=address.contact_phone,
            address=address.text,
            buyer_remark=(remarks or {}).get(store.id, "")[:200],
        )
        for line in group.lines:
            _reserve_stock(line.sku, line.quantity)
            order.items.append(
                OrderItem(
                    sku_id=line.sku_id,
                    product_name=line.sku.product.name,
                    spec=line.sku.spec,
                    unit_price_fen=group.unit_price(line),
                    quantity=line.quantity,
                    line_fen=group.line_fen(line),
                )
            )
        db.session.add(order)
        db.session.flush()
        record_event(order.id, actor, None, status, PLACED())
        order_placed.send(order, actor=actor)
        orders.append(order)
    return CheckoutResult(orders, replayed=False)


def _claim_cart(buyer_id: int, line_ids: list[int]) -> None:
    """Take the cart's lines out in one statement: if another checkout took them first (a second
    tab, a twin request without the key), this one is refused and creates nothing."""
    result = db.session.execute(
        delete(CartItem)
        .where(CartItem.user_id == buyer_id, CartItem.id.in_(line_ids))
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != len(line_ids):
        raise IllegalTransition(CART_CHANGED())
