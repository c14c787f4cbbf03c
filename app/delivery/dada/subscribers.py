"""How Dada reacts to orders, inside the same unit of work: a paid order of a store with
自动派单 is handed to Dada at once; a closed order's Dada order is cancelled there (by a job)."""

from __future__ import annotations

from app.delivery.dada.services import auto_dispatch, close_at_dada
from app.delivery.services import task_of
from app.ordering.signals import order_closed, order_paid


@order_paid.connect
def dispatch_on_payment(order, **_) -> None:
    auto_dispatch(order)


@order_closed.connect
def cancel_at_dada_when_order_closes(order, **_) -> None:
    task = task_of(order)
    if task is not None:
        close_at_dada(task)
