"""How delivery reacts to orders: a closed order cancels its task; an order completed by
someone else first ends the task cleanly."""

from __future__ import annotations

from app.delivery.services import cancel_task_of, end_task_with_order
from app.ordering.signals import order_closed, order_moved
from app.ordering.states import OrderStatus


@order_closed.connect
def cancel_task_when_order_closes(order, **_) -> None:
    cancel_task_of(order)


@order_moved.connect
def end_task_when_order_completes(order, to, **_) -> None:
    if to == OrderStatus.COMPLETED:
        end_task_with_order(order)
