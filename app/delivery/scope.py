"""Which delivery tasks a person may see: the pool and their own for riders, all for staff."""

from __future__ import annotations

from sqlalchemy import ColumnElement, Select, and_, false, or_, select

from app.accounts.actor import Actor
from app.accounts.models import Role
from app.delivery.models import DeliveryTask, DispatchMode, TaskStatus
from app.extensions import db


def in_pool() -> ColumnElement[bool]:
    """Waiting, in grab mode, and already pushed to riders by the courier job."""
    return and_(
        DeliveryTask.status == TaskStatus.WAITING,
        DeliveryTask.mode == DispatchMode.GRAB,
        DeliveryTask.announced_at.is_not(None),
    )


def tasks_visible_to(actor: Actor) -> Select:
    query = select(DeliveryTask)
    match actor.role:
        case Role.OPERATOR | Role.SERVICE:
            return query
        case Role.STORE_STAFF:
            return query.where(DeliveryTask.store_id == actor.store_id)
        case Role.RIDER:
            return query.where(or_(DeliveryTask.rider_id == actor.user_id, in_pool()))
    return query.where(false())


def task_for(actor: Actor, task_id: int) -> DeliveryTask | None:
    """Load one task in scope; a task another rider took answers None (the portal's 404)."""
    return db.session.execute(
        tasks_visible_to(actor).where(DeliveryTask.id == task_id)
    ).scalar_one_or_none()
