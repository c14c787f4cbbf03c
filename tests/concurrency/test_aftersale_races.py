"""After-sales races settled in the database (PostgreSQL): requests for the same pieces at once."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from sqlalchemy import func, select

from app.accounts.models import Role, User
from app.errors import AlreadyTaken, InvalidInput
from app.extensions import db
from app.jobs import commit
from app.ordering.aftersales import request_aftersale
from app.ordering.models import AfterSale, AfterSaleItem, Order, OrderItem
from app.ordering.services import move_order
from app.ordering.states import OrderStatus
from tests.factories import actor_of, make_buyer, make_product, make_store, make_user, place_order

pytestmark = pytest.mark.postgres


def _completed_order(app, quantity: int, discount_fen: int = 0) -> tuple[int, int, int]:
    with app.app_context():
        store = make_store()
        buyer = make_buyer()
        order = place_order(buyer, make_product(store, price_fen=1000), quantity)
        order.items[0].discount_fen = discount_fen
        move_order(order, OrderStatus.SHIPPED, actor_of(make_user(Role.STORE_STAFF, store=store)))
        move_order(order, OrderStatus.COMPLETED, actor_of(buyer, Role.BUYER))
        commit()
        ids = order.id, order.items[0].id, buyer.id
        db.session.remove()
    return ids


def _race(app, racers: int, order_id: int, item_id: int, buyer_id: int) -> Counter:
    barrier = threading.Barrier(racers)
    outcomes: Counter = Counter()
    lock = threading.Lock()

    def run() -> None:
        with app.app_context():
            order = db.session.get(Order, order_id)
            actor = actor_of(db.session.get(User, buyer_id), Role.BUYER)
            barrier.wait()
            try:
                request_aftersale(order, actor, "refund", {item_id: 1}, "商品质量问题")
                commit()
                result = "won"
            except (AlreadyTaken, InvalidInput):
                db.session.rollback()
                result = "refused"
            finally:
                db.session.remove()
            with lock:
                outcomes[result] += 1

    threads = [threading.Thread(target=run) for _ in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


@pytest.fixture
def racing_app(app_factory):
    return app_factory(SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 12, "max_overflow": 4})


def test_two_requests_for_the_same_last_piece_at_once_one_wins(racing_app):
    order_id, item_id, buyer_id = _completed_order(racing_app, quantity=1)
    assert _race(racing_app, 2, order_id, item_id, buyer_id) == Counter(won=1, refused=1)
    with racing_app.app_context():
        assert db.session.get(OrderItem, item_id).aftersale_quantity == 1
        assert db.session.scalar(select(func.count(AfterSale.id))) == 1


def test_ten_requests_for_three_pieces_take_exactly_three_worth_exactly_what_was_paid(
    racing_app,
):
    order_id, item_id, buyer_id = _completed_order(racing_app, quantity=3, discount_fen=100)
    assert _race(racing_app, 10, order_id, item_id, buyer_id) == Counter(won=3, refused=7)
    with racing_app.app_context():
        item = db.session.get(OrderItem, item_id)
        assert item.aftersale_quantity == 3
        amounts = sorted(db.session.scalars(select(AfterSaleItem.amount_fen)))
        assert amounts == [966, 967, 967]  # 3 × ¥10.00 − ¥1.00, split exactly
