"""Checkout: the buyer's cart becomes one order per store in one transaction, stock reserved,
coupons and points applied and prorated exactly, the form's key making a double submit or a
retry place the orders once.

Every price is computed here from the database (`price_checkout`): the storefront's preview and
the orders placed read the same plan, and nothing the form says about money is trusted.

Discounts, in fen, split by the largest-remainder method so the parts sum exactly:
- a store's coupon (the store bears it) across its own order's lines;
- the platform's coupon (the platform bears it) across the stores by each store's goods amount
  (what is left of it after the store's coupon), then across each order's lines;
- the points (the platform bears them) the same way, over what is left after both coupons.
A discount never exceeds the goods it applies to: the buyer never gets a negative line.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Insert, Integer, bindparam, delete, select, update

from app.accounts.actor import SYSTEM, Actor
from app.accounts.models import Address, Member, Role, User
from app.catalog.models import Product, Sku
from app.catalog.pricing import level_price
from app.clock import to_local, utcnow
from app.deadlines import cancel, on_due, schedule_all
from app.errors import DomainError, Forbidden, IllegalTransition, InvalidInput, OutOfStock
from app.extensions import db
from app.i18n_markers import N_
from app.messages import define
from app.ordering.cart import (
    NOT_LISTED,
    PACK_MULTIPLE,
    cart_of,
    ensure_can_buy_from,
    line_unavailable,
)
from app.ordering.events import record_event
from app.ordering.models import CartItem, Checkout, Order, OrderItem
from app.ordering.payment import (
    ONLINE,
    PAYMENT_METHODS,
    delivery_label,
    store_delivery_options,
    store_payment_methods,
)
from app.ordering.proration import largest_remainder
from app.ordering.services import move_order_once
from app.ordering.settings import order_settings
from app.ordering.signals import order_moved, order_payment_due, order_placed
from app.ordering.states import OrderStatus
from app.promotions import coupons, points
from app.promotions.models import UserCoupon
from app.stores import delivery_rules
from app.stores.models import Store, StoreKind
from app.upsert import upsert_into

NOT_YOUR_ADDRESS = define("not_your_address", N_("请选择您自己的收货地址"))
CHOOSE_PAYMENT = define("choose_payment", N_("请选择支付方式"))
CART_EMPTY = define("cart_empty", N_("购物车是空的"))
CART_CHANGED = define("cart_changed", N_("购物车已在另一个页面结算，请查看我的订单"))
METHOD_NOT_ACCEPTED = define(
    "method_not_accepted", N_("「%(store)s」不支持%(method)s，请选择其他支付方式")
)
STOCK_SHORT = define("stock_short", N_("「%(product)s %(spec)s」库存不足"))
PLACED = define("placed", N_("买家下单"))
PLACED_FOR = define("placed_for", N_("业务经理 %(name)s 代客下单"))
UNPAID_CLOSED = define("unpaid_closed", N_("超时未支付，订单已自动关闭"))
DELIVERY_NOT_OFFERED = define(
    "delivery_not_offered", N_("「%(store)s」不提供%(option)s，请选择其他配送方式")
)
TOO_MANY_POINTS = define("too_many_points", N_("本单最多可用 %(points)s 积分"))
BAD_POINTS = define("bad_points", N_("积分须为不小于 0 的整数"))
MANAGERS_ONLY = define("managers_only", N_("只有业务经理可以代客下单"))
NOT_YOUR_CUSTOMER = define("not_your_customer", N_("只能为本区域的会员代客下单"))
NO_LINES = define("no_lines", N_("请至少选择一件商品"))

CLOSE_UNPAID = "order.close_unpaid"  # the deadline kind
FEE_OPTIONS = ("delivery", "express", "ship")  # options that carry the store's delivery fee
PICKUP = "pickup"


def new_order_no(checkout_id: int, index: int) -> str:
    """The local second, the checkout's id (last 6 digits) and the order's place in it: unique
    by construction. Random digits drew the same number for two orders now and then at 400
    orders a second, and the second checkout failed."""
    return f"{to_local(utcnow()):%Y%m%d%H%M%S}{checkout_id % 10**6:06d}{index:02d}"


def new_pickup_code() -> str:
    return f"{secrets.randbelow(10**6):06d}"


# --- discounts split exactly -------------------------------------------------------------------


@dataclass(frozen=True)
class Allocation:
    """Each line's share of each discount, per store then per line (fen)."""

    store: list[list[int]]
    platform: list[list[int]]
    points: list[list[int]]

    def store_totals(self, level: str) -> list[int]:
        return [sum(lines) for lines in getattr(self, level)]


