"""The order lists of every desktop portal: one search, always inside the actor's scope."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import selectinload

from app.accounts.actor import Actor
from app.accounts.models import User
from app.clock import local_day_start
from app.extensions import db
from app.ordering.models import Order
from app.ordering.scope import orders_visible_to


@dataclass(frozen=True)
class OrderFilter:
    """What a person typed into a list's filter bar; empty values filter nothing."""

    status: str | None = None
    q: str = ""  # order number, contact phone or the buyer's account phone
    date_from: date | None = None  # Shanghai calendar days, inclusive
    date_to: date | None = None
    store_id: int | None = None
    kind: str | None = None


def search_orders(actor: Actor, f: OrderFilter) -> Select:
    """Newest first, with the items loaded up front (one more query, none per row); a portal
    adds the loader options of the fulfilment it shows."""
    query = orders_visible_to(actor).options(selectinload(Order.items))
    if f.status:
        query = query.where(Order.status == f.status)
    if f.store_id:
        query = query.where(Order.store_id == f.store_id)
    if f.kind:
        query = query.where(Order.kind == f.kind)
    if f.q:
        buyers = select(User.id).where(User.phone == f.q)
        query = query.where(
            or_(
                Order.no.contains(f.q, autoescape=True),
                Order.contact_phone.contains(f.q, autoescape=True),
                Order.buyer_id.in_(buyers),
            )
        )
    if f.date_from:
        query = query.where(Order.created_at >= local_day_start(f.date_from))
    if f.date_to:
        query = query.where(Order.created_at < local_day_start(f.date_to + timedelta(days=1)))
    return query.order_by(Order.created_at.desc(), Order.id.desc())


def latest_order_id(actor: Actor) -> int:
    """Where the new-order alert starts counting from when a page is drawn."""
    return db.session.scalar(orders_visible_to(actor).with_only_columns(func.max(Order.id))) or 0


def count_new_orders(actor: Actor, since: int) -> int:
    return db.session.scalar(
        orders_visible_to(actor).where(Order.id > since).with_only_columns(func.count(Order.id))
    )
