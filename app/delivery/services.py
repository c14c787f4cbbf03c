"""Same-city dispatch: ship with the delivery assistant, announce, grab or assign, tap through."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import Integer, Select, bindparam, select, update
from sqlalchemy.orm import lazyload
from sqlalchemy.orm.attributes import set_committed_value

from app.accounts.actor import SYSTEM, Actor
from app.accounts.models import Role
from app.clock import utcnow
from app.delivery.models import (
    ACTIVE,
    FINISHED,
    TAP_TIME_COLUMN,
    TASK_MACHINE,
    DeliveryTask,
    DispatchMode,
    DispatchSettings,
    RiderProfile,
    TaskStatus,
)
from app.delivery.riders import check_can_take
from app.delivery.rules import task_commission
from app.delivery.scope import ASSISTANT, RIDER_TASK, in_pool, rider_scope, tasks_visible_to
from app.delivery.signals import task_created, task_delivered, task_moved
from app.delivery.tasks import announce_task
from app.errors import AlreadyTaken, DomainError, Forbidden, IllegalTransition, InvalidInput
from app.extensions import db
from app.i18n_markers import N_
from app.jobs import defer
from app.messages import Message, define
from app.ordering.events import record_event
from app.ordering.models import Order
from app.ordering.search import pieces_of
from app.ordering.services import move_order, move_order_once
from app.ordering.states import ORDER_MACHINE, OrderStatus
from app.statemachine import MOVE_NOT_ALLOWED
from app.stores.models import Store, StoreKind

SAME_CITY_ONLY = define("same_city_only", N_("只有同城订单可以选择配送助手"))
TAKEN = define("taken", N_("已被抢"))
TASK_CHANGED = define("task_changed", N_("配送状态已被更新，请刷新后再试"))
RIDERS_ONLY = define("riders_only", N_("只有骑手可以接单"))
NOT_IN_POOL = define("not_in_pool", N_("该订单不在抢单池中"))
NOT_YOUR_TASK = define("not_your_task", N_("这不是您的配送单"))

# Timeline notes
PUSHED = define("pushed_to_assistant", N_("推送至配送助手"))
SHIPPED_BY_ASSISTANT = define("shipped_by_assistant", N_("发货方式：配送助手"))
RIDER_ON_TASK = define("rider_on_task", N_("骑手 %(name)s %(phone)s"))
RIDER_DELIVERED = define("rider_delivered", N_("骑手已送达"))
ANNOUNCE_SUMMARY = define("job_announce_task", N_("推送骑手：订单 %(no)s"))
ENDED_WITH_ORDER = define("task_ended_with_order", N_("订单已完成，配送单随之结束"))


def dispatch_settings() -> DispatchSettings:
    """The single settings row (created by the migration, or the seed in a fresh test world)."""
    settings = db.session.execute(select(DispatchSettings).limit(1)).scalar_one_or_none()
    if settings is None:
        raise LookupError("dispatch_settings has no row: run `flask db upgrade`")
    return settings


def install_dispatch_settings() -> DispatchSettings:
    """Create the singleton row if it is missing (seed and test set-up; never from a read)."""
    settings = db.session.execute(select(DispatchSettings).limit(1)).scalar_one_or_none()
    if settings is None:
        settings = DispatchSettings(auth_code=secrets.token_hex(8).upper(), mode=DispatchMode.GRAB)
        db.session.add(settings)
        db.session.flush()
    return settings


def ship_with_assistant(order: Order, actor: Actor) -> DeliveryTask:
    """The store ships a same-city order by 配送助手: the order ships, a task waits for a rider."""
    if order.kind != StoreKind.SAME_CITY:
        raise InvalidInput(SAME_CITY_ONLY())
    if not move_order_once(
        order, OrderStatus.SHIPPED, actor, SHIPPED_BY_ASSISTANT(), courier_confirms=True
    ):
        existing = task_of(order)  # shipped already: by 配送助手 (a double submit) or not
        if existing is None:
            raise IllegalTransition(
                MOVE_NOT_ALLOWED(
                    current=ORDER_MACHINE.label(order.status),
                    to=ORDER_MACHINE.label(OrderStatus.SHIPPED),
                )
            )
        return existing
    settings = dispatch_settings()
    fresh = dict(
        mode=settings.mode,
        commission_fen=task_commission(settings, order),
        distance_m=order.delivery_distance_m,
    )
    task = task_of(order)
    if task is None:
        task = DeliveryTask(order_id=order.id, store_id=order.store_id, **fresh)
        db.session.add(task)
        db.session.flush()
        frm = None
    else:  # its delivery was cancelled before pickup and the store ships it again
        frm = task.status
        _wait_again(task, actor, fresh)
    task_created.send(task, actor=actor)
    record_event(order.id, actor, frm, TaskStatus.WAITING, PUSHED(), machine="delivery")
    defer(announce_task, task.id, summary=ANNOUNCE_SUMMARY(no=order.no))
    return task


def _wait_again(task: DeliveryTask, actor: Actor, fresh: dict) -> None:
    """The order's cancelled task (one task per order) waits for a rider again, as new: no
    rider, no taps, no alarm, the assistant's current mode and commission."""
    TASK_MACHINE.guard(task.status, TaskStatus.WAITING, actor.role)
    cleared = dict.fromkeys(TAP_TIME_COLUMN.values())
    result = db.session.execute(
        update(DeliveryTask)
        .where(DeliveryTask.id == task.id, DeliveryTask.status == TaskStatus.CANCELLED)
        .values(
            status=TaskStatus.WAITING,
            courier="assistant",
            rider_id=None,
            assigned_by_id=None,
            announced_at=None,
            alarmed_at=None,
            cancel_reason="",
            courier_order_no=None,
            courier_status=None,
            courier_rider_name=None,
            courier_rider_phone=None,
            courier_fee_fen=None,
            courier_deduct_fen=None,
            created_at=utcnow(),
            **cleared,
            **fresh,
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise IllegalTransition(TASK_CHANGED())
    db.session.refresh(task)


def _move_task(
    task: DeliveryTask,
    to: str,
    actor: Actor,
    rider_check: bool,
    note: Message | None = None,
    **values,
) -> None:
    frm = task.status
    TASK_MACHINE.guard(frm, to, actor.role)
    column = TAP_TIME_COLUMN.get(TaskStatus(to))  # none for 待接单 (a task waiting again)
    if column:
        values[column] = utcnow()
    query = update(DeliveryTask).where(DeliveryTask.id == task.id, DeliveryTask.status == frm)
    if rider_check:
        query = query.where(DeliveryTask.rider_id == actor.user_id)
    result = db.session.execute(
        query.values(status=to, **values).execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.refresh(task)
        if frm == TaskStatus.WAITING and task.rider_id is not None:
            raise AlreadyTaken(TAKEN())
        raise IllegalTransition(TASK_CHANGED())
    _written(task, status=to, **values)
    if note is None and task.rider:
        note = RIDER_ON_TASK(name=task.rider.name, phone=task.rider.phone)
    record_event(task.order_id, actor, frm, to, note, machine="delivery")
    task_moved.send(task, frm=frm, to=to, actor=actor)
    if to == TaskStatus.DELIVERED:
        task_delivered.send(task, actor=actor)


def _written(task: DeliveryTask, **values) -> None:
    """The compare-and-set wrote these values: the loaded task takes them without reading the
    row again (its rider, if it changed, is found in the session, usually without a query)."""
    for name, value in values.items():
        set_committed_value(task, name, value)
    if "rider_id" in values:
        db.session.expire(task, ["rider"])


def may_grab(task: DeliveryTask) -> bool:
    """Still waiting for a rider: the pool's 抢单 button shows."""
    return task.status == TaskStatus.WAITING and task.rider_id is None


def grab_task(task: DeliveryTask, actor: Actor, locked: RiderProfile | None = None) -> bool:
    """First rider to accept wins; everyone after is told 已被抢 and nothing changes.

    The rider must be allowed to take a task (approved, on duty, under their cap: checked under
    the lock of their profile, so two grabs at once cannot pass the cap together). The winner
    tapping again (double tap, replay) is no error: returns False. `locked`: the rider's profile
    already locked in this transaction (`riders.lock_profile`), not read again.
    """
    if actor.role != Role.RIDER:
        raise Forbidden(RIDERS_ONLY())
    if task.rider_id == actor.user_id:
        return False
    if task.mode != DispatchMode.GRAB or task.courier != ASSISTANT or task.announced_at is None:
        raise IllegalTransition(NOT_IN_POOL())
    if task.status != TaskStatus.WAITING:
        raise AlreadyTaken(TAKEN())
    try:
        check_can_take(actor.user_id, locked)
    except DomainError:
        db.session.refresh(task)  # waited on the lock behind my own twin tap, which won
        if task.rider_id == actor.user_id:
            return False
        raise
    try:
        _move_task(task, TaskStatus.ACCEPTED, actor, rider_check=False, rider_id=actor.user_id)
    except AlreadyTaken:
        if task.rider_id == actor.user_id:
            return False  # my own twin tap won: the task is mine, no loss to report
        raise
    return True


def advance_task(task: DeliveryTask, to: str, actor: Actor) -> bool:
    """A rider's status tap. A repeated tap (double tap, replay) changes nothing: returns False."""
    if task.rider_id != actor.user_id:
        raise Forbidden(NOT_YOUR_TASK())
    if task.status == to:
        return False
    try:
        _move_task(task, to, actor, rider_check=True)
    except IllegalTransition:
        if task.status == to:
            return False  # a twin of this tap won the compare-and-set: same outcome
        raise
    if to == TaskStatus.DELIVERED and task.order.status == OrderStatus.SHIPPED:  # read on 送达 only
        move_order(task.order, OrderStatus.COMPLETED, actor, RIDER_DELIVERED())
    return True


def cancel_task_of(order: Order) -> None:
    task = task_of(order)
    if task is not None and task.status not in TASK_MACHINE.terminal:
        _move_task(task, TaskStatus.CANCELLED, SYSTEM, rider_check=False)


def end_task_with_order(order: Order) -> None:
    """The order was completed by someone else first (the platform): the task ends too, as
    delivered if a rider has it (their commission stands), cancelled if nobody took it."""
    task = task_of(order)
    if task is None or task.status in TASK_MACHINE.terminal:
        return
    to = TaskStatus.CANCELLED if task.status == TaskStatus.WAITING else TaskStatus.DELIVERED
    _move_task(task, to, SYSTEM, rider_check=False, note=ENDED_WITH_ORDER())


def task_of(order: Order) -> DeliveryTask | None:
    """The order's same-city delivery task, if it went by 配送助手."""
    return db.session.execute(
        select(DeliveryTask).where(DeliveryTask.order_id == order.id)
    ).scalar_one_or_none()


def next_tap(task: DeliveryTask) -> str | None:
    """The status the rider's big button moves to next, if any."""
    allowed = TASK_MACHINE.allowed(task.status, Role.RIDER)
    return allowed[0] if allowed else None


# ---- what the rider and the dispatcher look at -------------------------------------------------


def _waiting(tasks: Select) -> Select:
    """The grab pool among `tasks`, newest announcement first."""
    return tasks.where(in_pool()).order_by(DeliveryTask.announced_at.desc(), DeliveryTask.id.desc())


def _on_hand(tasks: Select, rider_id) -> Select:
    """The rider's tasks on their hands among `tasks`, oldest first (`rider_id`: a value or a
    bound parameter)."""
    return tasks.where(DeliveryTask.rider_id == rider_id, DeliveryTask.status.in_(ACTIVE)).order_by(
        DeliveryTask.accepted_at
    )


def rider_tasks(actor: Actor, finished: bool) -> Select:
    """The rider's own tasks: on their hands (oldest first) or finished (newest first)."""
    if not finished:
        return _on_hand(tasks_visible_to(actor), actor.user_id)
    return (
        tasks_visible_to(actor)
        .where(DeliveryTask.rider_id == actor.user_id, DeliveryTask.status.in_(FINISHED))
        .order_by(DeliveryTask.accepted_at.desc())
    )


# ---- the pool's cards, as rows ---------------------------------------------------------------

# How many pieces the order holds (a card shows "共 n 件商品", never the items).
PIECES = pieces_of(DeliveryTask.order_id).label("pieces")
# What a pool card shows: the task, its store (`lat`/`lng` are the store's, for the pickup
# distance), the order's address, slot and total, and the pieces.
CARD_COLUMNS = (
    DeliveryTask.id,
    DeliveryTask.status,
    DeliveryTask.commission_fen,
    DeliveryTask.distance_m,
    DeliveryTask.rider_id,
    Store.name.label("store_name"),
    Store.address.label("store_address"),
    Store.lat,
    Store.lng,
    Order.address,
    Order.delivery_slot_at,
    Order.total_fen,
    PIECES,
)


def as_cards(tasks: Select) -> Select:
    """The same tasks (the same WHERE and ORDER BY) as the plain rows of their cards: no ORM
    objects, the store and the order joined (every task has both, so no task is lost)."""
    return (
        tasks.with_only_columns(*CARD_COLUMNS)
        .select_from(DeliveryTask)
        .join(Store, Store.id == DeliveryTask.store_id)
        .join(Order, Order.id == DeliveryTask.order_id)
    )


@dataclass(frozen=True)
class PoolStatements:
    """The rider's pool page: its cards, their ids (what the capped count counts and the 204
    poll compares) and the rider's own tasks on hand as cards, with the rider's id to bind."""

    cards: Select
    ids: Select
    mine: Select
    params: dict


def _rider_pool_statements() -> tuple[Select, Select, Select]:
    """Built once: the statements differ between riders only in the bound :rider_id, inside
    the same scope `task_scope` gives a rider (`rider_scope`)."""
    rider_id = bindparam("rider_id", type_=Integer)
    theirs = select(DeliveryTask).where(rider_scope(rider_id))
    waiting = _waiting(theirs)
    return (
        as_cards(waiting),
        waiting.with_only_columns(DeliveryTask.id),
        as_cards(_on_hand(theirs, rider_id)),
    )


_POOL_CARDS, _POOL_IDS, _ON_HAND_CARDS = _rider_pool_statements()


def pool_statements(actor: Actor) -> PoolStatements:
    """What the rider's pool page runs: the grab pool as cards and as ids, and the rider's tasks
    on hand as cards, built once a process instead of three times a request."""
    if actor.role != Role.RIDER:
        raise Forbidden(RIDERS_ONLY())
    return PoolStatements(_POOL_CARDS, _POOL_IDS, _ON_HAND_CARDS, {"rider_id": actor.user_id})


def card_of(actor: Actor, task_id: int):
    """One task's card row, in the actor's scope (None outside it): the grab's answer."""
    query = as_cards(tasks_visible_to(actor).where(DeliveryTask.id == task_id))
    return db.session.execute(query).one_or_none()


# ---- what a rider's tap and grab load ------------------------------------------------------------

# The task alone, in the rider's scope (`scope.task_for`'s WHERE, reused as is): a tap or a grab
# needs neither the store, nor the order and its items (the order is read on 送达 only), and
# its rider, when it has one, is the person the request loaded already.
TASK_TO_TAP = (
    select(DeliveryTask)
    .options(lazyload(DeliveryTask.store), lazyload(DeliveryTask.rider))
    .where(RIDER_TASK.whereclause)
)


def task_to_tap(actor: Actor, task_id: int) -> DeliveryTask | None:
    """The task a rider taps or grabs, if in their scope (else None: the portal's 404)."""
    if actor.role != Role.RIDER:
        raise Forbidden(RIDERS_ONLY())
    found = db.session.execute(TASK_TO_TAP, {"task_id": task_id, "rider_id": actor.user_id})
    return found.scalar_one_or_none()
