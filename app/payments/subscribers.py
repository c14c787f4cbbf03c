"""The payments domain's reactions to ordering's events, inside the same unit of work."""

from __future__ import annotations

import logging

from app.ordering.models import Checkout, Order
from app.ordering.signals import order_payment_due, refund_due
from app.payments.services import close_open_payments, request_refund

log = logging.getLogger(__name__)


@order_payment_due.connect
def check_before_closing(order: Order, **_) -> None:
    """The time to pay ran out: ask the gateway about every open payment of the checkout (a
    callback may have been lost); paid moves the orders on, so ordering does not close them;
    otherwise the payments are closed at the gateway so the buyer cannot pay any more."""
    checkout = order.checkout
    if isinstance(checkout, Checkout):
        close_open_payments(checkout)


@refund_due.connect
def refund_order(order: Order, amount_fen: int, reason: str, aftersale_id=None, actor=None, **_):
    """Money must go back: through the gateway if the order was paid online, else an offline
    refund for staff to record. Refusals (more than is left to refund) raise to the caller."""
    request_refund(order, amount_fen, reason, aftersale_id, actor)
