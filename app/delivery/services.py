"""Same-city dispatch: ship with the delivery assistant, announce, grab or assign, tap through."""

from __future__ import annotations

import secrets

from sqlalchemy import select, update

from app.accounts.actor import SYSTEM, Actor
from app.accounts.models import Role, RoleGrant
from app.clock import utcnow
from app.delivery.models import (
    TAP_TIME_COLUMN,
    TASK_MACHINE,
    DeliveryTask,
    DispatchMode,
    DispatchSettings,
    TaskStatus,
)
from app.errors import AlreadyTaken, IllegalTransition, InvalidInput
from app.extensions import db
from app.i18n_markers import N_
from app.jobs import defer
from app.ordering.events import record_event
from app.ordering.models import Order
from app.ordering.services import move_order
from app.ordering.states import OrderStatus
from app.stores.models import StoreKind


def dispatch_settings() -> DispatchSettings:
    """The single settings row, created on first use with a fresh authorisation code."""
    settings = db.session.execute(select(DispatchSettings).limit(1)).scalar_one_or_none()
    if settings is None:
        settings = DispatchSettings(auth_code=secrets.token_hex(8).upper(), mode=DispatchMode.GRAB)
        db.session.add(settings)
        db.session.flush()
    return settings


def ship_with_assistant(order: Order, actor: Actor) -> DeliveryTask:
    """The store ships a same-city order by 配送助手: the order ships, a task waits for a rider."""
    from app.delivery.tasks import announce_task

    if order.kind != StoreKind.SAME_CITY:
        raise InvalidInput(N_("只有同城订单可以选择配送助手"))
    move_order(order, OrderStatus.SHIPPED, actor, N_("发货方式：配送助手"))
    task = DeliveryTask(
        order_id=order.id,
        store_id=order.store_id,
        mode=dispatch_settings().mode,
        commission_fen=order.store.rider_commission_fen,
    )
    db.session.add(task)
    db.session.flush()
    record_event(
        order.id, actor, None, TaskStatus.WAITING, N_("推送至配送助手"), machine="delivery"
    )
    defer(announce_task, task.id)
    return task


def _move_task(task: DeliveryTask, to: str, actor: Actor, rider_check: bool, **values) -> None:
    frm = task.status
    TASK_MACHINE.guard(frm, to, actor.role)
    values[TAP_TIME_COLUMN[TaskStatus(to)]] = utcnow()
    query = update(DeliveryTask).where(DeliveryTask.id == task.id, DeliveryTask.status == frm)
    if rider_check:
        query = query.where(DeliveryTask.rider_id == actor.user_id)
    result = db.session.execute(
        query.values(status=to, **values).execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.refresh(task)
        if frm == TaskStatus.WAITING and task.rider_id is not None:
            raise AlreadyTaken(N_("已被抢"))
        raise IllegalTransition(N_("配送状态已被更新，请刷新后再试"))
    db.session.refresh(task)
    remark = f"骑手 {task.rider.name} {task.rider.phone}" if task.rider else ""
    record_event(task.order_id, actor, frm, to, remark, machine="delivery")


def grab_task(task: DeliveryTask, actor: Actor) -> bool:
    """First rider to accept wins; everyone after is told 已被抢 and nothing changes.

    The winner tapping again (double tap, replay) is no error: returns False.
    """
    if actor.role != Role.RIDER:
        raise IllegalTransition(N_("只有骑手可以接单"))
    if task.rider_id == actor.user_id:
        return False
    if task.mode != DispatchMode.GRAB or task.announced_at is None:
        raise IllegalTransition(N_("该订单不在抢单池中"))
    if task.status != TaskStatus.WAITING:
        raise AlreadyTaken(N_("已被抢"))
    _move_task(task, TaskStatus.ACCEPTED, actor, rider_check=False, rider_id=actor.user_id)


def assign_task(task: DeliveryTask, rider_id: int, actor: Actor) -> None:
    """Staff hand a waiting task to a chosen rider (分配模式)."""
    is_rider = db.session.execute(
        select(RoleGrant.id).where(RoleGrant.user_id == rider_id, RoleGrant.role == Role.RIDER)
    ).first()
    if not is_rider:
        raise InvalidInput(N_("请选择一名骑手"))
    _move_task(task, TaskStatus.ACCEPTED, actor, rider_check=False, rider_id=rider_id)


def advance_task(task: DeliveryTask, to: str, actor: Actor) -> bool:
    """A rider's status tap. A repeated tap (double tap, replay) changes nothing: returns False."""
    if task.rider_id != actor.user_id:
        raise IllegalTransition(N_("这不是您的配送单"))
    if task.status == to:
        return False
    _move_task(task, to, actor, rider_check=True)
    if to == TaskStatus.DELIVERED:
        move_order(task.order, OrderStatus.COMPLETED, actor, N_("骑手已送达"))
    return True


def cancel_task_of(order: Order) -> None:
    task = db.session.execute(
        select(DeliveryTask).where(DeliveryTask.order_id == order.id)
    ).scalar_one_or_none()
    if task is not None and task.status not in TASK_MACHINE.terminal:
        _move_task(task, TaskStatus.CANCELLED, SYSTEM, rider_check=False)


def next_tap(task: DeliveryTask) -> str | None:
    """The status the rider's big button moves to next, if any."""
    allowed = TASK_MACHINE.allowed(task.status, Role.RIDER)
    return allowed[0] if allowed else None