def _split_two_levels(amount: int, weights: list[list[int]]) -> list[list[int]]:
    """Across the stores by their weight, then across each store's lines by theirs."""
    per_store = largest_remainder(amount, [sum(lines) for lines in weights])
    return [
        largest_remainder(share, lines) if lines else []
        for share, lines in zip(per_store, weights, strict=True)
    ]


def allocate(
    lines: list[list[int]], store_discounts: list[int], platform_fen: int, points_fen: int
) -> Allocation:
    """Split the discounts of a checkout whose stores' lines cost `lines` (fen, per store).

    Each discount is capped at what is left of the goods it applies to, in this order: the
    store's coupon, the platform coupon, the points; so no line's shares exceed the line.
    """
    store_parts = []
    for store_lines, discount in zip(lines, store_discounts, strict=True):
        capped = min(max(discount, 0), sum(store_lines))
        store_parts.append(largest_remainder(capped, store_lines) if store_lines else [])
    left = [
        [a - b for a, b in zip(ls, ss, strict=True)]
        for ls, ss in zip(lines, store_parts, strict=True)
    ]
    platform_parts = _split_two_levels(min(max(platform_fen, 0), sum(map(sum, left))), left)
    left = [
        [a - b for a, b in zip(ls, ps, strict=True)]
        for ls, ps in zip(left, platform_parts, strict=True)
    ]
    points_parts = _split_two_levels(min(max(points_fen, 0), sum(map(sum, left))), left)
    return Allocation(store_parts, platform_parts, points_parts)


# --- the plan: what every order of the checkout costs ------------------------------------------


@dataclass
class LinePlan:
    sku: Sku
    quantity: int
    unit_price_fen: int
    store_share: int = 0
    platform_share: int = 0
    points_share: int = 0

    @property
    def line_fen(self) -> int:
        return self.unit_price_fen * self.quantity

    @property
    def discount_fen(self) -> int:
        return self.store_share + self.platform_share + self.points_share


@dataclass
class StorePlan:
    store: Store
    lines: list[LinePlan]
    delivery_option: str
    store_coupon: UserCoupon | None = None
    store_discount_fen: int = 0
    platform_discount_fen: int = 0
    points_discount_fen: int = 0
    # same-city delivery by the store's rules: how far, the fee for it, the slot and the others
    distance_m: int | None = None
    quoted_fee_fen: int | None = None
    slot_at: datetime | None = None
    slot_options: list[datetime] = field(default_factory=list)

    @property
    def delivery_options(self) -> list[str]:
        return store_delivery_options(self.store)

    @property
    def goods_fen(self) -> int:
        return sum(line.line_fen for line in self.lines)

    @property
    def delivery_fee_fen(self) -> int:
        if self.delivery_option not in FEE_OPTIONS:
            return 0
        if self.quoted_fee_fen is not None:
            return self.quoted_fee_fen
        return self.store.delivery_fee_fen

    @property
    def discount_fen(self) -> int:
        return self.store_discount_fen + self.platform_discount_fen + self.points_discount_fen

    @property
    def total_fen(self) -> int:
        return self.goods_fen + self.delivery_fee_fen - self.discount_fen


@dataclass
class CheckoutPlan:
    stores: list[StorePlan]
    platform_coupon: UserCoupon | None = None
    points: int = 0
    points_cap: int = 0  # the most points this checkout may take
    point_value_fen: int = 1
    platform_discount_fen: int = 0
    points_discount_fen: int = 0
    unpaid_close_minutes: int = 30

    @property
    def goods_fen(self) -> int:
        return sum(s.goods_fen for s in self.stores)

    @property
    def delivery_fee_fen(self) -> int:
        return sum(s.delivery_fee_fen for s in self.stores)

    @property
    def store_discount_fen(self) -> int:
        return sum(s.store_discount_fen for s in self.stores)

    @property
    def discount_fen(self) -> int:
        return sum(s.discount_fen for s in self.stores)

    @property
    def total_fen(self) -> int:
        return sum(s.total_fen for s in self.stores)

    def store(self, store_id: int) -> StorePlan | None:
        return next((s for s in self.stores if s.store.id == store_id), None)


