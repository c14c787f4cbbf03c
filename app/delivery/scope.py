"""Which delivery tasks a person may see: the pool (on duty) and their own for riders, the
assistant's tasks for its dispatchers, all for staff.

Also contributes the riders' order scope to ordering: the orders of the tasks they may see.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, Select, and_, bindparam, exists, false, or_, select, true
from sqlalchemy.orm import joinedload, lazyload, selectinload

from app.accounts.actor import Actor
from app.accounts.models import Role
from app.delivery.models import (
    DeliveryTask,
    DispatchMode,
    RiderProfile,
    RiderStatus,
    TaskStatus,
)
from app.extensions import db
from app.ordering.models import Order
from app.ordering.scope import contribute_scope

ASSISTANT = "assistant"  # the platform's own riders; a courier platform's tasks ("dada") are not


def in_pool() -> ColumnElement[bool]:
    """Waiting, in grab mode, carried by the platform's own riders (a Dada task never shows),
    and already pushed to riders by the courier job."""
    return and_(
        DeliveryTask.status == TaskStatus.WAITING,
        DeliveryTask.mode == DispatchMode.GRAB,
        DeliveryTask.courier == ASSISTANT,
        DeliveryTask.announced_at.is_not(None),
    )


def on_duty(rider_id: int | None) -> ColumnElement[bool]:
    """The rider is approved and at work (开工): only then is the pool theirs to see."""
    return exists().where(
        RiderProfile.user_id == rider_id,
        RiderProfile.on_duty.is_(True),
        RiderProfile.status == RiderStatus.APPROVED,
    )


def rider_scope(rider_id) -> ColumnElement[bool]:
    """A rider's tasks: their own, and the pool's while they are at work. `rider_id`: a value or
    a bound parameter (the pool page's statements are built once with it)."""
    return or_(DeliveryTask.rider_id == rider_id, and_(in_pool(), on_duty(rider_id)))


def task_scope(actor: Actor) -> ColumnElement[bool]:
    match actor.role:
        case Role.OPERATOR | Role.SERVICE:
            return true()
        case Role.STORE_STAFF:
            return DeliveryTask.store_id == actor.store_id
        case Role.RIDER:
            return rider_scope(actor.user_id)
        case Role.DISPATCHER:
            return DeliveryTask.courier == ASSISTANT  # the 配送助手's back office: all its tasks
    return false()


def tasks_visible_to(actor: Actor) -> Select:
    return select(DeliveryTask).where(task_scope(actor))


# A rider's every tap and grab loads one task in their scope: the statement is built once, only
# its two parameters change (the same scope as task_scope's rider case). The card drawn after a
# tap shows the store, the order and its items: they come in the same query (items in one more).
RIDER_TASK = (
    select(DeliveryTask)
    .options(
        joinedload(DeliveryTask.store),
        joinedload(DeliveryTask.order).options(lazyload(Order.store), selectinload(Order.items)),
    )
    .where(DeliveryTask.id == bindparam("task_id"), rider_scope(bindparam("rider_id")))
)

# Whether that task is still in the rider's scope, without loading it: what a grab looks at
# first (taken by another rider, it has left the scope: 已被抢). Same parameters.
RIDER_TASK_IN_SCOPE = select(DeliveryTask.id).where(RIDER_TASK.whereclause)


def task_for(actor: Actor, task_id: int) -> DeliveryTask | None:
    """Load one task in scope; a task another rider took answers None (the portal's 404)."""
    if actor.role == Role.RIDER:
        found = db.session.execute(RIDER_TASK, {"task_id": task_id, "rider_id": actor.user_id})
        return found.scalar_one_or_none()
    return db.session.execute(
        tasks_visible_to(actor).where(DeliveryTask.id == task_id)
    ).scalar_one_or_none()


def _rider_orders(actor: Actor) -> ColumnElement[bool]:
    """A rider sees the orders of their own tasks and of the tasks in the pool."""
    return Order.id.in_(select(DeliveryTask.order_id).where(task_scope(actor)))


contribute_scope(Role.RIDER, _rider_orders)
