"""How a store's order leaves the store: one courier adapter per way of delivering.

The store's 发货 form lists the shipping methods registered here for the order's kind; a new
courier (Dada, an express company) is one more registered class, nothing else changes.
"""

from __future__ import annotations

from typing import Protocol

from app.accounts.actor import Actor
from app.adapters import Registry
from app.ordering.models import Order


class Courier(Protocol):
    name: str
    label: str  # N_ msgid: what the store's 发货 form says
    kinds: tuple[str, ...]  # the store kinds whose orders it can carry

    def ship(self, order: Order, actor: Actor) -> None:
        """Hand the order over; moves it to 已发货 and records who carries it."""


COURIERS: Registry[Courier] = Registry("courier")


def couriers_for(order: Order) -> dict[str, str]:
    """The shipping methods a store may choose for this order: name -> label msgid."""
    found = {}
    for name in COURIERS.names():
        courier = COURIERS.get(name)
        if order.kind in courier.kinds:
            found[name] = courier.label
    return found