@dataclass(frozen=True)
class Choices:
    """What the buyer chose at checkout besides address and payment (every id checked here)."""

    delivery: Mapping[int, str] = field(default_factory=dict)  # store id → delivery option
    platform_coupon_id: int | None = None
    store_coupons: Mapping[int, int | None] = field(default_factory=dict)  # store → user coupon
    points: int = 0
    location: tuple[float, float] | None = None  # the address's position (lat, lng)
    slots: Mapping[int, datetime | None] = field(default_factory=dict)  # store → slot start


def _same_city_rules(s: StorePlan, choices: Choices, now: datetime) -> None:
    """Same-city delivery by the store's rules: within the radius (the fee by distance), at
    least the 起送价, and a slot the store offers (the earliest when none is chosen)."""
    store = s.store
    if store.kind != StoreKind.SAME_CITY or s.delivery_option != "delivery":
        return
    lat, lng = choices.location or (None, None)
    quoted = delivery_rules.quote(store, lat, lng)
    s.distance_m, s.quoted_fee_fen = quoted.distance_m, quoted.fee_fen
    delivery_rules.check_minimum(store, s.goods_fen)
    if store.delivery_slots:
        s.slot_options = delivery_rules.slots(store, now)
        chosen = choices.slots.get(store.id)
        if chosen is None and s.slot_options:
            chosen = s.slot_options[0]
        s.slot_at = delivery_rules.check_slot(store, chosen, now)


def _ensure_quantity(product: Product, quantity: int) -> None:
    step = max(product.min_order_qty, 1)
    if quantity <= 0 or quantity % step:
        raise InvalidInput(PACK_MULTIPLE(product=product.name, step=step))


def _delivery_for(store: Store, chosen: str | None) -> str:
    offered = store_delivery_options(store)
    if not chosen:
        return offered[0] if offered else "delivery"
    if chosen not in offered:
        raise InvalidInput(DELIVERY_NOT_OFFERED(store=store.name, option=delivery_label(chosen)))
    return chosen


