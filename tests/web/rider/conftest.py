"""The rider portal's world: a same-city store whose orders ship by 配送助手, and a rider."""

from __future__ import annotations

import pytest

from app.accounts.models import Role
from app.delivery.services import ship_with_assistant
from app.jobs import commit
from tests.factories import actor_of, make_buyer, make_product, make_store, make_user, place_order


@pytest.fixture
def store(app):
    return make_store(name="椰城小厨", address="海口市龙华区国贸路 1 号", rider_commission_fen=600)


@pytest.fixture
def ship(store):
    """Place and ship a same-city order by 配送助手; the courier job pushes it to the pool."""
    owner = make_user(Role.STORE_STAFF, store=store)
    product = make_product(store, "宫保鸡丁", price_fen=3200)

    def do_ship():
        order = place_order(make_buyer(), product, 2)
        task = ship_with_assistant(order, actor_of(owner))
        commit()
        return task

    return do_ship


@pytest.fixture
def rider(app):
    return make_user(Role.RIDER, name="赵骑手")
