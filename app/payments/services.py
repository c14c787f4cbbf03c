"""Verbs of the payments domain: start a payment, take a notification, sync with the gateway,
refund (through the gateway, or recorded by staff for offline-paid orders).

One payment covers every order of a checkout that waits for the money; each order's total_fen
is its share. The gateway is called inside the request that needs its answer (the buyer waits
for the pay URL; a refund is sent by a job after commit). Races are settled in the database:
the inbox row is a unique insert, "paid" is a compare-and-set from created (or closed), refunds
take the order's row lock before they count what was refunded already.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping
from datetime import timedelta

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from app.accounts.actor import SYSTEM, Actor
from app.accounts.models import Role
from app.clock import to_local, utcnow
from app.errors import Forbidden, IllegalTransition, InvalidInput
from app.extensions import db
from app.i18n_markers import N_
from app.jobs import defer
from app.messages import define
from app.money import format_fen
from app.ordering.events import record_event
from app.ordering.models import Checkout, Order, OrderEvent
from app.ordering.services import move_order_once
from app.ordering.settings import order_settings
from app.ordering.states import ORDER_MACHINE, OrderStatus
from app.payments.gateways import (
    BadNotification,
    GatewayError,
    Notice,
    PaymentRequest,
    RefundOutcome,
    TradeAlreadyPaid,
    enabled_gateways,
    gateway,
    gateway_label,
)
from app.payments.models import (
    Payment,
    PaymentNotification,
    PaymentStatus,
    Refund,
    RefundStatus,
)
from app.payments.refunds import complete_refund, fail_refund
from app.payments.signals import payment_completed
from app.payments.tasks import SEND_REFUND, send_refund
from app.stores.models import StoreKind

log = logging.getLogger(__name__)

# Refusals
NOT_YOUR_CHECKOUT = define("pay_not_yours", N_("只能支付自己的订单"))
NOTHING_TO_PAY = define("pay_nothing_due", N_("这些订单已不是待付款状态"))
GATEWAY_UNKNOWN = define("pay_gateway_unknown", N_("请选择支付方式"))
PAY_TIME_OVER = define("pay_time_over", N_("支付时间已过，订单即将关闭"))
GATEWAY_DOWN = define("pay_gateway_down", N_("%(gateway)s暂时无法下单，请稍后再试"))
REFUND_TOO_MUCH = define(
    "refund_too_much", N_("退款金额超出可退金额（订单实付 %(total)s，已退或退款中 %(taken)s）")
)
REFUND_AMOUNT = define("refund_amount_positive", N_("退款金额必须大于 0"))
REFUND_NOT_OFFLINE = define("refund_not_offline", N_("这笔退款经支付平台原路退回，无需登记"))
REFUND_NOT_PENDING = define("refund_not_pending", N_("这笔退款已处理"))
REFUND_REFERENCE = define("refund_reference_required", N_("请填写退款凭证号（转账流水号等）"))
REFUND_STAFF_ONLY = define("refund_staff_only", N_("只有平台人员或本店人员可以登记退款"))

# Timeline notes
PAID_ONLINE = define("paid_online", N_("%(gateway)s支付成功，实付 %(amount)s"), labels=("gateway",))
PAID_AFTER_CLOSE = define(
    "paid_after_close",
    N_("订单关闭后收到%(gateway)s付款 %(amount)s，已自动原路退款"),
    labels=("gateway",),
)
REFUND_REASON_CLOSED = N_("订单已关闭，自动退款")

# What a notification row's outcome says (the platform's inbox filter)
OUTCOME_LABELS = {
    "received": N_("处理中"),
    "paid": N_("已入账"),
    "already_paid": N_("重复（已入账）"),
    "paid_after_close": N_("已入账，订单已关闭并退款"),
    "not_paid": N_("未支付"),
    "refund_succeeded": N_("退款成功"),
    "refund_failed": N_("退款失败"),
    "refund_pending": N_("退款处理中"),
    "ignored": N_("已忽略"),
    "bad_signature": N_("签名错误"),
    "stale": N_("时间戳过期"),
    "malformed": N_("格式错误"),
    "wrong_amount": N_("金额不符"),
    "wrong_merchant": N_("商户号不符"),
    "unknown_trade": N_("未知订单"),
    "unknown_refund": N_("未知退款单"),
}
ACCEPTED_OUTCOMES = frozenset(
    {
        "paid",
        "already_paid",
        "paid_after_close",
        "not_paid",
        "refund_succeeded",
        "refund_failed",
        "refund_pending",
        "ignored",
    }
)
PAYMENT_STATUS_LABELS = {
    PaymentStatus.CREATED: N_("待支付"),
    PaymentStatus.PAID: N_("已支付"),
    PaymentStatus.CLOSED: N_("已关闭"),
}
REFUND_STATUS_LABELS = {
    RefundStatus.PENDING: N_("退款中"),
    RefundStatus.SUCCEEDED: N_("已退款"),
    RefundStatus.FAILED: N_("退款失败"),
}
REFUND_METHOD_LABELS = {"gateway": N_("原路退回"), "offline": N_("线下退款")}
PAY_URL_KEPT = 500  # Payment.pay_url's length
HEADERS_KEPT = 40  # headers stored with a raw notification (Cookie left out)


def new_trade_no(prefix: str = "P") -> str:
    """An out_trade_no / out_refund_no: time-ordered, unguessable, at most 32 characters."""
    return f"{prefix}{to_local(utcnow()):%Y%m%d%H%M%S}{secrets.token_hex(6).upper()}"


# --- paying -----------------------------------------------------------------------------------------


def payable_orders(checkout: Checkout) -> list[Order]:
    return [o for o in checkout.orders if o.status == OrderStatus.PENDING_PAYMENT]


def pay_deadline(checkout: Checkout):
    """When the unpaid orders close (UTC): the platform's time limit from the checkout."""
    minutes = order_settings().unpaid_close_minutes
    first = min((o.created_at for o in checkout.orders), default=checkout.created_at)
    return first + timedelta(minutes=minutes)