def price_checkout(
    buyer_id: int,
    groups: list[tuple[Store, list[LinePlan]]],
    choices: Choices | None = None,
    *,
    with_cap: bool = False,
) -> CheckoutPlan:
    """Price the checkout from the database: delivery per store, the coupons (each checked:
    the buyer's, unused, in its time, over its threshold, for this store), the points (within
    the balance and the platform's cap), every discount split exactly onto the lines.
    Raises InvalidInput naming what cannot be used. `with_cap`: work out the most points the
    buyer could use even when they use none (the checkout page shows it)."""
    choices = choices or Choices()
    settings = order_settings()
    stores = [
        StorePlan(store, lines, _delivery_for(store, choices.delivery.get(store.id)))
        for store, lines in groups
    ]
    plan = CheckoutPlan(stores, point_value_fen=max(settings.point_value_fen, 1))
    plan.unpaid_close_minutes = settings.unpaid_close_minutes
    now = utcnow()
    for s in stores:
        _same_city_rules(s, choices, now)
    store_discounts = []
    for s in stores:
        held_id = choices.store_coupons.get(s.store.id)
        if held_id:
            held = coupons.held_coupon(buyer_id, held_id)
            problem = coupons.coupon_problem(
                held, store_id=s.store.id, goods_fen=s.goods_fen, now=now
            )
            if problem is not None:
                raise InvalidInput(problem)
            s.store_coupon = held
        store_discounts.append(s.store_coupon.coupon.discount_fen if s.store_coupon else 0)
    platform_fen = 0
    if choices.platform_coupon_id:
        held = coupons.held_coupon(buyer_id, choices.platform_coupon_id)
        problem = coupons.coupon_problem(held, store_id=None, goods_fen=plan.goods_fen, now=now)
        if problem is not None:
            raise InvalidInput(problem)
        plan.platform_coupon = held
        platform_fen = held.coupon.discount_fen
    weights = [[line.line_fen for line in s.lines] for s in stores]
    # the points may cover at most points_max_percent of the goods and what the coupons left
    coupons_only = allocate(weights, store_discounts, platform_fen, 0)
    left_fen = plan.goods_fen - sum(coupons_only.store_totals("store"))
    left_fen -= sum(coupons_only.store_totals("platform"))
    cap_fen = min(plan.goods_fen * settings.points_max_percent // 100, left_fen)
    if choices.points < 0:
        raise InvalidInput(BAD_POINTS())
    asks_points = choices.points > 0 or with_cap
    balance = points.balance(buyer_id) if buyer_id and asks_points else 0
    plan.points_cap = max(min(balance, cap_fen // plan.point_value_fen), 0)
    if choices.points > plan.points_cap:
        raise InvalidInput(TOO_MANY_POINTS(points=plan.points_cap))
    plan.points = choices.points
    split = allocate(weights, store_discounts, platform_fen, plan.points * plan.point_value_fen)
    for i, s in enumerate(stores):
        for j, line in enumerate(s.lines):
            line.store_share = split.store[i][j]
            line.platform_share = split.platform[i][j]
            line.points_share = split.points[i][j]
        s.store_discount_fen = sum(split.store[i])
        s.platform_discount_fen = sum(split.platform[i])
        s.points_discount_fen = sum(split.points[i])
    plan.platform_discount_fen = sum(s.platform_discount_fen for s in stores)
    plan.points_discount_fen = sum(s.points_discount_fen for s in stores)
    return plan


def cart_groups(cart) -> list[tuple[Store, list[LinePlan]]]:
    """The cart's lines on sale, per store, priced for this buyer."""
    return [
        (
            group.store,
            [
                LinePlan(line.sku, line.quantity, group.unit_price(line))
                for line in group.lines
                if not line_unavailable(line)
            ],
        )
        for group in cart.groups
    ]


def preview(buyer_id: int, choices: Choices | None = None) -> CheckoutPlan:
    """The checkout page's totals for these choices (raises InvalidInput like placing would)."""
    return price_checkout(buyer_id, cart_groups(cart_of(buyer_id)), choices, with_cap=True)


# --- placing the orders ------------------------------------------------------------------------


def _reserve_stock(lines: list) -> None:
    """Decrement every line's stock only where enough is left, one conditional UPDATE a SKU: no
    oversell under races. SKUs are taken in id order, so two checkouts of the same goods lock
    their rows in the same order and never deadlock (one UPDATE ... FROM VALUES for all of
    them locks in whatever order the join yields, and did). A line that found too little is
    named; the unit of work then rolls back the others."""
    wanted: dict[int, int] = {}
    for line in lines:  # a cart holds one line per SKU; added up all the same
        wanted[line.sku.id] = wanted.get(line.sku.id, 0) + line.quantity
    for sku_id in sorted(wanted):
        if not _take(sku_id, wanted[sku_id]):
            short = next(x for x in lines if x.sku.id == sku_id)
            raise OutOfStock(STOCK_SHORT(product=short.sku.product.name, spec=short.sku.spec))


_WANTED = bindparam("wanted", type_=Integer)
# Built once (a checkout runs it for every SKU, and building a statement costs about as much
# as sending it); the values go as parameters.
_TAKE_STOCK = (
    update(Sku)
    .where(Sku.id == bindparam("sku_id"), Sku.stock >= _WANTED)
    .values(stock=Sku.stock - _WANTED)
    .execution_options(synchronize_session=False)
)


def _take(sku_id: int, quantity: int) -> int:
    """One conditional UPDATE of stock; how many SKUs had enough."""
    return db.session.execute(_TAKE_STOCK, {"sku_id": sku_id, "wanted": quantity}).rowcount


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
    checkout: Checkout | None = None


def _checkout_with_key(
    buyer_id: int, key: str, plan: CheckoutPlan | None = None, payment_method: str = ""
) -> tuple[Checkout, bool]:
    """The checkout this key names: the existing one (a replay) or a new one claimed now, with
    what `plan` charges when one is given (so the new row is written once, not updated).

    The claim is one INSERT … ON CONFLICT DO NOTHING: a concurrent twin with the same key waits
    on the unique index until the first commits, inserts nothing, then finds the first one's
    checkout and answers with its orders.
    """
    values = dict(buyer_id=buyer_id, key=key, created_at=utcnow())
    if plan is not None:
        values.update(
            platform_coupon_id=plan.platform_coupon.id if plan.platform_coupon else None,
            points_used=plan.points,
            payment_method=payment_method,
            total_fen=plan.total_fen,
        )
    claimed = db.session.scalars(_key_claim(), values).one_or_none()
    if claimed is not None:
        return claimed, False
    existing = db.session.execute(
        select(Checkout).where(Checkout.buyer_id == buyer_id, Checkout.key == key)
    ).scalar_one()
    return existing, True


_KEY_CLAIMS: dict[str, Insert] = {}  # per database dialect; the values go as parameters


def _key_claim() -> Insert:
    dialect = db.session.get_bind().dialect.name
    stmt = _KEY_CLAIMS.get(dialect)
    if stmt is None:
        stmt = _KEY_CLAIMS[dialect] = (
            upsert_into(Checkout)
            .on_conflict_do_nothing(index_elements=[Checkout.buyer_id, Checkout.key])
            .returning(Checkout)
        )
    return stmt


def _priced_claim(
    buyer_id: int, key: str, payment_method: str, price: Callable[[], tuple]
) -> tuple:
    """Price the checkout (`price()` returns the plan and what else the caller needs), then
    claim the key with the plan's figures in one INSERT. Answers (checkout, replayed, priced).

    Pricing comes before the claim only to write the checkout row once; a replay still wins
    over every refusal, as if the key were claimed first: when pricing is refused, the key is
    claimed anyway and a key already used answers with its orders (a double submit finds the
    cart empty), while a new key lets the refusal through."""
    try:
        priced = price()
    except DomainError:
        checkout, replayed = _checkout_with_key(buyer_id, key)
        if replayed:
            return checkout, True, None
        raise
    checkout, replayed = _checkout_with_key(buyer_id, key, priced[0], payment_method)
    return checkout, replayed, priced


def _check_common(buyer_id: int, address: Address, payment_method: str) -> None:
    if address.user_id != buyer_id:
        raise InvalidInput(NOT_YOUR_ADDRESS())
    if payment_method not in PAYMENT_METHODS:
        raise InvalidInput(CHOOSE_PAYMENT())


def _create_orders(
    event_actor: Actor,
    buyer_id: int,
    checkout: Checkout,
    address: Address,
    payment_method: str,
    plan: CheckoutPlan,
    remarks: Mapping[int, str],
    note,
    placed_by_id: int | None = None,
) -> list[Order]:
    """One order per store of the plan: stock reserved, coupons and points taken, the unpaid
    deadline set; everything in the caller's unit of work."""
    now = utcnow()
    if plan.platform_coupon is not None:
        coupons.use(plan.platform_coupon, now)
    points.spend(buyer_id, plan.points, checkout.id)
    orders = []
    for index, s in enumerate(plan.stores):
        store = s.store
        member = ensure_can_buy_from(buyer_id, store)
        if payment_method not in store_payment_methods(store):
            raise InvalidInput(
                METHOD_NOT_ACCEPTED(store=store.name, method=PAYMENT_METHODS[payment_method])
            )
        if s.store_coupon is not None:
            coupons.use(s.store_coupon, now)
        order = Order(
            no=new_order_no(checkout.id, index),
            store_id=store.id,
            buyer_id=buyer_id,
            checkout_id=checkout.id,
            region_id=member.region_id if member else None,
            kind=store.kind,
            status=_first_status(store.kind, payment_method),
            payment_method=payment_method,
            goods_fen=s.goods_fen,
            delivery_fee_fen=s.delivery_fee_fen,
            platform_discount_fen=s.platform_discount_fen,
            points_discount_fen=s.points_discount_fen,
            store_discount_fen=s.store_discount_fen,
            store_coupon_id=s.store_coupon.id if s.store_coupon else None,
            total_fen=s.total_fen,
            delivery_option=s.delivery_option,
            delivery_distance_m=s.distance_m,
            delivery_slot_at=s.slot_at,
            delivery_lat=address.lat,
            delivery_lng=address.lng,
            pickup_code=new_pickup_code() if s.delivery_option == PICKUP else None,
            placed_by_id=placed_by_id,
            contact_name=address.contact_name,
            contact_phone=address.contact_phone,
            address=address.text,
            buyer_remark=(remarks.get(store.id) or "")[:200],
            created_at=now,
        )
        for line in s.lines:
            _ensure_quantity(line.sku.product, line.quantity)
            order.items.append(
                OrderItem(
                    sku_id=line.sku.id,
                    product_name=line.sku.product.name,
                    spec=line.sku.spec,
                    unit_price_fen=line.unit_price_fen,
                    quantity=line.quantity,
                    line_fen=line.line_fen,
                    discount_fen=line.discount_fen,
                    platform_discount_fen=line.platform_share + line.points_share,
                )
            )
        orders.append(order)
    db.session.add_all(orders)
    db.session.flush()  # the orders, then their items, each in one batched statement
    for order in orders:
        record_event(order.id, event_actor, None, order.status, note)
    db.session.flush()
    due = now + timedelta(minutes=plan.unpaid_close_minutes)
    unpaid = [order.id for order in orders if order.status == OrderStatus.PENDING_PAYMENT]
    schedule_all(CLOSE_UNPAID, unpaid, due)
    # Stock last: every checkout of the same goods waits on these rows' locks until this one
    # commits, so they are taken when (nearly) nothing but the commit is left to do. A short
    # SKU still refuses the whole checkout: the unit of work rolls back what was written.
    _reserve_stock([line for store_plan in plan.stores for line in store_plan.lines])
    for order in orders:
        order_placed.send(order, actor=event_actor)
    return orders


def place_orders(
    actor: Actor,
    address: Address,
    payment_method: str,
    remarks: Mapping[int, str] | None = None,
    key: str | None = None,
    *,
    delivery: Mapping[int, str] | None = None,
    platform_coupon_id: int | None = None,
    store_coupons: Mapping[int, int | None] | None = None,
    points: int = 0,
    slots: Mapping[int, datetime | None] | None = None,
) -> CheckoutResult:
    """Check out the buyer's cart: one order per store, stock reserved, coupons and points
    applied, side effects deferred.

    `key` comes from the checkout form: the same key twice creates the orders once and answers
    with them again. Without a key (another client) the cart itself is claimed, so two
    checkouts of one cart still place its orders once.
    """
    _check_common(actor.user_id, address, payment_method)
    choices = Choices(
        delivery=delivery or {},
        platform_coupon_id=platform_coupon_id,
        store_coupons=store_coupons or {},
        points=points,
        location=address.position,
        slots=slots or {},
    )

    def price() -> tuple[CheckoutPlan, list[int]]:
        cart = cart_of(actor.user_id)
        if not cart.groups:
            raise InvalidInput(CART_EMPTY())
        cart.ensure_all_available()  # a line taken off sale (已下架) since it was added: refused
        plan = price_checkout(actor.user_id, cart_groups(cart), choices)
        return plan, [line.id for group in cart.groups for line in group.lines]

    key = key or secrets.token_hex(16)
    checkout, replayed, priced = _priced_claim(actor.user_id, key, payment_method, price)
    if replayed:
        return CheckoutResult(list(checkout.orders), replayed=True, checkout=checkout)
    plan, line_ids = priced
    _claim_cart(actor.user_id, line_ids)
    orders = _create_orders(
        actor, actor.user_id, checkout, address, payment_method, plan, remarks or {}, PLACED()
    )
    return CheckoutResult(orders, replayed=False, checkout=checkout)


_CLAIM_CART = (
    delete(CartItem)
    .where(
        CartItem.user_id == bindparam("buyer_id"),
        CartItem.id.in_(bindparam("line_ids", expanding=True)),
    )
    .execution_options(synchronize_session=False)
)


def _claim_cart(buyer_id: int, line_ids: list[int]) -> None:
    """Take the cart's lines out in one statement: if another checkout took them first (a second
    tab, a twin request without the key), this one is refused and creates nothing."""
    result = db.session.execute(_CLAIM_CART, {"buyer_id": buyer_id, "line_ids": line_ids})
    if result.rowcount != len(line_ids):
        raise IllegalTransition(CART_CHANGED())


# --- 代客下单: a sales manager orders for a customer of their region ------------------------------


def ensure_manager_of(manager: Actor, buyer: User) -> Member:
    """Only a sales manager whose region is the buyer's member region orders for them."""
    if manager.role != Role.SALES_MANAGER:
        raise Forbidden(MANAGERS_ONLY())
    member = db.session.get(Member, buyer.id)
    if member is None or member.region_id is None or member.region_id != manager.region_id:
        raise Forbidden(NOT_YOUR_CUSTOMER())
    return member


def _groups_for_lines(
    member: Member, lines: list[tuple[int, int]]
) -> list[tuple[Store, list[LinePlan]]]:
    """The chosen (sku id, quantity) lines per store, priced at the buyer's level."""
    level_id = member.level_id if member.approved else None
    groups: dict[int, tuple[Store, list[LinePlan]]] = {}
    merged: dict[int, int] = {}
    for sku_id, quantity in lines:
        merged[sku_id] = merged.get(sku_id, 0) + quantity
    for sku_id, quantity in merged.items():
        sku = db.session.get(Sku, sku_id)
        if sku is None or not sku.product.listed or sku.product.deleted_at is not None:
            raise InvalidInput(NOT_LISTED())
        _ensure_quantity(sku.product, quantity)
        store = db.session.get(Store, sku.product.store_id)
        wholesale = store.kind == StoreKind.WHOLESALE
        price = level_price(sku, level_id if wholesale else None)
        groups.setdefault(store.id, (store, []))[1].append(LinePlan(sku, quantity, price))
    return list(groups.values())


def place_orders_for(
    manager: Actor,
    buyer: User,
    address: Address,
    payment_method: str,
    lines: list[tuple[int, int]],
    remark: str,
    key: str,
) -> CheckoutResult:
    """代客下单: the manager orders `lines` (sku id, quantity) for a customer of their region at
    the customer's level prices, to the customer's address, without coupons or points; the
    orders are recorded as placed by the manager. The key places them once."""
    member = ensure_manager_of(manager, buyer)
    _check_common(buyer.id, address, payment_method)
    if not lines:
        raise InvalidInput(NO_LINES())

    def price() -> tuple[CheckoutPlan, list[tuple[Store, list[LinePlan]]]]:
        groups = _groups_for_lines(member, lines)
        return price_checkout(buyer.id, groups, Choices(location=address.position)), groups

    key = key or secrets.token_hex(16)
    checkout, replayed, priced = _priced_claim(buyer.id, key, payment_method, price)
    if replayed:
        return CheckoutResult(list(checkout.orders), replayed=True, checkout=checkout)
    plan, groups = priced
    remarks = {store.id: remark.strip() for store, _ in groups}
    note = PLACED_FOR(name=manager.name)
    orders = _create_orders(
        manager, buyer.id, checkout, address, payment_method, plan, remarks, note, manager.user_id
    )
    return CheckoutResult(orders, replayed=False, checkout=checkout)


# --- the time to pay ---------------------------------------------------------------------------


@on_due(CLOSE_UNPAID)
def close_unpaid(order_id: int) -> None:
    """The time to pay ran out: ask the payments domain first (a missed callback may mark it
    paid), then close the order if it is still unpaid (stock goes back with the close)."""
    order = db.session.get(Order, order_id)
    if order is None or order.status != OrderStatus.PENDING_PAYMENT:
        return
    order_payment_due.send(order)
    db.session.refresh(order)
    if order.status == OrderStatus.PENDING_PAYMENT:
        move_order_once(order, OrderStatus.CLOSED, SYSTEM, UNPAID_CLOSED())


@order_moved.connect
def stop_unpaid_clock(order, frm, to, **_) -> None:
    """Paid or closed some other way: the time to pay no longer applies."""
    if frm == OrderStatus.PENDING_PAYMENT and to != OrderStatus.PENDING_PAYMENT:
        cancel(CLOSE_UNPAID, order.id)
