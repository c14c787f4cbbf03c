"""Dada as a store's courier: the store's settings, the fee shown before the store confirms
(queryDeliverFee, then addAfterQuery by a job), dispatch on payment, dispatching again after
Dada ended an order (reAddOrder), tips, cancelling with Dada's reasons and its deduct fee, and
the refresh that asks Dada where an order is (status/query).

Dada is called in the store's request where the store waits for Dada's answer (the fee, the
reasons, a cancel, a tip, the balance); handing an order over is a job, so a Dada that does not
answer is retried by the outbox and the store reads 派单中 meanwhile.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

from app.accounts.actor import Actor
from app.accounts.models import Role
from app.clock import utcnow
from app.delivery.couriers import courier_for, move_by_courier
from app.delivery.dada.account import (
    COURIER,
    DADA_OFF,
    SAME_CITY_ONLY,
    account_for,
    check_balance,
    client,
    order_params,
    read_balance,
    store_courier,
)
from app.delivery.dada.client import CancelReason
from app.delivery.dada.codes import CANCELLABLE, ENDED, TIPPABLE, D, known
from app.delivery.dada.status import (
    PUSHED_TO_DADA,
    Report,
    apply_report,
    cancelled_by_store_note,
    note_on_task,
    report_of,
)
from app.delivery.dada.tasks import CANCEL_SUMMARY, SEND_SUMMARY, cancel_at_dada, send_to_dada
from app.delivery.models import TASK_MACHINE, DeliveryTask, StoreCourier, TaskStatus
from app.delivery.rules import task_commission
from app.delivery.services import ANNOUNCE_SUMMARY, dispatch_settings, task_of
from app.delivery.signals import task_created
from app.delivery.tasks import announce_task
from app.errors import Forbidden, IllegalTransition, InvalidInput
from app.extensions import db
from app.i18n_markers import N_
from app.jobs import defer
from app.messages import define
from app.money import format_fen
from app.ordering.events import record_event
from app.ordering.models import Order
from app.ordering.services import awaits_shipment, move_order_once
from app.ordering.states import ORDER_MACHINE, OrderStatus
from app.statemachine import MOVE_NOT_ALLOWED
from app.stores.models import Store, StoreKind
from app.stores.staff import is_owner

QUOTE_SECONDS = 170  # Dada keeps a deliveryNo for 3 minutes
MAX_TIP_FEN = 10_000  # ¥100: a tip is a nudge, not a second fee
OTHER_REASON_ID = 10000  # Dada's 其他: the store's words go along
DELIVERY = "delivery"  # the buyer chose 同城配送 (app.ordering.payment.DELIVERY_OPTIONS)

OWNER_SETS_DADA = define("owner_sets_dada", N_("只有店主可以修改达达配送设置"))
SETTINGS_INCOMPLETE = define(
    "dada_settings_incomplete", N_("开通达达配送须填写达达门店编号和城市编码")
)
QUOTE_EXPIRED = define("dada_quote_expired", N_("运费报价已过期，请重新查询运费"))
NOT_DISPATCHABLE = define("dada_not_dispatchable", N_("该订单当前不能派单"))
NOT_CANCELLABLE = define("dada_not_cancellable", N_("达达骑手已取货或订单已结束，不能取消达达配送"))
NOT_TIPPABLE = define("dada_not_tippable", N_("只有待接单的达达订单可以加小费"))
TIP_RANGE = define("dada_tip_range", N_("小费须在 ￥0.10 至 ￥100.00 之间，按角填写"))
CHOOSE_REASON = define("dada_choose_reason", N_("请选择取消原因"))
REASON_TEXT = define("dada_reason_text", N_("选择「其他」时请填写取消原因"))
NOT_AT_DADA = define("dada_not_sent_yet", N_("该订单还没有派到达达"))

# Timeline notes
SHIPPED_BY_DADA = define("shipped_by_dada", N_("发货方式：达达配送"))
AUTO_DISPATCHED = define("dada_auto_dispatched", N_("付款后自动派单：达达配送"))
REDISPATCHED = define("dada_redispatched", N_("重新派单至达达"))
SWITCHED_TO_ASSISTANT = define("dada_switched_to_assistant", N_("改由配送助手配送"))
TIP_ADDED = define("dada_tip_added", N_("加小费 %(tip)s"))


# ---- the store's settings ---------------------------------------------------------------------


@dataclass(frozen=True)
class DadaFields:
    enabled: bool
    shop_no: str
    city_code: str
    auto_dispatch: bool
    balance_alert_fen: int


def dada_account(store: Store) -> StoreCourier:
    """The store's row, or a fresh one (not added) showing the defaults."""
    return store_courier(store.id) or StoreCourier(
        store_id=store.id,
        courier=COURIER,
        enabled=False,
        shop_no="",
        city_code="",
        auto_dispatch=False,
        balance_alert_fen=5000,
    )


