"""Read-side shapes of the storefront: the cart grouped by store, products on a store page."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.accounts.actor import Actor
from app.accounts.models import Address
from app.catalog.models import Product
from app.extensions import db
from app.ordering.models import CartItem
from app.ordering.services import cart_lines
from app.stores.models import Store


@dataclass
class CartGroup:
    """One store's lines in the cart: they become one order at checkout."""

    store: Store
    lines: list[CartItem] = field(default_factory=list)

    @property
    def goods_fen(self) -> int:
        return sum(line.sku.price_fen * line.quantity for line in self.lines)

    @property
    def total_fen(self) -> int:
        return self.goods_fen + self.store.delivery_fee_fen


@dataclass
class Cart:
    groups: list[CartGroup]

    @property
    def line_count(self) -> int:
        return sum(len(group.lines) for group in self.groups)

    @property
    def total_fen(self) -> int:
        return sum(group.total_fen for group in self.groups)


def cart_of(actor: Actor | None) -> Cart | None:
    """The buyer's cart by store, in the order lines were added; None for a visitor."""
    if actor is None:
        return None
    groups: dict[int, CartGroup] = {}
    for line in cart_lines(actor.user_id):
        store_id = line.sku.product.store_id
        if store_id not in groups:
            groups[store_id] = CartGroup(db.session.get(Store, store_id))
        groups[store_id].lines.append(line)
    return Cart(list(groups.values()))


def listed_products(store: Store) -> list[Product]:
    return list(
        db.session.execute(
            select(Product)
            .where(Product.store_id == store.id, Product.listed.is_(True))
            .options(selectinload(Product.skus))
            .order_by(Product.id)
        ).scalars()
    )


def addresses_of(actor: Actor) -> list[Address]:
    return list(
        db.session.execute(
            select(Address)
            .where(Address.user_id == actor.user_id)
            .order_by(Address.is_default.desc(), Address.id)
        ).scalars()
    )