def open_payment(checkout: Checkout, gateway_name: str | None = None) -> Payment | None:
    query = select(Payment).where(
        Payment.checkout_id == checkout.id, Payment.status == PaymentStatus.CREATED
    )
    if gateway_name:
        query = query.where(Payment.gateway == gateway_name)
    return db.session.execute(query.order_by(Payment.id.desc()).limit(1)).scalar_one_or_none()


def start_payment(
    checkout: Checkout,
    gateway_name: str,
    actor: Actor,
    *,
    notify_url: str,
    return_url: str,
    client_ip: str = "127.0.0.1",
) -> Payment:
    """The buyer chose a gateway: the payment to send them to (its pay_url).

    Reuses the open payment of that gateway for the same amount; otherwise closes the other open
    attempts at their gateways and opens a new one (a new out_trade_no). The gateway is called
    in this request: the buyer waits for the pay URL, in `payment.redirect_url`. If an earlier
    attempt turns out paid while it is being closed, that paid payment is returned instead (the
    orders have moved on).
    """
    if actor.role != Role.BUYER or checkout.buyer_id != actor.user_id:
        raise Forbidden(NOT_YOUR_CHECKOUT())
    if gateway_name not in enabled_gateways():
        raise InvalidInput(GATEWAY_UNKNOWN())
    orders = payable_orders(checkout)
    if not orders:
        raise IllegalTransition(NOTHING_TO_PAY())
    if utcnow() >= pay_deadline(checkout):
        raise IllegalTransition(PAY_TIME_OVER())
    amount = sum(o.total_fen for o in orders)
    payment = open_payment(checkout, gateway_name)
    if payment is None or payment.amount_fen != amount:
        for earlier in _open_payments(checkout):
            if _close_at_gateway(earlier):
                return earlier  # paid meanwhile: nothing more to pay
        if not payable_orders(checkout):
            raise IllegalTransition(NOTHING_TO_PAY())
        payment = Payment(
            no=new_trade_no(),
            checkout_id=checkout.id,
            buyer_id=checkout.buyer_id,
            gateway=gateway_name,
            amount_fen=amount,
            status=PaymentStatus.CREATED,
        )
        db.session.add(payment)
        db.session.flush()
    if payment.pay_url:
        payment.redirect_url = payment.pay_url
        return payment
    stores = "、".join(dict.fromkeys(o.store.name for o in orders))
    try:
        url = gateway(gateway_name).create_payment(
            PaymentRequest(
                out_trade_no=payment.no,
                amount_fen=amount,
                description=f"{stores} 订单"[:120],
                notify_url=notify_url,
                return_url=return_url,
                client_ip=client_ip,
                expires_at=pay_deadline(checkout),
            )
        )
    except GatewayError:
        log.exception("creating payment %s at %s failed", payment.no, gateway_name)
        raise InvalidInput(GATEWAY_DOWN(gateway=gateway_label(gateway_name))) from None
    # An Alipay pay URL carries the whole signed request (about 1 KB, over the column's 500):
    # it is signed locally, so it is not kept but signed again for the same trade next time.
    payment.pay_url = url if len(url) <= PAY_URL_KEPT else ""
    payment.redirect_url = url  # where the buyer goes now (not a column)
    db.session.flush()
    return payment


