"""The buyer's cart: lines kept per SKU, shown grouped per store; each group becomes one order.

The cart's money is computed here once: the storefront shows it and checkout charges it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Integer, bindparam, select
from sqlalchemy.orm import joinedload

from app.accounts.models import Member, MemberStatus
from app.catalog.models import Product, Sku
from app.catalog.pricing import level_price, level_price_sql
from app.errors import DomainError, InvalidInput, OutOfStock
from app.extensions import db
from app.i18n_markers import N_
from app.messages import define
from app.ordering.models import CartItem
from app.ordering.payment import PAYMENT_METHODS, store_payment_methods
from app.stores.delivery_rules import starting_fee
from app.stores.models import Store, StoreKind
from app.stores.services import ensure_store_open
from app.upsert import upsert_into

NOT_LISTED = define("not_listed", N_("商品不存在或已下架"))
PACK_MULTIPLE = define("pack_multiple", N_("「%(product)s」须按 %(step)s 的整数倍订购"))
STOCK_LEFT = define("stock_left", N_("「%(product)s」库存不足，仅剩 %(left)s"))
NOT_IN_CART = define("not_in_cart", N_("购物车中没有这件商品"))
MEMBERS_ONLY = define("members_only", N_("批发商品仅对已审核会员开放，请完善资料并等待审核"))
NO_REGION = define("no_region", N_("您的账号尚未分配业务区域，请联系客服"))
UNLISTED_IN_CART = define("unlisted_in_cart", N_("「%(product)s」已下架，请从购物车移除后再结算"))


def off_sale(listed: bool, deleted_at) -> bool:
    """A product taken off sale (unlisted or deleted): its cart lines cannot be bought."""
    return not listed or deleted_at is not None


def line_unavailable(line: CartItem) -> bool:
    """A cart line whose product was taken off sale (unlisted or deleted) since it was added:
    the cart shows it as 已下架 and checkout refuses it until the buyer removes it."""
    product = line.sku.product
    return off_sale(product.listed, product.deleted_at)


@dataclass
class CartGroup:
    """One store's lines in the cart: they become one order at checkout."""

    store: Store
    lines: list[CartItem] = field(default_factory=list)
    # an approved member's level at a wholesale store: their level's prices (None: base prices)
    level_id: int | None = None

    def unit_price(self, line: CartItem) -> int:
        """What one piece of the line costs this buyer (fen): the price checkout charges."""
        return level_price(line.sku, self.level_id)

    def line_fen(self, line: CartItem) -> int:
        return self.unit_price(line) * line.quantity

    @property
    def goods_fen(self) -> int:
        """What the lines on sale cost (a line taken off sale is not counted: it cannot be
        bought)."""
        return sum(self.line_fen(line) for line in self.lines if not line_unavailable(line))

    @property
    def delivery_fee_fen(self) -> int:
        """The least the delivery costs; with fees by distance the checkout prices the address."""
        return starting_fee(self.store)

    @property
    def fee_by_distance(self) -> bool:
        return bool(self.store.delivery_fee_tiers) and self.store.kind == StoreKind.SAME_CITY

    @property
    def short_of_minimum_fen(self) -> int:
        """How much more goods reach the store's 起送价 (0 when reached or none)."""
        minimum = self.store.min_order_fen if self.store.kind == StoreKind.SAME_CITY else 0
        return max(minimum - self.goods_fen, 0)

    @property
    def total_fen(self) -> int:
        return self.goods_fen + self.delivery_fee_fen


@dataclass
class Cart:
    groups: list[CartGroup]

    @property
    def line_count(self) -> int:
        return sum(len(group.lines) for group in self.groups)

    @property
    def total_fen(self) -> int:
        return sum(group.total_fen for group in self.groups)

    @property
    def cash_on_delivery_only(self) -> bool:
        """Every store in the cart takes nothing but cash on delivery."""
        return self.payment_methods == ["cod"]

    @property
    def payment_methods(self) -> list[str]:
        """The payment methods every store in the cart accepts (one payment covers them all)."""
        accepted = set(PAYMENT_METHODS)
        for group in self.groups:
            accepted &= set(store_payment_methods(group.store))
        return [m for m in PAYMENT_METHODS if m in accepted]

    @property
    def unavailable_lines(self) -> list[CartItem]:
        """Lines whose product is no longer on sale (已下架), in cart order."""
        return [line for group in self.groups for line in group.lines if line_unavailable(line)]

    def ensure_all_available(self) -> None:
        """Checkout takes only what is on sale: name the first product taken off sale."""
        for line in self.unavailable_lines:
            raise DomainError(UNLISTED_IN_CART(product=line.sku.product.name))

    @property
    def store_ids(self) -> list[int]:
        return [group.store.id for group in self.groups]

    @property
    def delivered_by_distance(self) -> list[str]:
        """The same-city stores in the cart: their delivery depends on how far the address is."""
        return [
            group.store.name for group in self.groups if group.store.kind == StoreKind.SAME_CITY
        ]


