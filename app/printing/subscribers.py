"""How printing reacts to orders: the ticket prints when the order is to be prepared — paid
online, accepted by the store (cash on delivery) or confirmed by the sales manager."""

from __future__ import annotations

from app.ordering.signals import order_moved
from app.ordering.states import OrderStatus
from app.printing.services import print_new_order


@order_moved.connect
def print_when_order_is_to_be_prepared(order, to, **_) -> None:
    if to == OrderStatus.AWAITING_SHIPMENT:
        print_new_order(order)