def may_change_settings(store: Store, actor: Actor) -> bool:
    """Dada is paid from the store's account: only the owner turns it on or changes it."""
    return is_owner(store, actor)


def save_dada_settings(store: Store, actor: Actor, fields: DadaFields) -> StoreCourier:
    if not may_change_settings(store, actor):
        raise Forbidden(OWNER_SETS_DADA())
    if store.kind != StoreKind.SAME_CITY:
        raise InvalidInput(SAME_CITY_ONLY())
    shop_no, city_code = fields.shop_no.strip(), fields.city_code.strip()
    if fields.enabled and not (shop_no and city_code):
        raise InvalidInput(SETTINGS_INCOMPLETE())
    account = store_courier(store.id)
    if account is None:
        account = dada_account(store)
        db.session.add(account)
    account.enabled = fields.enabled
    account.shop_no = shop_no
    account.city_code = city_code
    account.auto_dispatch = fields.auto_dispatch
    account.balance_alert_fen = fields.balance_alert_fen
    account.updated_at = utcnow()
    db.session.flush()
    return account


def refresh_balance(store: Store, actor: Actor) -> StoreCourier:
    """The 刷新余额 button: ask Dada now (its refusal or silence reaches the store)."""
    if actor.role != Role.STORE_STAFF or actor.store_id != store.id:
        raise Forbidden(OWNER_SETS_DADA())
    account = store_courier(store.id)
    if account is None or not account.enabled:
        raise InvalidInput(DADA_OFF())
    read_balance(account)
    return account


# ---- handing an order over ---------------------------------------------------------------------


def awaits_dispatch(order: Order) -> bool:
    """A same-city delivery order the store prepares and nobody carries yet."""
    return order.delivery_option == DELIVERY and awaits_shipment(order) and task_of(order) is None


@dataclass(frozen=True)
class DadaActions:
    """What a Dada task allows now (the store's order page shows the buttons; the services
    below refuse the same moves with a message)."""

    sending: bool = False  # 派单中: handed to the job, Dada has not answered yet
    ended: bool = False  # cancelled, expired, returned or failed at Dada
    may_tip: bool = False
    may_cancel: bool = False
    may_refresh: bool = False


def dada_actions(task: DeliveryTask | None) -> DadaActions:
    if task is None or task.courier != COURIER:
        return DadaActions()
    code = known(task.courier_status)
    live = task.status not in TASK_MACHINE.terminal
    at_dada = live and bool(task.courier_order_no)
    return DadaActions(
        sending=live and code is None and task.status == TaskStatus.WAITING,
        ended=code in ENDED,
        may_tip=live and code in TIPPABLE,
        may_cancel=at_dada and code in CANCELLABLE,
        may_refresh=at_dada,
    )


def may_redispatch(task: DeliveryTask | None, order: Order) -> bool:
    """Dada ended the order without delivering it, and the task waits for a new carrier (or,
    once the machine lets a cancelled task wait again, was cancelled on a shipped order)."""
    if task is None or task.courier != COURIER or known(task.courier_status) not in ENDED:
        return False
    if task.status == TaskStatus.WAITING:
        return True
    return (
        task.status == TaskStatus.CANCELLED
        and order.status == OrderStatus.SHIPPED
        and (TaskStatus.CANCELLED, TaskStatus.WAITING) in TASK_MACHINE.moves
    )


@dataclass(frozen=True)
class Quote:
    """What the store confirms: the fee, the distance, the balance, and the signed token that
    carries Dada's deliveryNo to the confirmation."""

    order_id: int
    delivery_no: str
    fee_fen: int
    distance_m: int
    balance_fen: int | None
    token: str

    @property
    def short(self) -> bool:
        return self.balance_fen is not None and self.balance_fen < self.fee_fen


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="dada-quote")


