"""The ordering side of every refund that went through (`refund_completed` from payments).

The order's and its items' `refunded_fen` grow by compare-and-set, so together they never pass
what was paid (an order's total, an item's line less its discounts): a refund that would is
refused and its unit of work rolls back. The after-sales request moves to refunded; the
timeline says "退款成功 ¥x.xx（原路退回）" (or, for an offline refund, the staff's reference).
A refund with no request (an order cancelled after payment) touches only the order.
"""

from __future__ import annotations

from sqlalchemy import update

from app.accounts.actor import SYSTEM, Actor
from app.errors import IllegalTransition, InvalidInput
from app.extensions import db
from app.i18n_markers import N_
from app.messages import Message, define
from app.ordering.aftersale_states import AfterSaleStatus
from app.ordering.aftersales import MACHINE, mark_refunded, money
from app.ordering.events import record_event
from app.ordering.models import AfterSale, Order, OrderItem
from app.ordering.proration import largest_remainder
from app.payments.signals import refund_completed

REFUND_ABOVE_PAID = define(
    "refund_above_paid", N_("退款金额 %(amount)s 超过了实付金额（还可退 %(left)s）")
)
REFUNDED_ONLINE = define("refunded_online", N_("退款成功 %(amount)s（原路退回）"))
REFUNDED_OFFLINE = define(
    "refunded_offline", N_("退款成功 %(amount)s（线下退款，凭证：%(reference)s）")
)
NOT_REFUNDING = define("refund_not_refunding", N_("该售后申请不在退款中，不能记为已退款"))
REFUND_NOT_POSITIVE = define("refund_not_positive", N_("退款金额必须大于 0"))


def _add_to_order(order: Order, amount: int) -> None:
    result = db.session.execute(
        update(Order)
        .where(Order.id == order.id, Order.refunded_fen + amount <= Order.total_fen)
        .values(refunded_fen=Order.refunded_fen + amount)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.refresh(order)
        left = max(0, order.total_fen - order.refunded_fen)
        raise InvalidInput(REFUND_ABOVE_PAID(amount=money(amount), left=money(left)))
    db.session.refresh(order, ["refunded_fen"])


def _add_to_items(aftersale: AfterSale, amount: int) -> None:
    """The refund split over the request's items in proportion to what each returns (exactly
    each item's share when the whole request is refunded)."""
    lines = list(aftersale.items)
    weights = [line.amount_fen for line in lines]
    if amount > sum(weights):
        raise InvalidInput(
            REFUND_ABOVE_PAID(amount=money(amount), left=money(aftersale.amount_fen))
        )
    for line, part in zip(lines, largest_remainder(amount, weights), strict=True):
        if not part:
            continue
        item = line.order_item
        result = db.session.execute(
            update(OrderItem)
            .where(
                OrderItem.id == item.id,
                OrderItem.refunded_fen + part <= OrderItem.line_fen - OrderItem.discount_fen,
            )
            .values(refunded_fen=OrderItem.refunded_fen + part)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            db.session.refresh(item)
            left = max(0, item.line_fen - item.discount_fen - item.refunded_fen)
            raise InvalidInput(REFUND_ABOVE_PAID(amount=money(part), left=money(left)))
        db.session.refresh(item, ["refunded_fen"])


def _note(refund) -> Message:
    if getattr(refund, "method", "") == "offline":
        return REFUNDED_OFFLINE(amount=money(refund.amount_fen), reference=refund.reference or "")
    return REFUNDED_ONLINE(amount=money(refund.amount_fen))


def record_refund(refund, actor: Actor | None = None) -> None:
    """Book a refund that went through onto the order, its items and its request."""
    actor = actor or SYSTEM
    amount = int(refund.amount_fen)
    if amount <= 0:
        raise InvalidInput(REFUND_NOT_POSITIVE())
    order = db.session.get(Order, refund.order_id)
    if order is None:
        return
    aftersale = db.session.get(AfterSale, refund.aftersale_id) if refund.aftersale_id else None
    if aftersale is not None:
        if aftersale.status == AfterSaleStatus.REFUNDED:
            return  # booked already (the same confirmation twice)
        if aftersale.status != AfterSaleStatus.REFUNDING:
            raise IllegalTransition(NOT_REFUNDING())
        _add_to_order(order, amount)
        _add_to_items(aftersale, amount)
        mark_refunded(aftersale, actor, _note(refund))
        return
    _add_to_order(order, amount)
    record_event(order.id, actor, None, AfterSaleStatus.REFUNDED, _note(refund), machine=MACHINE)


@refund_completed.connect
def book_completed_refund(refund, actor: Actor | None = None, **_) -> None:
    record_refund(refund, actor)
