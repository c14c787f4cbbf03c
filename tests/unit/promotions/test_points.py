"""Points: spent at checkout within the balance and the platform's cap, earned once when an
order completes, given back once when an order closes before completion."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.accounts.actor import SYSTEM
from app.accounts.models import Address, Role
from app.errors import InvalidInput
from app.extensions import db
from app.jobs import commit
from app.ordering.cart import add_to_cart
from app.ordering.checkout import place_orders
from app.ordering.services import move_order, move_order_once
from app.ordering.settings import order_settings
from app.ordering.states import OrderStatus
from app.promotions import points
from app.promotions.models import PointEntry
from tests.factories import actor_of, make_buyer, make_product, make_store, make_user

STAFF_NOTE = None


def _buyer_with_points(n: int):
    buyer = make_buyer()
    buyer.points = n
    db.session.flush()
    return buyer


def _address(buyer) -> Address:
    return db.session.execute(select(Address).filter_by(user_id=buyer.id)).scalars().first()


def _checkout(buyer, products, spend: int = 0, payment: str = "online"):
    for product, qty in products:
        add_to_cart(buyer.id, product.skus[0].id, qty)
    placed = place_orders(actor_of(buyer, Role.BUYER), _address(buyer), payment, points=spend)
    commit()
    return placed


def entries(buyer) -> list[tuple[str, int]]:
    rows = db.session.execute(
        select(PointEntry).filter_by(user_id=buyer.id).order_by(PointEntry.id)
    ).scalars()
    return [(e.kind, e.delta) for e in rows]


def test_points_pay_at_the_platform_rate_and_are_split_across_the_stores(app):
    buyer = _buyer_with_points(10_000)
    a, b = make_store(), make_store()
    placed = _checkout(
        buyer, [(make_product(a, price_fen=2000), 1), (make_product(b, price_fen=3000), 1)], 1000
    )
    first, second = placed.orders
    assert (first.points_discount_fen, second.points_discount_fen) == (400, 600)
    assert first.total_fen == 2000 + a.delivery_fee_fen - 400
    assert placed.checkout.points_used == 1000
    assert buyer.points == 9000
    assert entries(buyer) == [("spent", -1000)]


def test_more_points_than_the_cap_are_refused_and_nothing_is_spent(app):
    order_settings().points_max_percent = 50
    buyer = _buyer_with_points(10_000)
    product = make_product(make_store(), price_fen=2000)
    add_to_cart(buyer.id, product.skus[0].id, 1)
    with pytest.raises(InvalidInput, match="本单最多可用 1000 积分"):
        place_orders(actor_of(buyer, Role.BUYER), _address(buyer), "online", points=1001)


def test_more_points_than_the_balance_are_refused(app):
    buyer = _buyer_with_points(30)
    add_to_cart(buyer.id, make_product(make_store(), price_fen=2000).skus[0].id, 1)
    with pytest.raises(InvalidInput, match="本单最多可用 30 积分"):
        place_orders(actor_of(buyer, Role.BUYER), _address(buyer), "online", points=31)


def test_a_completed_order_earns_points_once(app):
    order_settings().points_per_yuan = 2
    buyer = _buyer_with_points(0)
    store = make_store()
    [order] = _checkout(buyer, [(make_product(store, price_fen=12_345), 1)], payment="cod").orders
    staff = actor_of(make_user(Role.OPERATOR))
    move_order(order, OrderStatus.AWAITING_SHIPMENT, staff)
    move_order(order, OrderStatus.SHIPPED, staff)
    move_order(order, OrderStatus.COMPLETED, staff)
    assert points.earn_for(order) is False  # the event came twice: posted once
    assert buyer.points == 123 * 2
    assert entries(buyer) == [("earned", 246)]


def test_an_order_closed_unpaid_gives_its_share_of_points_back_once(app):
    buyer = _buyer_with_points(5000)
    a, b = make_store(), make_store()
    placed = _checkout(
        buyer, [(make_product(a, price_fen=2000), 1), (make_product(b, price_fen=3000), 1)], 999
    )
    first, _ = placed.orders
    move_order_once(first, OrderStatus.CLOSED, SYSTEM)
    points.return_for(first)  # a second close event changes nothing
    commit()
    share = points.points_share(first)
    assert share == 400  # 999 points over 2000/3000: 399.6 → 400 by the largest remainder
    assert buyer.points == 5000 - 999 + 400
    assert entries(buyer) == [("spent", -999), ("returned", 400)]
