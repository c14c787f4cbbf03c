"""An unpaid online order closes when its time to pay runs out: stock and points come back;
an order paid in time keeps going."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.accounts.models import Address, Role
from app.catalog.models import Sku
from app.clock import travel
from app.deadlines import Deadline, sweep
from app.extensions import db
from app.jobs import commit
from app.ordering.cart import add_to_cart
from app.ordering.checkout import CLOSE_UNPAID, place_orders
from app.ordering.models import Order
from app.ordering.services import move_order
from app.ordering.settings import order_settings
from app.ordering.signals import order_payment_due
from app.ordering.states import OrderStatus
from app.promotions.coupons import claim
from app.promotions.models import UserCoupon
from tests.factories import actor_of, make_buyer, make_product, make_store
from tests.unit.promotions.helpers import make_coupon


def _place(buyer, product, qty=2, **kw) -> Order:
    add_to_cart(buyer.id, product.skus[0].id, qty)
    address = db.session.execute(select(Address).filter_by(user_id=buyer.id)).scalars().first()
    [order] = place_orders(actor_of(buyer, Role.BUYER), address, "online", **kw).orders
    commit()
    return order


def test_an_unpaid_order_closes_after_the_limit_with_stock_points_and_coupon_back(app):
    order_settings().unpaid_close_minutes = 20
    buyer = make_buyer()
    buyer.points = 500
    product = make_product(make_store(), price_fen=3000, stock=10)
    held = claim(buyer.id, make_coupon(threshold_fen=0, discount_fen=300))
    order = _place(buyer, product, platform_coupon_id=held.id, points=200)
    assert db.session.get(Sku, product.skus[0].id).stock == 8
    assert buyer.points == 300 and held.used_at is not None

    with travel(timedelta(minutes=19)):
        assert sweep().applied == 0
    with travel(timedelta(minutes=21)):
        assert sweep().applied == 1
        assert sweep().applied == 0  # applied once

    db.session.expire_all()
    order = db.session.get(Order, order.id)
    assert order.status == OrderStatus.CLOSED
    assert order.events[-1].note["code"] == "unpaid_closed"
    assert db.session.get(Sku, product.skus[0].id).stock == 10
    assert db.session.get(type(buyer), buyer.id).points == 500
    assert db.session.get(UserCoupon, held.id).used_at is None


def test_an_order_paid_in_time_is_not_closed_and_its_deadline_is_gone(app):
    buyer = make_buyer()
    order = _place(buyer, make_product(make_store(), stock=5))
    move_order(order, OrderStatus.AWAITING_SHIPMENT, actor_of(buyer, Role.BUYER))
    commit()
    assert (
        db.session.execute(
            select(Deadline).filter_by(kind=CLOSE_UNPAID, subject_id=order.id)
        ).scalar_one_or_none()
        is None
    )
    with travel(timedelta(hours=2)):
        sweep()
    db.session.expire_all()
    assert db.session.get(Order, order.id).status == OrderStatus.AWAITING_SHIPMENT


def test_the_gateway_is_asked_first_and_a_late_payment_keeps_the_order(app):
    buyer = make_buyer()
    order = _place(buyer, make_product(make_store(), stock=5))

    def paid_after_all(order, **_):  # the payments domain found the money at the gateway
        move_order(order, OrderStatus.AWAITING_SHIPMENT, actor_of(buyer, Role.BUYER))

    order_payment_due.connect(paid_after_all)
    try:
        with travel(timedelta(minutes=31)):
            assert sweep().applied == 1
    finally:
        order_payment_due.disconnect(paid_after_all)
    db.session.expire_all()
    assert db.session.get(Order, order.id).status == OrderStatus.AWAITING_SHIPMENT
