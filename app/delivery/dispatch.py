"""Dispatching in the 配送助手: which tasks wait for staff and who may be given one."""

from __future__ import annotations

from sqlalchemy import select

from app.accounts.actor import Actor
from app.accounts.models import Role, RoleGrant, User
from app.delivery.models import DeliveryTask, DispatchMode, TaskStatus
from app.delivery.scope import tasks_visible_to
from app.delivery.services import _move_task, task_of
from app.errors import AlreadyTaken, Forbidden, IllegalTransition, InvalidInput
from app.extensions import db
from app.i18n_markers import N_
from app.messages import define
from app.ordering.models import Order

CHOOSE_RIDER = define("choose_rider", N_("请选择一名骑手"))
NOT_ASSIGN_MODE = define("not_assign_mode", N_("该配送单为抢单模式，由骑手抢单，不能指派"))
STAFF_ASSIGNS = define("staff_assigns", N_("只有平台人员可以分配骑手"))


def assign_task(task: DeliveryTask, rider_id: int, actor: Actor) -> None:
    """Staff hand a waiting assign-mode task to a chosen rider (分配模式); grab-mode tasks
    belong to the riders' pool and cannot be handed out."""
    if not actor.is_staff:
        raise Forbidden(STAFF_ASSIGNS())
    if task.mode != DispatchMode.ASSIGN:
        raise IllegalTransition(NOT_ASSIGN_MODE())
    if rider_id not in {rider.id for rider in active_riders()}:
        raise InvalidInput(CHOOSE_RIDER())
    if task.rider_id == rider_id:
        return  # the same assignment again
    try:
        _move_task(task, TaskStatus.ACCEPTED, actor, rider_check=False, rider_id=rider_id)
    except AlreadyTaken:
        if task.rider_id != rider_id:
            raise  # a colleague gave it to someone else meanwhile


def tasks_awaiting_assignment(actor: Actor) -> list[DeliveryTask]:
    """Assign-mode tasks nobody has been given yet, oldest first."""
    return list(
        db.session.execute(
            tasks_visible_to(actor)
            .where(
                DeliveryTask.status == TaskStatus.WAITING,
                DeliveryTask.mode == DispatchMode.ASSIGN,
            )
            .order_by(DeliveryTask.created_at)
        ).scalars()
    )


def assignable_task(order: Order) -> DeliveryTask | None:
    """The order's task if staff may hand it to a rider now (assign mode, still waiting)."""
    task = task_of(order)
    if task and task.status == TaskStatus.WAITING and task.mode == DispatchMode.ASSIGN:
        return task
    return None


def active_riders() -> list[User]:
    """Active riders, for the assign-mode form."""
    return list(
        db.session.execute(
            select(User)
            .join(RoleGrant)
            .where(RoleGrant.role == Role.RIDER, User.active.is_(True))
            .order_by(User.name)
        )
        .scalars()
        .unique()
    )
