"""What follows an order change in other domains: jobs deferred, tasks cancelled, stock freed.

Kept in one place so the order verbs stay short and every consequence is easy to find.
"""

from __future__ import annotations

from app.ordering.models import Order
from app.ordering.states import OrderStatus
from app.stores.models import StoreKind


def order_placed(order: Order) -> None:
    from app.jobs import defer
    from app.notifications.services import notify_new_wholesale_order
    from app.printing.tasks import print_receipt

    if order.kind == StoreKind.WHOLESALE:
        notify_new_wholesale_order(order)
    elif order.status == OrderStatus.AWAITING_SHIPMENT and order.store.printer_host:
        defer(print_receipt, order.id)


def order_moved(order: Order, frm: str, to: str) -> None:
    from app.delivery.services import cancel_task_of
    from app.ordering.services import release_stock

    if to == OrderStatus.CLOSED:
        release_stock(order)
        cancel_task_of(order)
