"""Money's reactions to the order, payment and delivery domains' announcements, inside the
same unit of work (imported once by app/subscribers.py)."""

from __future__ import annotations

from app.accounts.actor import SYSTEM
from app.delivery.signals import task_delivered
from app.finance.settlement import (
    post_order_completed,
    post_order_paid,
    post_refund,
    post_task_delivered,
)
from app.ordering.signals import order_moved
from app.ordering.states import OrderStatus
from app.payments.signals import refund_completed


@order_moved.connect
def _order_moved(order, frm, to, actor, **_) -> None:
    if frm == OrderStatus.PENDING_PAYMENT and to != OrderStatus.CLOSED:
        post_order_paid(order, actor)  # money arrived (online orders only)
    if to == OrderStatus.COMPLETED:
        post_order_completed(order, actor)


@refund_completed.connect
def _refund_completed(refund, actor=None, **_) -> None:
    post_refund(refund, actor or SYSTEM)


@task_delivered.connect
def _task_delivered(task, actor=None, **_) -> None:
    post_task_delivered(task, actor or SYSTEM)