def quote(order: Order, actor: Actor) -> Quote:
    """Ask Dada the fee for this order (and the balance), for the store to confirm."""
    task = task_of(order)
    if not (awaits_dispatch(order) or may_redispatch(task, order)):
        raise IllegalTransition(NOT_DISPATCHABLE())
    account = account_for(order)
    dada = client()
    fee = dada.query_deliver_fee(order_params(order, account))
    balance = read_balance(account, dada)
    token = _serializer().dumps({"o": order.id, "d": fee.delivery_no, "f": fee.fee_fen})
    return Quote(order.id, fee.delivery_no, fee.fee_fen, fee.distance_m, balance, token)


def dispatch_confirmed(order: Order, actor: Actor, token: str) -> DeliveryTask:
    """The store confirmed the fee it was shown: the balance is checked again, the order ships
    and a job publishes it at Dada. A second press (a double submit) gets the same task."""
    try:
        data = _serializer().loads(token, max_age=QUOTE_SECONDS)
    except BadSignature:
        raise InvalidInput(QUOTE_EXPIRED()) from None
    if not isinstance(data, dict) or data.get("o") != order.id:
        raise InvalidInput(QUOTE_EXPIRED())
    task = task_of(order)
    if task is not None and not may_redispatch(task, order):
        if task.courier == COURIER:
            return task  # dispatched by the first press
        raise IllegalTransition(NOT_DISPATCHABLE())
    if task is None and not awaits_dispatch(order):
        raise IllegalTransition(NOT_DISPATCHABLE())
    account = account_for(order)
    fee_fen = int(data.get("f") or 0)
    check_balance(account, fee_fen)
    if task is not None:
        return _dispatch_again(task, actor)
    return hand_over(
        order, actor, SHIPPED_BY_DADA(), delivery_no=str(data.get("d", "")), fee=fee_fen
    )


def hand_over(
    order: Order, actor: Actor, note, delivery_no: str = "", fee: int = 0
) -> DeliveryTask:
    """The order ships with Dada: a task waits (派单中 until the job reaches Dada)."""
    if not move_order_once(order, OrderStatus.SHIPPED, actor, note, courier_confirms=True):
        existing = task_of(order)
        if existing is None:
            raise IllegalTransition(
                MOVE_NOT_ALLOWED(
                    current=ORDER_MACHINE.label(order.status),
                    to=ORDER_MACHINE.label(OrderStatus.SHIPPED),
                )
            )
        return existing
    task = DeliveryTask(
        order_id=order.id,
        store_id=order.store_id,
        mode=dispatch_settings().mode,
        courier=COURIER,
        commission_fen=0,  # the store pays Dada; no commission of ours
        distance_m=order.delivery_distance_m,
    )
    db.session.add(task)
    db.session.flush()
    task_created.send(task, actor=actor)
    record_event(order.id, actor, None, TaskStatus.WAITING, PUSHED_TO_DADA(), machine="delivery")
    defer(send_to_dada, task.id, delivery_no, fee, summary=SEND_SUMMARY(no=order.no))
    return task


def auto_actor(order: Order) -> Actor:
    """The store's standing instruction (自动派单) ships for the store: no person, the store's
    role (the order machine lets the store ship)."""
    return Actor(user_id=None, role=Role.STORE_STAFF, store_id=order.store_id, name="")


def auto_dispatch(order: Order) -> DeliveryTask | None:
    """On payment: a store with Dada and 自动派单 on hands every same-city delivery order over
    at once (the balance is checked by the job before anything is sent)."""
    if order.kind != StoreKind.SAME_CITY or not awaits_dispatch(order):
        return None
    account = store_courier(order.store_id)
    if account is None or not account.enabled or not account.auto_dispatch:
        return None
    try:
        account_for(order)
    except InvalidInput:
        return None  # not set up (no shop number, no platform account): the store ships by hand
    return hand_over(order, auto_actor(order), AUTO_DISPATCHED())


