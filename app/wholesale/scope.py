"""The wholesale roles' view of orders, contributed to ordering's one scoping query: a sales
manager sees the region's wholesale orders, a driver the region's orders assigned to them."""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, select

from app.accounts.actor import Actor
from app.accounts.models import Role
from app.ordering.models import Order
from app.ordering.scope import contribute_scope
from app.stores.models import StoreKind
from app.wholesale.models import Fulfilment


def _manager_orders(actor: Actor) -> ColumnElement[bool]:
    return and_(Order.kind == StoreKind.WHOLESALE, Order.region_id == actor.region_id)


def _driver_orders(actor: Actor) -> ColumnElement[bool]:
    assigned = select(Fulfilment.order_id).where(Fulfilment.driver_id == actor.user_id)
    return and_(Order.region_id == actor.region_id, Order.id.in_(assigned))


contribute_scope(Role.SALES_MANAGER, _manager_orders)
contribute_scope(Role.DRIVER, _driver_orders)
