"""Dispatching in the 配送助手 (seed 000): the board of tasks, assigning and reassigning a task to
a rider in 分配模式, cancelling a task with a reason, and the assistant's settings (dispatch mode,
commission, alarm minutes).

The rule whether a task may go to a rider lives here and in `riders.check_can_take` (approved,
on duty, under the cap, under a lock on the rider's profile), never in a view: the actor must be
a dispatcher of the connected assistant (or platform staff), the task one of the platform's own
riders' and in a state that allows it, the mode 分配模式.

The task machine lists `Role.DISPATCHER` beside staff (待接单 → 已接单, and 待接单 / 已接单 /
已到店 → 已取消): a dispatcher's move is `services._move_task`, the one compare-and-set every
task move goes through; reassigning is its own compare-and-set on the rider (the goods are
still in the store), and a dispatcher's cancel hands the order back to the store (已发货 →
待发货) so it can ship again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import ColumnElement, Select, and_, case, func, select, true, update
from sqlalchemy.orm import joinedload

from app.accounts.actor import Actor
from app.accounts.models import Role, User
from app.accounts.people import is_clean_text
from app.clock import local_day_start, local_today, utcnow
from app.delivery.alarms import reschedule_waiting
from app.delivery.connection import (
    ASSISTANT,
    assistant_settings,
    dispatcher_task_scope,
    require_connected,
)
from app.delivery.models import (
    ACTIVE,
    TASK_MACHINE,
    DeliveryTask,
    DispatchMode,
    DispatchSettings,
    RiderProfile,
    TaskStatus,
)
from app.delivery.riders import check_can_take
from app.delivery.scope import tasks_visible_to
from app.delivery.services import TASK_CHANGED, _move_task
from app.errors import AlreadyTaken, DomainError, Forbidden, IllegalTransition, InvalidInput
from app.extensions import db
from app.i18n_markers import N_
from app.messages import define
from app.ordering.events import record_event
from app.ordering.models import Order
from app.ordering.scope import contribute_scope
from app.ordering.states import OrderStatus
from app.stores.models import Store

T = TaskStatus
MODE_LABELS = {
    DispatchMode.GRAB: N_("抢单模式"),
    DispatchMode.ASSIGN: N_("分配模式"),
}
GOODS_IN_STORE = (T.WAITING, T.ACCEPTED, T.ARRIVED)  # may be cancelled or (re)assigned
MIN_ALARM_MINUTES, MAX_ALARM_MINUTES = 1, 24 * 60
MAX_COMMISSION_FEN = 100_000  # ￥1,000 a task: more is a typo
MAX_REASON = 200  # DeliveryTask.cancel_reason

DISPATCH_ROLES = (Role.DISPATCHER, Role.OPERATOR, Role.SERVICE)
STAFF_ASSIGNS = define("dispatch_staff_assigns", N_("只有配送调度或平台人员可以分配或取消配送单"))
DISPATCHERS_SET = define("dispatchers_set", N_("只有配送调度可以修改配送助手的设置"))
CHOOSE_RIDER = define("choose_rider", N_("请选择一名骑手"))
NOT_ASSIGN_MODE = define("not_assign_mode", N_("该配送单为抢单模式，由骑手抢单，不能指派"))
NOT_OWN_RIDERS = define(
    "task_not_assistant", N_("该配送单由第三方配送平台配送，不能在配送助手中处理")
)
ALREADY_PICKED = define("task_already_picked", N_("骑手已取货，不能再改派或取消"))
TASK_FINISHED = define(
    "task_finished", N_("配送单已「%(status)s」，不能再分配或取消"), labels=("status",)
)
TAKEN_BY = define("task_taken_by", N_("该配送单已由骑手 %(name)s 接单，请刷新后再试"))
CHOOSE_MODE = define("dispatch_choose_mode", N_("请选择派单模式"))
REASON_REQUIRED = define("dispatch_cancel_reason", N_("请填写取消原因"))
REASON_TOO_LONG = define(
    "dispatch_reason_too_long", N_("取消原因不能超过 %(max)s 字，且不能含控制字符")
)
ALARM_RANGE = define("alarm_minutes_range", N_("告警时间须在 %(min)s 到 %(max)s 分钟之间"))
COMMISSION_RANGE = define("commission_range", N_("佣金须在 0 到 %(max)s 元之间"))

# Timeline notes (the store, the buyer and the platform read them on the order)
ASSIGNED = define("task_assigned", N_("调度分配给骑手 %(name)s %(phone)s"))
REASSIGNED = define("task_reassigned", N_("调度改派：%(old)s → 骑手 %(name)s %(phone)s"))
CANCELLED_BY_DISPATCH = define("task_cancelled_by_dispatch", N_("配送助手取消配送：%(reason)s"))
BACK_TO_STORE = define("order_back_to_store", N_("配送已取消，订单退回待发货，请重新发货"))

# ---- scope -----------------------------------------------------------------------------------


def tasks_visible_to_dispatcher(actor: Actor) -> Select:
    """A dispatcher sees every task of the platform's own riders, only while connected
    (`connection.dispatcher_task_scope`); staff see the same tasks through their own scope."""
    if actor.role == Role.DISPATCHER:
        return select(DeliveryTask).where(dispatcher_task_scope())
    return tasks_visible_to(actor).where(DeliveryTask.courier == ASSISTANT)


def dispatcher_task_for(actor: Actor, task_id: int) -> DeliveryTask | None:
    """One task in scope; None is the portal's 404 (another courier's, or disconnected)."""
    return db.session.execute(
        tasks_visible_to_dispatcher(actor).where(DeliveryTask.id == task_id)
    ).scalar_one_or_none()


def _dispatcher_orders(actor: Actor) -> ColumnElement[bool]:
    """The orders of the tasks a dispatcher sees (buyer's phone and address for delivery)."""
    return Order.id.in_(select(DeliveryTask.order_id).where(dispatcher_task_scope()))


contribute_scope(Role.DISPATCHER, _dispatcher_orders)


def _may_dispatch(actor: Actor) -> None:
    if actor.role not in DISPATCH_ROLES:
        raise Forbidden(STAFF_ASSIGNS())
    require_connected(actor)


# ---- the board -------------------------------------------------------------------------------

BOARD_TABS = {
    "waiting": N_("待接单"),
    "active": N_("配送中"),
    "alarm": N_("告警"),
    "delivered": N_("已送达"),
    "cancelled": N_("已取消"),
    "all": N_("全部"),
}


@dataclass(frozen=True)
class BoardFilter:
    tab: str = "waiting"
    store_id: int | None = None
    rider_id: int | None = None
    day: date | None = None  # the local day the task was created


def _tab_clause(tab: str, c=DeliveryTask) -> ColumnElement[bool]:
    """The tab's condition on the task table, or on the columns `c` of a subquery of it."""
    return {
        "waiting": c.status == T.WAITING,
        "active": c.status.in_(ACTIVE),
        "alarm": and_(c.status == T.WAITING, c.alarmed_at.is_not(None)),
        "delivered": c.status == T.DELIVERED,
        "cancelled": c.status == T.CANCELLED,
    }.get(tab, true())


def _filtered(actor: Actor, f: BoardFilter) -> Select:
    query = tasks_visible_to_dispatcher(actor)
    if f.store_id:
        query = query.where(DeliveryTask.store_id == f.store_id)
    if f.rider_id:
        query = query.where(DeliveryTask.rider_id == f.rider_id)
    if f.day:
        start = local_day_start(f.day)
        query = query.where(
            DeliveryTask.created_at >= start, DeliveryTask.created_at < start + timedelta(days=1)
        )
    return query


def board_query(actor: Actor, f: BoardFilter) -> Select:
    """The tab's tasks: what waits, oldest first (the most urgent on top); the rest newest
    first. The order comes along (number, contact, address)."""
    query = _filtered(actor, f).where(_tab_clause(f.tab)).options(joinedload(DeliveryTask.order))
    if f.tab in ("waiting", "alarm"):
        return query.order_by(DeliveryTask.created_at, DeliveryTask.id)
    return query.order_by(DeliveryTask.created_at.desc(), DeliveryTask.id.desc())


def board_counts(actor: Actor, f: BoardFilter) -> dict[str, int]:
    """How many tasks each tab holds under the same filters, in one query."""
    tasks = _filtered(actor, f).subquery()
    row = db.session.execute(
        select(
            *(
                func.coalesce(func.sum(case((_tab_clause(tab, tasks.c), 1), else_=0)), 0)
                for tab in BOARD_TABS
                if tab != "all"
            ),
            func.count(),
        ).select_from(tasks)
    ).one()
    return dict(zip(BOARD_TABS, row, strict=True))


@dataclass(frozen=True)
class Overview:
    waiting: int
    on_the_way: int
    delivered_today: int
    alarms: int


def overview(actor: Actor) -> Overview:
    """The KPI cards: waiting, on the way, delivered today, alarms (one query)."""
    tasks = tasks_visible_to_dispatcher(actor).subquery()
    today = local_day_start(local_today())
    c = tasks.c
    row = db.session.execute(
        select(
            func.coalesce(func.sum(case((c.status == T.WAITING, 1), else_=0)), 0),
            func.coalesce(func.sum(case((c.status.in_(ACTIVE), 1), else_=0)), 0),
            func.coalesce(
                func.sum(
                    case((and_(c.status == T.DELIVERED, c.delivered_at >= today), 1), else_=0)
                ),
                0,
            ),
            func.coalesce(
                func.sum(
                    case((and_(c.status == T.WAITING, c.alarmed_at.is_not(None)), 1), else_=0)
                ),
                0,
            ),
        ).select_from(tasks)
    ).one()
    return Overview(*row)


def board_stores(actor: Actor) -> list[tuple[int, str]]:
    """(id, name) of the stores that have tasks, for the board's filter."""
    ids = tasks_visible_to_dispatcher(actor).with_only_columns(DeliveryTask.store_id).distinct()
    query = select(Store.id, Store.name).where(Store.id.in_(ids)).order_by(Store.name)
    return [(store_id, name) for store_id, name in db.session.execute(query)]


# ---- what may be done to a task ------------------------------------------------------------------


def _assign_mode(task: DeliveryTask, settings: DispatchSettings) -> bool:
    """A task is handed out in 分配模式: made in assign mode, or the assistant is in assign
    mode now (a grab-mode task still waiting may then be given to a rider: the compare-and-set
    settles a rider grabbing it at the same moment)."""
    return DispatchMode.ASSIGN in (task.mode, settings.mode)


def may_assign(task: DeliveryTask, settings: DispatchSettings | None = None) -> bool:
    settings = settings or assistant_settings()
    return (
        task.courier == ASSISTANT and task.status in GOODS_IN_STORE and _assign_mode(task, settings)
    )


def is_alarmed(task: DeliveryTask) -> bool:
    """Nobody accepted it in time and it still waits: highlighted on the board."""
    return task.alarmed_at is not None and task.status == T.WAITING


def may_cancel(task: DeliveryTask) -> bool:
    return task.courier == ASSISTANT and task.status in GOODS_IN_STORE


def _refuse_unless_open(task: DeliveryTask) -> None:
    if task.courier != ASSISTANT:
        raise IllegalTransition(NOT_OWN_RIDERS())
    if task.status in TASK_MACHINE.terminal:
        raise IllegalTransition(TASK_FINISHED(status=TASK_MACHINE.label(task.status)))
    if task.status not in GOODS_IN_STORE:
        raise IllegalTransition(ALREADY_PICKED())


def assign_task(task: DeliveryTask, rider_id: int, actor: Actor) -> bool:
    """Give a waiting task to a rider, or an accepted one (goods still in the store) to another
    rider. The same rider again (a double submit, a colleague's identical choice) is the same
    outcome: returns False. A refusal names the rider (disabled, off duty, full)."""
    _may_dispatch(actor)
    if task.rider_id == rider_id and task.status in ACTIVE:
        return False
    _refuse_unless_open(task)
    if not _assign_mode(task, assistant_settings()):
        raise IllegalTransition(NOT_ASSIGN_MODE())
    if db.session.get(RiderProfile, rider_id) is None:
        raise InvalidInput(CHOOSE_RIDER())
    try:
        check_can_take(rider_id)  # locks the rider's profile until the commit
    except DomainError:
        db.session.refresh(task)
        if task.rider_id == rider_id and task.status in ACTIVE:
            return False  # a twin of this request assigned them meanwhile
        raise
    rider = db.session.get(User, rider_id)
    if task.status == T.WAITING:
        return _assign(task, rider, actor)
    return _reassign(task, rider, actor)


def _assign(task: DeliveryTask, rider: User, actor: Actor) -> bool:
    note = ASSIGNED(name=rider.name, phone=rider.phone)
    try:
        _move_task(
            task,
            T.ACCEPTED,
            actor,
            rider_check=False,
            note=note,
            rider_id=rider.id,
            assigned_by_id=actor.user_id,
        )
    except (AlreadyTaken, IllegalTransition):
        db.session.refresh(task)
        if task.rider_id == rider.id:
            return False
        if task.rider is not None:
            raise AlreadyTaken(TAKEN_BY(name=task.rider.name)) from None
        raise
    return True


def _reassign(task: DeliveryTask, rider: User, actor: Actor) -> bool:
    """Another rider for a task whose goods are still in the store: the new rider starts from
    已接单 (they have not been to the store yet), the old one loses it; one timeline line."""
    frm, old = task.status, task.rider
    result = db.session.execute(
        update(DeliveryTask)
        .where(
            DeliveryTask.id == task.id,
            DeliveryTask.status == frm,
            DeliveryTask.rider_id == old.id,
        )
        .values(
            rider_id=rider.id,
            assigned_by_id=actor.user_id,
            status=T.ACCEPTED,
            accepted_at=utcnow(),
            arrived_at=None,
        )
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(task)
    if result.rowcount != 1:
        if task.rider_id == rider.id:
            return False
        raise IllegalTransition(TASK_CHANGED())
    note = REASSIGNED(old=old.name, name=rider.name, phone=rider.phone)
    record_event(task.order_id, actor, frm, T.ACCEPTED, note, machine="delivery")
    return True


def clean_reason(reason: str | None) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(REASON_REQUIRED())
    if len(reason) > MAX_REASON or not is_clean_text(reason):
        raise InvalidInput(REASON_TOO_LONG(max=MAX_REASON))
    return reason


def cancel_task(task: DeliveryTask, reason: str, actor: Actor) -> bool:
    """Cancel a task whose goods are still in the store, with a reason the store reads on the
    timeline; the order goes back to 待发货 so the store can ship it again (another courier,
    or the assistant). Cancelled already: the same outcome, returns False."""
    _may_dispatch(actor)
    reason = clean_reason(reason)
    if task.status == T.CANCELLED and task.courier == ASSISTANT:
        return False
    _refuse_unless_open(task)
    try:
        note = CANCELLED_BY_DISPATCH(reason=reason)
        _move_task(task, T.CANCELLED, actor, rider_check=False, note=note, cancel_reason=reason)
    except (AlreadyTaken, IllegalTransition):
        db.session.refresh(task)
        if task.status == T.CANCELLED:
            return False
        raise IllegalTransition(TASK_CHANGED()) from None
    _back_to_store(task.order, actor)
    return True


def _back_to_store(order: Order, actor: Actor) -> None:
    """已发货 → 待发货 for an order whose delivery was cancelled before pickup (closed or
    completed meanwhile: nothing to hand back). Not a move of the order machine on purpose: a
    move there would answer a manager's 确认 of a shipped order with "your role cannot" instead
    of "the order has shipped", and `order_moved` would print the ticket again. The same
    compare-and-set and event `move_order` writes."""
    if order.status != OrderStatus.SHIPPED:
        return
    result = db.session.execute(
        update(Order)
        .where(Order.id == order.id, Order.status == OrderStatus.SHIPPED)
        .values(status=OrderStatus.AWAITING_SHIPMENT, shipped_at=None, courier_confirms=False)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(order)
    if result.rowcount == 1:
        record_event(
            order.id, actor, OrderStatus.SHIPPED, OrderStatus.AWAITING_SHIPMENT, BACK_TO_STORE()
        )


# ---- settings --------------------------------------------------------------------------------


def _settings_for(actor: Actor) -> DispatchSettings:
    if actor.role != Role.DISPATCHER:
        raise Forbidden(DISPATCHERS_SET())
    require_connected(actor)
    return assistant_settings()


def set_dispatch_mode(mode: str, actor: Actor) -> DispatchSettings:
    """分配模式 or 抢单模式; tasks already created keep the mode they got."""
    settings = _settings_for(actor)
    if mode not in MODE_LABELS:
        raise InvalidInput(CHOOSE_MODE())
    settings.mode = mode
    db.session.flush()
    return settings


def set_commission(fixed_fen: int | None, per_km_fen: int, actor: Actor) -> DispatchSettings:
    """Each new task pays the rider the fixed part (None: each store's own commission) plus the
    per-km part for every started kilometre (`rules.task_commission`)."""
    settings = _settings_for(actor)
    for fen in (fixed_fen or 0, per_km_fen):
        if not 0 <= fen <= MAX_COMMISSION_FEN:
            raise InvalidInput(COMMISSION_RANGE(max=MAX_COMMISSION_FEN // 100))
    settings.commission_fixed_fen = fixed_fen
    settings.commission_per_km_fen = per_km_fen
    db.session.flush()
    return settings


def set_alarm_minutes(minutes: int | None, actor: Actor) -> DispatchSettings:
    """How long a task may wait for a rider before the alarm; waiting tasks follow the change."""
    settings = _settings_for(actor)
    if minutes is None or not MIN_ALARM_MINUTES <= minutes <= MAX_ALARM_MINUTES:
        raise InvalidInput(ALARM_RANGE(min=MIN_ALARM_MINUTES, max=MAX_ALARM_MINUTES))
    if settings.alarm_after_minutes != minutes:
        settings.alarm_after_minutes = minutes
        db.session.flush()
        reschedule_waiting(minutes)
    return settings
