"""The only way portals list or load orders: what this actor may see, as one query.

Ordering knows the roles whose scope is about orders themselves (staff, store, buyer). A
fulfilment domain (wholesale drivers and managers, same-city riders, later drop-ship factories
and group-buy leaders) contributes the predicate for its own roles with `contribute_scope`, so
ordering never imports it.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import ColumnElement, Select, false, select, true

from app.accounts.actor import Actor
from app.accounts.models import Role
from app.extensions import db
from app.ordering.models import Order

ScopeRule = Callable[[Actor], ColumnElement[bool]]

_RULES: dict[str, ScopeRule] = {
    Role.OPERATOR: lambda actor: true(),
    Role.SERVICE: lambda actor: true(),
    Role.STORE_STAFF: lambda actor: Order.store_id == actor.store_id,
    Role.BUYER: lambda actor: Order.buyer_id == actor.user_id,
}


def contribute_scope(role: str, rule: ScopeRule) -> None:
    """A fulfilment domain says which orders its role sees (one predicate on Order)."""
    _RULES[role] = rule


def order_scope(actor: Actor) -> ColumnElement[bool]:
    rule = _RULES.get(actor.role)
    return rule(actor) if rule else false()


def orders_visible_to(actor: Actor) -> Select:
    return select(Order).where(order_scope(actor))


def order_for(actor: Actor, order_id: int) -> Order | None:
    """Load one order if the actor may see it; None means the portal answers 404."""
    return db.session.execute(
        orders_visible_to(actor).where(Order.id == order_id)
    ).scalar_one_or_none()


def order_numbered(actor: Actor, no: str) -> Order | None:
    """Load one order by its order number (what buyers' URLs carry) if the actor may see it."""
    return db.session.execute(orders_visible_to(actor).where(Order.no == no)).scalar_one_or_none()
