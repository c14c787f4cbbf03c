"""The order lists of every desktop portal: one search, always inside the actor's scope."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import ColumnElement, ScalarSelect, Select, func, or_, select

from app.accounts.actor import Actor
from app.accounts.models import User
from app.clock import local_day_start
from app.extensions import db
from app.ordering.models import Order, OrderItem
from app.ordering.scope import order_scope, orders_visible_to


@dataclass(frozen=True)
class OrderFilter:
    """What a person typed into a list's filter bar; empty values filter nothing."""

    status: str | None = None
    q: str = ""  # order number, contact phone or the buyer's account phone
    date_from: date | None = None  # Shanghai calendar days, inclusive
    date_to: date | None = None
    store_id: int | None = None
    kind: str | None = None


def order_search(actor: Actor, f: OrderFilter) -> list[ColumnElement[bool]]:
    """The WHERE of an order list: the actor's scope (`order_scope`, as `orders_visible_to`
    uses it) and what the filter bar asks for. Lists show it newest first (`NEWEST_FIRST`)."""
    where = [order_scope(actor)]
    if f.status:
        where.append(Order.status == f.status)
    if f.store_id:
        where.append(Order.store_id == f.store_id)
    if f.kind:
        where.append(Order.kind == f.kind)
    if f.q:
        buyers = select(User.id).where(User.phone == f.q)
        where.append(
            or_(
                Order.no.contains(f.q, autoescape=True),
                Order.contact_phone.contains(f.q, autoescape=True),
                Order.buyer_id.in_(buyers),
            )
        )
    if f.date_from:
        where.append(Order.created_at >= local_day_start(f.date_from))
    if f.date_to:
        where.append(Order.created_at < local_day_start(f.date_to + timedelta(days=1)))
    return where


NEWEST_FIRST = (Order.created_at.desc(), Order.id.desc())


def latest_order_query(actor: Actor) -> Select:
    """Where the new-order alert starts counting from when a page is drawn."""
    return orders_visible_to(actor).with_only_columns(func.max(Order.id))


def pieces_of(order_id) -> ScalarSelect:
    """How many pieces an order holds, summed in SQL, correlated to `order_id` (the list's
    `Order.id`, a task's `DeliveryTask.order_id`): a card says "共 n 件" without its items."""
    return (
        select(func.coalesce(func.sum(OrderItem.quantity), 0))
        .where(OrderItem.order_id == order_id)
        .scalar_subquery()
    )


def count_new_orders(actor: Actor, since: int) -> int:
    return db.session.scalar(
        orders_visible_to(actor).where(Order.id > since).with_only_columns(func.count(Order.id))
    )
