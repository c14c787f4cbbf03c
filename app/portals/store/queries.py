"""Read-side queries of the store back office, all starting from the actor's scope."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.accounts.actor import Actor
from app.catalog.models import Product
from app.extensions import db
from app.ordering.models import Order
from app.ordering.scope import orders_visible_to
from app.stores.models import Store


def latest_order_id(actor: Actor) -> int:
    """Where the new-order alert starts counting from when a page is drawn."""
    return db.session.scalar(orders_visible_to(actor).with_only_columns(func.max(Order.id))) or 0


def count_new_orders(actor: Actor, since: int) -> int:
    return db.session.scalar(
        orders_visible_to(actor).where(Order.id > since).with_only_columns(func.count(Order.id))
    )


def products_of(store: Store) -> list[Product]:
    return list(
        db.session.execute(
            select(Product)
            .where(Product.store_id == store.id)
            .options(selectinload(Product.skus))
            .order_by(Product.id)
        ).scalars()
    )