def cart_of(buyer_id: int) -> Cart:
    """The buyer's cart by store, in the order lines were added, priced for this buyer: an
    approved member pays their level's prices at wholesale stores."""
    groups: dict[int, CartGroup] = {}
    rows = db.session.execute(  # the lines with SKU, product and store, in one query
        select(CartItem, Store)
        .join(Sku, Sku.id == CartItem.sku_id)
        .join(Product, Product.id == Sku.product_id)
        .join(Store, Store.id == Product.store_id)
        .where(CartItem.user_id == buyer_id)
        .options(joinedload(CartItem.sku).joinedload(Sku.product))
        .order_by(CartItem.id)
    ).all()
    lines = [line for line, _ in rows]
    stores = {store.id: store for _, store in rows}
    level_id = None
    if any(store.kind == StoreKind.WHOLESALE for store in stores.values()):
        member = db.session.get(Member, buyer_id)
        level_id = member.level_id if member is not None and member.approved else None
    for line in lines:
        store_id = line.sku.product.store_id
        if store_id not in groups:
            store = stores[store_id]
            wholesale = store.kind == StoreKind.WHOLESALE
            groups[store_id] = CartGroup(store, level_id=level_id if wholesale else None)
        groups[store_id].lines.append(line)
    return Cart(list(groups.values()))


@dataclass(frozen=True)
class CartBar:
    """The bar under a store or product page: what `Cart.line_count` and `Cart.total_fen` say,
    read without loading the cart's lines, SKUs, products and stores."""

    line_count: int
    total_fen: int


def _cart_bar_query():
    """Each line's quantity and unit price for this buyer (`CartGroup.unit_price` in SQL: an
    approved member's level price at a wholesale store, else the base price), whether it is on
    sale, and its store's delivery fee facts; :buyer_id bound. Built once."""
    buyer = bindparam("buyer_id", type_=Integer)
    approved_level = (
        select(Member.level_id)
        .where(Member.user_id == buyer, Member.status == MemberStatus.APPROVED)
        .scalar_subquery()
    )
    priced = level_price_sql(approved_level)
    return (
        select(
            CartItem.quantity,
            priced.price.label("unit_fen"),
            Product.listed,
            Product.deleted_at,
            Store.id.label("store_id"),
            Store.delivery_fee_fen,
            Store.delivery_fee_tiers,
        )
        .join(Sku, Sku.id == CartItem.sku_id)
        .join(Product, Product.id == Sku.product_id)
        .join(Store, Store.id == Product.store_id)
        .outerjoin(priced.level, priced.onclause)
        .where(CartItem.user_id == buyer)
    )


_CART_BAR = _cart_bar_query()


def cart_bar(buyer_id: int) -> CartBar:
    """The cart bar's figures in one narrow statement: the lines, and the goods on sale plus
    each store's starting delivery fee (what `cart_of(...).total_fen` adds up)."""
    rows = db.session.execute(_CART_BAR, {"buyer_id": buyer_id}).all()
    stores = {row.store_id: row for row in rows}
    goods = sum(
        row.unit_fen * row.quantity for row in rows if not off_sale(row.listed, row.deleted_at)
    )
    fees = sum(starting_fee(store) for store in stores.values())
    return CartBar(len(rows), goods + fees)


def _pack_step(product: Product) -> int:
    return max(product.min_order_qty, 1)


def ensure_can_buy_from(buyer_id: int, store: Store) -> Member | None:
    """An open store; wholesale stores sell only to approved members with a region."""
    ensure_store_open(store)
    if store.kind != StoreKind.WHOLESALE:
        return None
    member = db.session.get(Member, buyer_id)
    if member is None or not member.approved:
        raise DomainError(MEMBERS_ONLY())
    if member.region_id is None:
        raise DomainError(NO_REGION())
    return member


def add_to_cart(buyer_id: int, sku_id: int, quantity: int) -> CartItem:
    """Add a multiple of the product's minimum order quantity; the line grows if it exists."""
    sku = db.session.get(Sku, sku_id, options=[joinedload(Sku.product)])
    if sku is None or not sku.product.listed:
        raise InvalidInput(NOT_LISTED())
    product: Product = sku.product
    ensure_can_buy_from(buyer_id, db.session.get(Store, product.store_id))
    step = _pack_step(product)
    if quantity <= 0 or quantity % step:
        raise InvalidInput(PACK_MULTIPLE(product=product.name, step=step))
    # One statement adds the line or grows it: two adds at the same moment never collide on
    # the (buyer, SKU) key. Over stock, the refusal rolls the whole request back.
    stmt = upsert_into(CartItem).values(user_id=buyer_id, sku_id=sku_id, quantity=quantity)
    stmt = stmt.on_conflict_do_update(
        index_elements=[CartItem.user_id, CartItem.sku_id],
        set_={"quantity": CartItem.quantity + stmt.excluded.quantity},
    ).returning(CartItem)
    line = db.session.scalars(stmt, execution_options={"populate_existing": True}).one()
    if line.quantity > sku.stock:
        raise OutOfStock(STOCK_LEFT(product=product.name, left=sku.stock))
    return line


def set_cart_quantity(buyer_id: int, line_id: int, quantity: int) -> None:
    line = db.session.get(CartItem, line_id)
    if line is None or line.user_id != buyer_id:
        raise InvalidInput(NOT_IN_CART())
    if quantity <= 0:
        db.session.delete(line)
        return
    product = line.sku.product
    step = _pack_step(product)
    if quantity % step:
        raise InvalidInput(PACK_MULTIPLE(product=product.name, step=step))
    if quantity > line.sku.stock:
        raise OutOfStock(STOCK_LEFT(product=product.name, left=line.sku.stock))
    line.quantity = quantity
