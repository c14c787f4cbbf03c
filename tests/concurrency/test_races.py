"""Races settled in the database: 20 riders grab one task, 20 buyers want the last units."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import func, select

from app.accounts.models import Role
from app.catalog.models import Sku
from app.delivery.models import DeliveryTask
from app.delivery.services import grab_task, ship_with_assistant
from app.errors import AlreadyTaken, OutOfStock
from app.extensions import db
from app.jobs import commit
from app.ordering.models import Order, OrderEvent
from tests.factories import actor_of, make_buyer, make_product, make_store, make_user, place_order
from tests.support.racing import race as support_race

RACERS = 20


def race(app, worker, ids: list[int]):
    return support_race(app, worker, ids, refused=(AlreadyTaken, OutOfStock))


@pytest.fixture
def racing_app(app_factory):
    """A separate app whose engine pool fits twenty threads at once."""
    return app_factory(SQLALCHEMY_ENGINE_OPTIONS={"pool_size": RACERS + 2, "max_overflow": 5})


def test_twenty_riders_grab_one_task_and_exactly_one_wins(racing_app):
    with racing_app.app_context():
        store = make_store()
        owner = make_user(Role.STORE_STAFF, store=store)
        order = place_order(make_buyer(), make_product(store), 1)
        task = ship_with_assistant(order, actor_of(owner))
        riders = [make_user(Role.RIDER) for _ in range(RACERS)]
        commit()
        task_id, order_id = task.id, order.id
        rider_ids = [r.id for r in riders]
        db.session.remove()

    def grab(rider_id: int) -> None:
        from app.accounts.models import User

        rider = db.session.get(User, rider_id)
        grab_task(db.session.get(DeliveryTask, task_id), actor_of(rider))

    outcomes = race(racing_app, grab, rider_ids)
    assert outcomes == Counter({"won": 1, "已被抢": RACERS - 1})
    with racing_app.app_context():
        task = db.session.get(DeliveryTask, task_id)
        assert task.rider_id in rider_ids
        accepted = db.session.execute(
            select(func.count()).where(
                OrderEvent.order_id == order_id, OrderEvent.to_status == "accepted"
            )
        ).scalar_one()
        assert accepted == 1
        db.session.remove()


@pytest.mark.postgres
def test_concurrent_checkouts_never_oversell(racing_app):
    """PostgreSQL only: on SQLite a checkout takes the database's single write lock before it
    reads the stock, so the twenty checkouts run one after another and a read-then-write
    decrement that oversells on PostgreSQL passes there too."""
    with racing_app.app_context():
        product = make_product(make_store(), "限量椰子饭", stock=5)
        buyers = [make_buyer() for _ in range(RACERS)]
        commit()
        sku_id, product_id = product.skus[0].id, product.id
        buyer_ids = [b.id for b in buyers]
        db.session.remove()

    def buy(buyer_id: int) -> None:
        from app.accounts.models import User
        from app.catalog.models import Product

        place_order(db.session.get(User, buyer_id), db.session.get(Product, product_id), 1)

    outcomes = race(racing_app, buy, buyer_ids)
    with racing_app.app_context():
        assert db.session.get(Sku, sku_id).stock == 0
        assert db.session.execute(select(func.count(Order.id))).scalar_one() == 5
        db.session.remove()
    assert outcomes["won"] == 5
    assert sum(n for reason, n in outcomes.items() if "库存不足" in reason) == RACERS - 5