def _dispatch_again(task: DeliveryTask, actor: Actor) -> DeliveryTask:
    """reAddOrder (or a first publish if Dada never had it) by the job, the task back to 派单中."""
    if task.status == TaskStatus.CANCELLED:  # once the machine allows it (see may_redispatch)
        move_by_courier(task, TaskStatus.WAITING, actor, REDISPATCHED())
    else:
        note_on_task(task, REDISPATCHED(), actor)
    task.courier_status = None
    task.courier_rider_name = task.courier_rider_phone = None
    task.cancel_reason = ""
    db.session.flush()
    defer(send_to_dada, task.id, summary=SEND_SUMMARY(no=task.order.no))
    return task


def switch_to_assistant(task: DeliveryTask, order: Order, actor: Actor) -> DeliveryTask:
    """重新派单 to the platform's own riders: the waiting task becomes theirs (with the
    assistant's commission) and is announced to them like any task of the 配送助手."""
    courier_for(order, "assistant")  # refused when the 配送助手 is not connected
    if task.status != TaskStatus.WAITING or not may_redispatch(task, order):
        raise IllegalTransition(NOT_DISPATCHABLE())
    task.courier = "assistant"
    task.commission_fen = task_commission(dispatch_settings(), order)
    task.courier_order_no = task.courier_status = task.courier_fee_fen = None
    task.courier_rider_name = task.courier_rider_phone = None
    task.cancel_reason = ""
    db.session.flush()
    note_on_task(task, SWITCHED_TO_ASSISTANT(), actor)
    defer(announce_task, task.id, summary=ANNOUNCE_SUMMARY(no=order.no))
    return task


# ---- after the hand-over ---------------------------------------------------------------------


def cancel_reasons() -> list[CancelReason]:
    """Dada's cancel reasons (id 10000 其他 takes the store's own words)."""
    return client().cancel_reasons()


def _at_dada(task: DeliveryTask) -> str:
    if task.courier != COURIER or not task.courier_order_no:
        raise IllegalTransition(NOT_AT_DADA())
    return task.courier_order_no


def cancel(task: DeliveryTask, actor: Actor, reason_id: int, reason_text: str = "") -> int:
    """取消达达配送 with one of Dada's reasons; returns the 违约金 Dada deducted (fen). The task
    waits to be dispatched again (or is cancelled if a rider had it)."""
    order_no = _at_dada(task)
    if known(task.courier_status) not in CANCELLABLE:
        raise IllegalTransition(NOT_CANCELLABLE())
    reasons = {reason.id: reason.reason for reason in cancel_reasons()}
    if reason_id not in reasons:
        raise InvalidInput(CHOOSE_REASON())
    text = reason_text.strip()[:100]
    if reason_id == OTHER_REASON_ID and not text:
        raise InvalidInput(REASON_TEXT())
    reason = text if reason_id == OTHER_REASON_ID else reasons[reason_id]
    deduct = client().formal_cancel(order_no, reason_id, reason)
    apply_report(
        task,
        Report(
            status=D.CANCELLED,
            deduct_fen=(task.courier_deduct_fen or 0) + deduct,
            reason=reason,
            note=cancelled_by_store_note(reason, deduct),
        ),
    )
    return deduct


def add_tip(task: DeliveryTask, actor: Actor, tip_fen: int) -> None:
    """加小费 while no Dada rider has accepted: Dada adds it to the fee (in whole jiao)."""
    order_no = _at_dada(task)
    if known(task.courier_status) not in TIPPABLE:
        raise IllegalTransition(NOT_TIPPABLE())
    if not 10 <= tip_fen <= MAX_TIP_FEN or tip_fen % 10:
        raise InvalidInput(TIP_RANGE())
    account = store_courier(task.store_id)
    if account is not None:
        check_balance(account, tip_fen)
    client().add_tip(order_no, tip_fen)
    task.courier_fee_fen = (task.courier_fee_fen or 0) + tip_fen
    db.session.flush()
    note_on_task(task, TIP_ADDED(tip=format_fen(tip_fen)), actor)


def refresh(task: DeliveryTask) -> bool:
    """Ask Dada where the order is (status/query) and bring the task there."""
    order_no = _at_dada(task)
    return apply_report(task, report_of(client().status(order_no)))


def close_at_dada(task: DeliveryTask) -> None:
    """The order closed while Dada had it: the job cancels it there."""
    if task.courier == COURIER and known(task.courier_status) in CANCELLABLE:
        defer(cancel_at_dada, task.id, summary=CANCEL_SUMMARY(no=task.order.no))
