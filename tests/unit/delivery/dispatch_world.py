"""A small 配送助手 world for the dispatch tests: a same-city store that ships by the assistant,
riders with a chosen duty and cap, a dispatcher; the assistant connected (as conftest leaves it)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from app.accounts.models import Role, User
from app.delivery.connection import assistant_settings
from app.delivery.models import DeliveryTask, DispatchMode, RiderProfile
from app.delivery.services import ship_with_assistant
from app.extensions import db
from app.jobs import commit
from app.ordering.models import Order, OrderEvent
from app.stores.models import Store
from tests.factories import actor_of, make_buyer, make_product, make_store, make_user, place_order


@dataclass
class World:
    store: Store
    owner: User
    dispatcher: User

    def ship(self, mode: str = DispatchMode.ASSIGN) -> DeliveryTask:
        """A cash-on-delivery order the store accepted and shipped by 配送助手, in `mode`."""
        assistant_settings().mode = mode
        product = make_product(self.store, price_fen=3200)
        order = place_order(make_buyer(), product, 2)
        task = ship_with_assistant(order, actor_of(self.owner))
        commit()
        return task


def build(**store_fields) -> World:
    store = make_store(
        name=store_fields.pop("name", "椰城小厨"),
        address="海口市龙华区国贸路 1 号",
        rider_commission_fen=600,
        **store_fields,
    )
    owner = make_user(Role.STORE_STAFF, store=store, name="王老板")
    dispatcher = make_user(Role.DISPATCHER, name="钱调度")
    commit()
    return World(store, owner, dispatcher)


def make_rider(name: str, *, on_duty: bool = True, cap: int = 3) -> User:
    """An approved rider (the factories' way), at work or not, with a cap."""
    rider = make_user(Role.RIDER, name=name)
    profile = db.session.get(RiderProfile, rider.id)
    profile.on_duty = on_duty
    profile.max_active = cap
    db.session.flush()
    return rider


def notes(order: Order | int) -> list[dict]:
    """The stored notes of the order's timeline, oldest first."""
    order_id = order if isinstance(order, int) else order.id
    db.session.expire_all()
    return [
        event.note or {}
        for event in db.session.execute(
            select(OrderEvent).where(OrderEvent.order_id == order_id).order_by(OrderEvent.id)
        ).scalars()
    ]


def codes(order: Order | int) -> list[str]:
    return [note.get("code", "") for note in notes(order)]
