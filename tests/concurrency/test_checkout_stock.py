"""PostgreSQL: fifty buyers check out the last ten units at the same moment, each with a coupon
and points: exactly ten orders, stock never below zero, the losers keep their coupons and points."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from sqlalchemy import func, select

from app.accounts.models import Address, Role, User
from app.catalog.models import Sku
from app.errors import OutOfStock
from app.extensions import db
from app.jobs import commit
from app.ordering.cart import add_to_cart
from app.ordering.checkout import place_orders
from app.ordering.models import Order
from app.promotions.coupons import claim
from app.promotions.models import UserCoupon
from tests.factories import actor_of, make_buyer, make_product, make_store
from tests.unit.promotions.helpers import make_coupon

BUYERS = 50
UNITS = 10


@pytest.fixture
def racing_app(app_factory):
    return app_factory(SQLALCHEMY_ENGINE_OPTIONS={"pool_size": BUYERS + 2, "max_overflow": 5})


@pytest.mark.postgres
def test_fifty_checkouts_for_the_last_ten_units_sell_exactly_ten(racing_app):
    with racing_app.app_context():
        product = make_product(make_store(), "最后十个椰子", price_fen=2000, stock=UNITS)
        coupon = make_coupon(threshold_fen=0, discount_fen=300)
        people = []
        for _ in range(BUYERS):
            buyer = make_buyer()
            buyer.points = 100
            add_to_cart(buyer.id, product.skus[0].id, 1)
            people.append((buyer.id, claim(buyer.id, coupon).id))
        commit()
        sku_id = product.skus[0].id
        db.session.remove()

    barrier = threading.Barrier(BUYERS)
    outcomes: Counter = Counter()
    lock = threading.Lock()

    def checkout(buyer_id: int, held_id: int) -> None:
        with racing_app.app_context():
            buyer = db.session.get(User, buyer_id)
            address = db.session.execute(select(Address).filter_by(user_id=buyer_id)).scalar_one()
            actor = actor_of(buyer, Role.BUYER)
            barrier.wait()
            try:
                place_orders(actor, address, "online", platform_coupon_id=held_id, points=50)
                commit()
                result = "sold"
            except OutOfStock:
                db.session.rollback()
                result = "out of stock"
            finally:
                db.session.remove()
            with lock:
                outcomes[result] += 1

    threads = [threading.Thread(target=checkout, args=pair) for pair in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert outcomes == Counter({"sold": UNITS, "out of stock": BUYERS - UNITS})
    with racing_app.app_context():
        assert db.session.get(Sku, sku_id).stock == 0
        assert db.session.execute(select(func.count(Order.id))).scalar_one() == UNITS
        used = db.session.execute(
            select(func.count(UserCoupon.id)).where(UserCoupon.used_at.is_not(None))
        ).scalar_one()
        assert used == UNITS  # the losers' coupons are still theirs
        spent = db.session.execute(select(func.sum(100 - User.points))).scalar_one()
        assert spent == UNITS * 50
        db.session.remove()
