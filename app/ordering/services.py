"""Verbs that change orders: move status, accept or reject, confirm receipt, release stock.

Every move publishes `order_moved` (and `order_paid` / `order_closed` where they apply); the
domains that care subscribe in their own package.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from app.accounts.actor import SYSTEM, Actor
from app.accounts.models import Role
from app.catalog.models import Sku
from app.clock import utcnow
from app.deadlines import cancel, on_due, schedule
from app.errors import Forbidden, IllegalTransition, InvalidInput
from app.extensions import db
from app.i18n_markers import N_
from app.messages import Message, define
from app.ordering.events import record_event
from app.ordering.models import Order
from app.ordering.payment import PAID_BEFORE_SHIPPING
from app.ordering.settings import order_settings
from app.ordering.signals import order_closed, order_moved, order_paid, refund_due
from app.ordering.states import GOODS_NOT_LEFT, ORDER_MACHINE, PICKUP, OrderStatus
from app.statemachine import MOVE_NOT_ALLOWED

AUTO_RECEIPT = "auto_confirm_receipt"  # the deadline kind (days: order_settings())

STAFF_ONLY = define("staff_only", N_("只有平台人员可以直接修改订单状态"))
REMARK_REQUIRED = define("remark_required", N_("请填写备注"))
BUYER_ONLY_RECEIVES = define("buyer_only_receives", N_("只有下单人可以确认收货"))
COURIER_COMPLETES = define("courier_completes", N_("该订单由配送员送达后自动完成，无需确认收货"))
STORE_ONLY_ACCEPTS = define("store_only_accepts", N_("只能接自己店铺的订单"))

# Timeline notes
STAFF_REMARK = define("staff_remark", "%(remark)s")  # their own words, as typed
STAFF_COMPLETED = define("staff_completed", N_("由商家流转至交易完成：%(remark)s"))
BUYER_RECEIVED = define("buyer_received", N_("买家确认收货"))
AUTO_RECEIVED = define("auto_received", N_("超过 %(days)s 天未确认，系统自动确认收货"))
STORE_ACCEPTED = define("store_accepted", N_("商家已接单"))
STORE_REJECTED = define("store_rejected", N_("商家拒单：%(reason)s"))
REASON_REQUIRED = define("reason_required", N_("请填写拒单原因"))
PAY_BEFORE_SHIPPING = define("pay_before_shipping", N_("款到发货订单须先确认收款"))
BUYER_ONLY_CANCELS = define("buyer_only_cancels", N_("只有下单人可以取消订单"))
CANCEL_REASON_REQUIRED = define("cancel_reason_required", N_("请选择或填写取消原因"))
CLOSE_REASON_REQUIRED = define("close_reason_required", N_("请填写关闭原因"))
STORE_ONLY_CLOSES = define("store_only_closes", N_("只能关闭自己店铺的订单"))
BUYER_CANCELLED = define("buyer_cancelled", N_("买家取消订单：%(reason)s"))
STORE_CLOSED = define("store_closed", N_("商家关闭订单：%(reason)s"))
REFUND_ON_CLOSE = "order_closed"  # the refund reason sent with refund_due when a paid order closes


def move_order(order: Order, to: str, actor: Actor, note: Message | None = None, **values) -> None:
    """The one way an order changes status: guard, compare-and-set, event, announcements."""
    frm = order.status
    ORDER_MACHINE.guard(frm, to, actor.role)
    handed_over = frm == OrderStatus.AWAITING_SHIPMENT and to == OrderStatus.COMPLETED
    if handed_over and order.delivery_option != PICKUP:  # only 核销 completes without shipping
        raise IllegalTransition(
            MOVE_NOT_ALLOWED(current=ORDER_MACHINE.label(frm), to=ORDER_MACHINE.label(to))
        )
    if frm == OrderStatus.AWAITING_SHIPMENT and to in (OrderStatus.SHIPPED, OrderStatus.COMPLETED):
        ensure_paid_before_shipping(order)
    stamp = {OrderStatus.SHIPPED: "shipped_at", OrderStatus.COMPLETED: "completed_at"}.get(to)
    if stamp:
        values[stamp] = utcnow()
    if frm == OrderStatus.PENDING_PAYMENT and to != OrderStatus.CLOSED:
        values["paid_at"] = utcnow()
    ORDER_MACHINE.compare_and_set(Order, order.id, frm, to, **values)
    db.session.refresh(order)
    record_event(order.id, actor, frm, to, note)
    _follow_move(order, frm, to, actor, str(note)[:200] if note else "")
    order_moved.send(order, frm=frm, to=to, actor=actor)
    if to == OrderStatus.AWAITING_SHIPMENT and frm in (
        OrderStatus.PENDING_PAYMENT,
        OrderStatus.PENDING_ACCEPT,
    ):
        order_paid.send(order, actor=actor)
    if to == OrderStatus.CLOSED:
        order_closed.send(order, frm=frm, actor=actor)


def move_order_once(
    order: Order, to: str, actor: Actor, note: Message | None = None, **values
) -> bool:
    """`move_order`, or nothing when the order is already there: a double submit or a
    concurrent twin of the same request gets the winner's outcome instead of a refusal.
    Returns whether this call made the move."""
    if order.status == to:
        return False
    try:
        move_order(order, to, actor, note, **values)
    except IllegalTransition:
        db.session.refresh(order)
        if order.status == to:
            return False  # the twin won the compare-and-set: same effect, same answer
        raise
    return True


def ensure_paid_before_shipping(order: Order) -> None:
    """款到发货 and the transfers: the money must be recorded as received before goods leave."""
    if order.payment_method in PAID_BEFORE_SHIPPING and order.paid_at is None:
        raise IllegalTransition(PAY_BEFORE_SHIPPING())


def _follow_move(order: Order, frm: str, to: str, actor: Actor, reason: str = "") -> None:
    """Ordering's own consequences: stock back if the goods never left, money back if it was
    paid, the receipt deadline."""
    if to == OrderStatus.CLOSED and frm in GOODS_NOT_LEFT:
        release_stock(order)
    if to == OrderStatus.CLOSED:
        _refund_if_paid(order, actor, reason)
    if to == OrderStatus.SHIPPED and not order.courier_confirms:
        days = order_settings().auto_receipt_days
        schedule(AUTO_RECEIPT, order.id, order.shipped_at + timedelta(days=days))
    if frm == OrderStatus.SHIPPED:
        cancel(AUTO_RECEIPT, order.id)


def _refund_if_paid(order: Order, actor: Actor, reason: str) -> None:
    """Every close of a paid order (the buyer cancels, the store or staff close it) asks the
    payments domain, once, to give back what was paid and not refunded yet."""
    if order.paid_at is None:
        return  # never paid (unpaid online, cash on delivery, 款到发货 before the money came)
    amount = order.total_fen - order.refunded_fen
    if amount <= 0:
        return
    refund_due.send(
        order,
        amount_fen=amount,
        reason=reason or REFUND_ON_CLOSE,
        aftersale_id=None,
        actor=actor,
    )


@on_due(AUTO_RECEIPT)
def auto_confirm_receipt(order_id: int) -> None:
    """Days after shipment (platform setting) the buyer has not confirmed: the system does."""
    order = db.session.get(Order, order_id)
    if order is None or order.status != OrderStatus.SHIPPED:
        return  # received, closed or gone meanwhile: nothing to do
    days = order_settings().auto_receipt_days
    move_order(order, OrderStatus.COMPLETED, SYSTEM, AUTO_RECEIVED(days=days))


def accept_order(order: Order, actor: Actor) -> None:
    """The store takes a cash-on-delivery order (接单): it prints and is prepared."""
    if actor.role == Role.STORE_STAFF and actor.store_id != order.store_id:
        raise Forbidden(STORE_ONLY_ACCEPTS())
    move_order_once(order, OrderStatus.AWAITING_SHIPMENT, actor, STORE_ACCEPTED())


def reject_order(order: Order, actor: Actor, reason: str) -> None:
    """The store turns a cash-on-delivery order down (拒单) with a reason the buyer reads."""
    if actor.role == Role.STORE_STAFF and actor.store_id != order.store_id:
        raise Forbidden(STORE_ONLY_ACCEPTS())
    if order.status == OrderStatus.CLOSED:
        return  # rejected already (a double submit): the same outcome
    if order.status != OrderStatus.PENDING_ACCEPT:
        raise IllegalTransition(
            MOVE_NOT_ALLOWED(
                current=ORDER_MACHINE.label(order.status),
                to=ORDER_MACHINE.label(OrderStatus.CLOSED),
            )
        )
    reason = reason.strip()
    if not reason:
        raise InvalidInput(REASON_REQUIRED())
    move_order_once(order, OrderStatus.CLOSED, actor, STORE_REJECTED(reason=reason[:200]))


def awaits_acceptance(order: Order) -> bool:
    """A cash-on-delivery order the store has not taken yet (接单 / 拒单)."""
    return order.status == OrderStatus.PENDING_ACCEPT


def awaits_shipment(order: Order) -> bool:
    return order.status == OrderStatus.AWAITING_SHIPMENT


def change_status_by_staff(order: Order, to: str, actor: Actor, remark: str) -> None:
    """Platform / customer service override (SPEC §5, §7): a remark is required every time
    (the platform's form also asks for an explicit confirmation before a close)."""
    if not actor.is_staff:
        raise Forbidden(STAFF_ONLY())
    remark = remark.strip()
    if not remark:
        raise InvalidInput(REMARK_REQUIRED())
    note = STAFF_COMPLETED if to == OrderStatus.COMPLETED else STAFF_REMARK
    move_order_once(order, to, actor, note(remark=remark[:200]))


def awaits_buyer_receipt(order: Order) -> bool:
    """Shipped by express, logistics or another way: the buyer confirms receipt (SPEC §7)."""
    return order.status == OrderStatus.SHIPPED and not order.courier_confirms


def confirm_receipt(order: Order, actor: Actor) -> None:
    """The buyer confirms an order shipped without a driver or rider (SPEC §7)."""
    if actor.role != Role.BUYER or order.buyer_id != actor.user_id:
        raise Forbidden(BUYER_ONLY_RECEIVES())
    if order.courier_confirms:
        raise IllegalTransition(COURIER_COMPLETES())
    move_order_once(order, OrderStatus.COMPLETED, actor, BUYER_RECEIVED())


def release_stock(order: Order) -> None:
    for item in order.items:
        db.session.execute(
            update(Sku)
            .where(Sku.id == item.sku_id)
            .values(stock=Sku.stock + item.quantity)
            .execution_options(synchronize_session=False)
        )


def cancel_by_buyer(order: Order, actor: Actor, reason: str) -> None:
    """The buyer cancels before the goods leave; a paid order is refunded (in `_follow_move`)."""
    if actor.role != Role.BUYER or order.buyer_id != actor.user_id:
        raise Forbidden(BUYER_ONLY_CANCELS())
    reason = reason.strip()
    if not reason:
        raise InvalidInput(CANCEL_REASON_REQUIRED())
    move_order_once(order, OrderStatus.CLOSED, actor, BUYER_CANCELLED(reason=reason[:200]))


def may_buyer_cancel(order: Order) -> bool:
    return order.status in GOODS_NOT_LEFT


def close_by_store(order: Order, actor: Actor, reason: str) -> None:
    """The store closes one of its orders before it ships, with a reason the buyer reads."""
    if actor.role == Role.STORE_STAFF and actor.store_id != order.store_id:
        raise Forbidden(STORE_ONLY_CLOSES())
    reason = reason.strip()
    if not reason:
        raise InvalidInput(CLOSE_REASON_REQUIRED())
    move_order_once(order, OrderStatus.CLOSED, actor, STORE_CLOSED(reason=reason[:200]))


def may_store_close(order: Order) -> bool:
    return OrderStatus.CLOSED in ORDER_MACHINE.allowed(order.status, Role.STORE_STAFF)
