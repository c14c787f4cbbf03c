"""What Dada says about an order, applied to our delivery task: the rider's name and phone, the
fee, and the move of the task machine its code means (the same states and timeline a rider's taps
write), once, however often Dada says it.

A Dada rider acts in the task machine as a rider (role 骑手, no account here: their name comes
from Dada). An order Dada ends without delivering it (cancelled, expired, returned, failed) leaves
a task nobody has taken waiting for the store to dispatch it again; a task a Dada rider had taken
is cancelled (the machine has no way back to 待接单 for it yet).
"""

from __future__ import annotations

from dataclasses import dataclass

from app.accounts.actor import SYSTEM, Actor
from app.accounts.models import Role
from app.delivery.couriers import move_by_courier, walk_to
from app.delivery.dada.client import DadaOrder
from app.delivery.dada.codes import ENDED, TASK_STATE, D, known
from app.delivery.models import ACTIVE, TASK_MACHINE, DeliveryTask, TaskStatus
from app.extensions import db
from app.i18n_markers import N_
from app.messages import Message, define
from app.money import format_fen
from app.ordering.events import record_event
from app.ordering.services import move_order_once
from app.ordering.states import OrderStatus

# Timeline notes
PUSHED_TO_DADA = define("pushed_to_dada", N_("待达达配送"))
DADA_RIDER = define("dada_rider_on_task", N_("达达骑手 %(name)s %(phone)s"))
DADA_DELIVERED = define("dada_delivered", N_("达达骑手已送达"))
DADA_CANCELLED = define("dada_cancelled", N_("达达配送已取消：%(reason)s"))
DADA_CANCELLED_BY_STORE = define(
    "dada_cancelled_by_store", N_("商家取消达达配送：%(reason)s，违约金 %(deduct)s")
)
DADA_EXPIRED = define("dada_expired", N_("达达订单已过期，无骑手接单"))
DADA_RETURNING = define("dada_returning", N_("妥投异常，物品返回商家中"))
DADA_RETURNED = define("dada_returned", N_("妥投异常，物品已返回商家"))
DADA_FAILED = define("dada_failed", N_("达达派单失败：%(reason)s"))
DADA_RIDER_LEFT = define("dada_rider_left", N_("达达骑手已取消接单，达达重新派单中"))
NO_REASON = N_("未说明原因")
SHOW_FEE_FIRST = define(
    "dada_show_fee_first", N_("请在订单页点击「立即配送」，确认达达运费后再派单")
)

RIDER_FALLBACK_NAME = "达达骑手"


@dataclass(frozen=True)
class Report:
    """One thing Dada said about an order (a status/query answer, or a cancel we made)."""

    status: int
    rider_name: str = ""
    rider_phone: str = ""
    fee_fen: int | None = None
    deduct_fen: int | None = None
    reason: str = ""  # why it was cancelled or failed, in Dada's words
    note: Message | None = None  # the timeline note instead of the status's own


def report_of(order: DadaOrder, reason: str = "") -> Report:
    return Report(
        status=order.status,
        rider_name=order.rider_name,
        rider_phone=order.rider_phone,
        fee_fen=order.fee_fen or None,
        deduct_fen=order.deduct_fen or None,
        reason=reason,
    )


def courier_actor(task: DeliveryTask) -> Actor:
    """The Dada rider as the task machine sees them: a rider with no account here."""
    return Actor(user_id=None, role=Role.RIDER, name=task.courier_rider_name or RIDER_FALLBACK_NAME)


def _rider_note(task: DeliveryTask) -> Message:
    return DADA_RIDER(
        name=task.courier_rider_name or RIDER_FALLBACK_NAME, phone=task.courier_rider_phone or ""
    )


def _ended_note(report: Report) -> Message:
    if report.note is not None:
        return report.note
    reason = report.reason or NO_REASON
    return {
        D.CANCELLED: DADA_CANCELLED(reason=reason),
        D.EXPIRED: DADA_EXPIRED(),
        D.RETURNED: DADA_RETURNED(),
        D.FAILED: DADA_FAILED(reason=reason),
    }[D(report.status)]


def note_on_task(task: DeliveryTask, note: Message, actor: Actor = SYSTEM) -> None:
    """A line on the timeline that moves nothing (the task stays where it is)."""
    record_event(task.order_id, actor, task.status, task.status, note, machine="delivery")


def apply_report(task: DeliveryTask, report: Report) -> bool:
    """Bring the task to what Dada says. Returns whether anything changed; saying the same
    thing again (a replayed callback, the refresh button) changes nothing."""
    code = known(report.status)
    if code is None:
        return False
    before = (task.courier_status, task.status, task.courier_rider_name, task.courier_rider_phone)
    rider_left = bool(
        code in (D.WAITING, D.ASSIGNED)
        and task.courier_rider_name
        and task.status in ACTIVE
        and known(task.courier_status) not in (D.WAITING, D.ASSIGNED)
    )
    task.courier_status = int(code)
    if report.rider_name:
        task.courier_rider_name = report.rider_name[:50]
        task.courier_rider_phone = (report.rider_phone or "")[:20]
    elif code in ENDED or rider_left:
        task.courier_rider_name = task.courier_rider_phone = None
    if report.fee_fen is not None:
        task.courier_fee_fen = report.fee_fen
    if report.deduct_fen is not None:
        task.courier_deduct_fen = report.deduct_fen
    db.session.flush()
    said_before = known(before[0]) == code
    if task.status in TASK_MACHINE.terminal:
        pass  # delivered or cancelled here already: Dada's word changes the record only
    elif code in ENDED:
        if not said_before:
            _end(task, report)
    elif code == D.RETURNING:
        if not said_before:
            note_on_task(task, DADA_RETURNING())
    elif rider_left:
        note_on_task(task, DADA_RIDER_LEFT())
    else:
        walk_to(task, TASK_STATE[code], courier_actor(task), _rider_note(task))
        if code == D.FINISHED:
            _complete_order(task)
    after = (task.courier_status, task.status, task.courier_rider_name, task.courier_rider_phone)
    return after != before


def _end(task: DeliveryTask, report: Report) -> None:
    """Dada's order is over without a delivery. A task nobody took stays waiting, for the store
    to dispatch again; one a rider had is cancelled (the nearest state the machine allows)."""
    note = _ended_note(report)
    task.cancel_reason = (report.reason or "")[:200]
    if task.status == TaskStatus.WAITING:
        note_on_task(task, note)
    elif (task.status, TaskStatus.WAITING) in TASK_MACHINE.moves:
        move_by_courier(task, TaskStatus.WAITING, SYSTEM, note)
    else:
        move_by_courier(task, TaskStatus.CANCELLED, SYSTEM, note)


def _complete_order(task: DeliveryTask) -> None:
    """Dada delivered: the order completes as it does when our own rider taps 送达."""
    order = task.order
    if order.status == OrderStatus.SHIPPED:
        move_order_once(order, OrderStatus.COMPLETED, courier_actor(task), DADA_DELIVERED())


def fail(task: DeliveryTask, reason: str | Message) -> None:
    """We could not hand the order to Dada (refused, balance short): the store sees why and
    may dispatch it again."""
    note = reason if isinstance(reason, Message) else DADA_FAILED(reason=reason or NO_REASON)
    apply_report(task, Report(status=D.FAILED, reason=str(reason)[:200], note=note))


def cancelled_by_store_note(reason: str, deduct_fen: int) -> Message:
    return DADA_CANCELLED_BY_STORE(reason=reason, deduct=format_fen(deduct_fen))