def _open_payments(checkout: Checkout) -> list[Payment]:
    return list(
        db.session.execute(
            select(Payment).where(
                Payment.checkout_id == checkout.id, Payment.status == PaymentStatus.CREATED
            )
        ).scalars()
    )


def _close_at_gateway(payment: Payment) -> bool:
    """Close an open attempt at its gateway and here; True if it turned out paid (then it is
    settled instead). A gateway that cannot be reached leaves it open: a late payment of it is
    still taken (and refunded if its orders closed)."""
    try:
        gateway(payment.gateway).close(payment.no)
    except TradeAlreadyPaid:
        return sync_payment(payment)
    except GatewayError:
        log.warning("closing payment %s at %s failed", payment.no, payment.gateway)
        return False
    db.session.execute(
        update(Payment)
        .where(Payment.id == payment.id, Payment.status == PaymentStatus.CREATED)
        .values(status=PaymentStatus.CLOSED)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(payment)
    return False


def close_open_payments(checkout: Checkout) -> bool:
    """Before the time limit closes the checkout's orders: each open payment is synced (True if
    one turns out paid) or closed at its gateway so that it can no longer be paid."""
    for payment in _open_payments(checkout):
        if sync_payment(payment) or _close_at_gateway(payment):
            return True
    return False


def sync_payment(payment: Payment) -> bool:
    """Ask the gateway (the buyer came back, a callback is missing or doubtful) and apply its
    answer: True if the payment is paid (now or before)."""
    if payment.status == PaymentStatus.PAID:
        return True
    try:
        state = gateway(payment.gateway).query(payment.no)
    except GatewayError:
        log.warning("querying payment %s at %s failed", payment.no, payment.gateway)
        return False
    if state is None:
        return False
    if state.paid:
        gw = gateway(payment.gateway)
        if state.amount_fen != payment.amount_fen or state.merchant_id != gw.merchant_id:
            log.error(
                "payment %s: the gateway reports %s fen for merchant %s",
                payment.no,
                state.amount_fen,
                state.merchant_id,
            )
            return False
        settle(payment, state.txn_id)
        return True
    if state.closed and payment.status == PaymentStatus.CREATED:
        db.session.execute(
            update(Payment)
            .where(Payment.id == payment.id, Payment.status == PaymentStatus.CREATED)
            .values(status=PaymentStatus.CLOSED)
            .execution_options(synchronize_session=False)
        )
        db.session.refresh(payment)
    return False


def settle(payment: Payment, txn_id: str, actor: Actor = SYSTEM) -> str:
    """The money arrived. Compare-and-set the payment to paid (once, however many notifications
    and queries race), then move its orders on; an order closed meanwhile is refunded.
    Returns "paid", "paid_after_close" or "already_paid"."""
    now = utcnow()
    won = db.session.execute(
        update(Payment)
        .where(
            Payment.id == payment.id,
            Payment.status.in_((PaymentStatus.CREATED, PaymentStatus.CLOSED)),
        )
        .values(status=PaymentStatus.PAID, gateway_txn_id=txn_id[:64] or None, paid_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(payment)
    if won != 1:
        return "already_paid"
    outcome = "paid"
    label = gateway_label(payment.gateway)
    orders = db.session.execute(
        select(Order).where(Order.checkout_id == payment.checkout_id).order_by(Order.id)
    ).scalars()
    for order in orders:
        if order.status == OrderStatus.PENDING_PAYMENT:
            to = paid_status(order)
            note = PAID_ONLINE(gateway=label, amount=format_fen(order.total_fen))
            try:
                move_order_once(order, to, actor, note)
                continue
            except IllegalTransition:
                db.session.refresh(order)  # closed under us by the time limit
        if order.status == OrderStatus.CLOSED and _covered(order, payment):
            _refund_closed(order, payment, label)
            outcome = "paid_after_close"
    payment_completed.send(payment)
    return outcome


def paid_status(order: Order) -> str:
    """Where a paid order goes: wholesale orders to the manager's confirmation, others to the
    store's preparation."""
    to = (
        OrderStatus.PENDING_CONFIRM
        if order.kind == StoreKind.WHOLESALE
        else OrderStatus.AWAITING_SHIPMENT
    )
    if to not in ORDER_MACHINE.allowed(order.status, SYSTEM.role):
        return OrderStatus.AWAITING_SHIPMENT
    return to


def _covered(order: Order, payment: Payment) -> bool:
    """Was this closed order part of what the payment paid for? It was, unless it had closed
    before the payment was created (the amount then left it out)."""
    closed_at = db.session.execute(
        select(func.max(OrderEvent.created_at)).where(
            OrderEvent.order_id == order.id, OrderEvent.to_status == OrderStatus.CLOSED
        )
    ).scalar_one_or_none()
    return closed_at is None or closed_at >= payment.created_at


def _refund_closed(order: Order, payment: Payment, label: str) -> None:
    remaining = order.total_fen - _refunds_taken(order.id)
    if remaining > 0:
        request_refund(order, remaining, REFUND_REASON_CLOSED, None, SYSTEM, payment=payment)
    record_event(
        order.id,
        SYSTEM,
        order.status,
        order.status,
        PAID_AFTER_CLOSE(gateway=label, amount=format_fen(order.total_fen)),
    )


# --- the callbacks inbox ------------------------------------------------------------------------


def handle_notification(
    gateway_name: str, headers: Mapping[str, str], body: bytes
) -> tuple[int, str]:
    """A gateway's callback: store it raw, verify it, act at most once, answer as the gateway
    expects (WeChat: 204, or 4xx with {"code": "FAIL"}; Alipay: "success" / "fail")."""
    gw = gateway(gateway_name)
    notify_id = gw.notification_id(headers, body)
    row = PaymentNotification(
        gateway=gateway_name,
        notify_id=notify_id,
        headers={k: v for k, v in list(headers.items())[:HEADERS_KEPT] if k.lower() != "cookie"},
        body=body.decode("utf-8", errors="replace"),
        outcome="received",
    )
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:
        # the same notification again (a retry, a replay, a concurrent twin that committed
        # first): answer as the first was answered, act no more
        first = db.session.execute(
            select(PaymentNotification).where(
                PaymentNotification.gateway == gateway_name,
                PaymentNotification.notify_id == notify_id,
            )
        ).scalar_one()
        return gw.answer(first.outcome in ACCEPTED_OUTCOMES)
    try:
        notice = gw.parse_notification(headers, body)
    except BadNotification as bad:
        row.outcome = bad.outcome
        log.warning("%s notification %s refused: %s", gateway_name, row.id, bad)
        return gw.answer(False, bad.outcome)
    row.verified = True
    if notice.merchant_id != gw.merchant_id:
        row.outcome = "wrong_merchant"
        return gw.answer(False, row.outcome)
    if notice.kind == "refund":
        row.outcome = _refund_notice(gateway_name, notice, row)
    else:
        row.outcome = _payment_notice(gateway_name, notice, row)
    db.session.flush()
    return gw.answer(row.outcome in ACCEPTED_OUTCOMES, row.outcome)


def _payment_notice(gateway_name: str, notice: Notice, row: PaymentNotification) -> str:
    payment = db.session.execute(
        select(Payment).where(Payment.no == notice.out_trade_no, Payment.gateway == gateway_name)
    ).scalar_one_or_none()
    if payment is None:
        return "unknown_trade"
    row.payment_id = payment.id
    if notice.amount_fen != payment.amount_fen:
        log.error(
            "payment %s notified with %s fen, expected %s",
            payment.no,
            notice.amount_fen,
            payment.amount_fen,
        )
        return "wrong_amount"
    if not notice.paid:
        return "not_paid"
    return settle(payment, notice.txn_id)


def _refund_notice(gateway_name: str, notice: Notice, row: PaymentNotification) -> str:
    refund = db.session.execute(
        select(Refund).where(Refund.no == notice.out_refund_no)
    ).scalar_one_or_none()
    payment = db.session.get(Payment, refund.payment_id) if refund and refund.payment_id else None
    if refund is None or payment is None or payment.no != notice.out_trade_no:
        return "unknown_refund"
    row.payment_id = payment.id
    if notice.refund_outcome == RefundOutcome.SUCCEEDED:
        complete_refund(refund, notice.refund_id, SYSTEM)
        return "refund_succeeded"
    if notice.refund_outcome == RefundOutcome.FAILED:
        fail_refund(refund, notice.refund_id)
        return "refund_failed"
    return "refund_pending"


# --- refunds ------------------------------------------------------------------------------------


def _refunds_taken(order_id: int) -> int:
    """What is refunded or being refunded for this order (failed refunds do not count)."""
    return db.session.execute(
        select(func.coalesce(func.sum(Refund.amount_fen), 0)).where(
            Refund.order_id == order_id, Refund.status != RefundStatus.FAILED
        )
    ).scalar_one()


def _lock_order(order_id: int) -> None:
    """Take the order's row lock (PostgreSQL) / the write lock (SQLite) before counting what
    was refunded, so two refunds at once are counted one after the other."""
    db.session.execute(
        update(Order)
        .where(Order.id == order_id)
        .values(paid_at=Order.paid_at)
        .execution_options(synchronize_session=False)
    )


def paid_payment(order: Order) -> Payment | None:
    if order.checkout_id is None:
        return None
    return db.session.execute(
        select(Payment)
        .where(Payment.checkout_id == order.checkout_id, Payment.status == PaymentStatus.PAID)
        .order_by(Payment.id)
        .limit(1)
    ).scalar_one_or_none()


def refundable_fen(order: Order) -> int:
    return max(order.total_fen - _refunds_taken(order.id), 0)


def request_refund(
    order: Order,
    amount_fen: int,
    reason: str,
    aftersale_id: int | None,
    actor: Actor | None,
    payment: Payment | None = None,
) -> Refund:
    """Money goes back for this order: through the gateway if it was paid online (sent by a job
    after commit), else an offline refund for staff to pay and record. Never more than the
    order's total minus what is refunded or being refunded already."""
    if amount_fen <= 0:
        raise InvalidInput(REFUND_AMOUNT())
    _lock_order(order.id)
    taken = _refunds_taken(order.id)
    if taken + amount_fen > order.total_fen:
        raise InvalidInput(
            REFUND_TOO_MUCH(total=format_fen(order.total_fen), taken=format_fen(taken))
        )
    payment = payment or paid_payment(order)
    refund = Refund(
        no=new_trade_no("R"),
        order_id=order.id,
        payment_id=payment.id if payment else None,
        aftersale_id=aftersale_id,
        amount_fen=amount_fen,
        reason=(reason or "")[:200],
        method="gateway" if payment else "offline",
        status=RefundStatus.PENDING,
        created_by=actor.user_id if actor else None,
    )
    db.session.add(refund)
    db.session.flush()
    if payment is not None:
        defer(send_refund, refund.id, summary=SEND_REFUND(no=refund.no))
    return refund


def may_record_refund(refund: Refund, actor: Actor) -> bool:
    if actor.is_staff:
        return True
    if actor.role != Role.STORE_STAFF:
        return False
    order = db.session.get(Order, refund.order_id)
    return order is not None and order.store_id == actor.store_id


def record_offline_refund(refund: Refund, reference: str, actor: Actor) -> None:
    """Staff paid an offline refund back (transfer, cash): record it with its reference."""
    if not may_record_refund(refund, actor):
        raise Forbidden(REFUND_STAFF_ONLY())
    if refund.method != "offline":
        raise InvalidInput(REFUND_NOT_OFFLINE())
    reference = (reference or "").strip()
    if not reference:
        raise InvalidInput(REFUND_REFERENCE())
    if refund.status == RefundStatus.SUCCEEDED and refund.reference == reference[:100]:
        return  # a double submit: the same outcome
    if not complete_refund(refund, reference, actor):
        raise IllegalTransition(REFUND_NOT_PENDING())


# --- reading ------------------------------------------------------------------------------------


def payments_of_checkout(checkout_id: int | None) -> list[Payment]:
    if checkout_id is None:
        return []
    return list(
        db.session.execute(
            select(Payment).where(Payment.checkout_id == checkout_id).order_by(Payment.id)
        ).scalars()
    )


def refunds_of_order(order_id: int) -> list[Refund]:
    return list(
        db.session.execute(
            select(Refund).where(Refund.order_id == order_id).order_by(Refund.id)
        ).scalars()
    )


def notifications_of(payment_ids: list[int]) -> list[PaymentNotification]:
    if not payment_ids:
        return []
    return list(
        db.session.execute(
            select(PaymentNotification)
            .where(PaymentNotification.payment_id.in_(payment_ids))
            .order_by(PaymentNotification.id)
        ).scalars()
    )


def payments_log(gateway_name: str = "", status: str = ""):
    query = select(Payment)
    if gateway_name:
        query = query.where(Payment.gateway == gateway_name)
    if status:
        query = query.where(Payment.status == status)
    return query.order_by(Payment.id.desc())


def notifications_log(gateway_name: str = "", outcome: str = ""):
    query = select(PaymentNotification)
    if gateway_name:
        query = query.where(PaymentNotification.gateway == gateway_name)
    if outcome:
        query = query.where(PaymentNotification.outcome == outcome)
    return query.order_by(PaymentNotification.id.desc())
