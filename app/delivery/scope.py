"""Which delivery tasks a person may see: the pool and their own for riders, all for staff.

Also contributes the riders' order scope to ordering: the orders of the tasks they may see.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, Select, and_, false, or_, select, true

from app.accounts.actor import Actor
from app.accounts.models import Role
from app.delivery.models import DeliveryTask, DispatchMode, TaskStatus
from app.extensions import db
from app.ordering.models import Order
from app.ordering.scope import contribute_scope


def in_pool() -> ColumnElement[bool]:
    """Waiting, in grab mode, and already pushed to riders by the courier job."""
    return and_(
        DeliveryTask.status == TaskStatus.WAITING,
        DeliveryTask.mode == DispatchMode.GRAB,
        DeliveryTask.announced_at.is_not(None),
    )


def task_scope(actor: Actor) -> ColumnElement[bool]:
    match actor.role:
        case Role.OPERATOR | Role.SERVICE:
            return true()
        case Role.STORE_STAFF:
            return DeliveryTask.store_id == actor.store_id
        case Role.RIDER:
            return or_(DeliveryTask.rider_id == actor.user_id, in_pool())
    return false()


def tasks_visible_to(actor: Actor) -> Select:
    return select(DeliveryTask).where(task_scope(actor))


def task_for(actor: Actor, task_id: int) -> DeliveryTask | None:
    """Load one task in scope; a task another rider took answers None (the portal's 404)."""
    return db.session.execute(
        tasks_visible_to(actor).where(DeliveryTask.id == task_id)
    ).scalar_one_or_none()


def _rider_orders(actor: Actor) -> ColumnElement[bool]:
    """A rider sees the orders of their own tasks and of the tasks in the pool."""
    return Order.id.in_(select(DeliveryTask.order_id).where(task_scope(actor)))


contribute_scope(Role.RIDER, _rider_orders)
