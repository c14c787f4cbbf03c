"""The only way portals list or load orders: what this actor may see, as one query."""

from __future__ import annotations

from sqlalchemy import Select, false, or_, select

from app.accounts.actor import Actor
from app.accounts.models import Role
from app.delivery.models import DeliveryTask
from app.delivery.scope import in_pool
from app.extensions import db
from app.ordering.models import Order
from app.stores.models import StoreKind
from app.wholesale.models import Fulfilment


def orders_visible_to(actor: Actor) -> Select:
    query = select(Order)
    match actor.role:
        case Role.OPERATOR | Role.SERVICE:
            return query
        case Role.STORE_STAFF:
            return query.where(Order.store_id == actor.store_id)
        case Role.SALES_MANAGER:
            return query.where(
                Order.kind == StoreKind.WHOLESALE, Order.region_id == actor.region_id
            )
        case Role.DRIVER:
            return query.join(Fulfilment, Fulfilment.order_id == Order.id).where(
                Order.region_id == actor.region_id, Fulfilment.driver_id == actor.user_id
            )
        case Role.RIDER:
            return query.join(DeliveryTask, DeliveryTask.order_id == Order.id).where(
                or_(DeliveryTask.rider_id == actor.user_id, in_pool())
            )
        case Role.BUYER:
            return query.where(Order.buyer_id == actor.user_id)
    return query.where(false())


def order_for(actor: Actor, order_id: int) -> Order | None:
    """Load one order if the actor may see it; None means the portal answers 404."""
    return db.session.execute(
        orders_visible_to(actor).where(Order.id == order_id)
    ).scalar_one_or_none()
