"""How wholesale reacts to orders: a new wholesale order is announced to the region."""

from __future__ import annotations

from app.ordering.signals import order_placed
from app.stores.models import StoreKind
from app.wholesale.services import notify_new_order


@order_placed.connect
def announce_new_wholesale_order(order, **_) -> None:
    if order.kind == StoreKind.WHOLESALE:
        notify_new_order(order)
