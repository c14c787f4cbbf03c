"""Checkout under a same-city store's delivery rules (SPEC §6): the radius, the fee by distance,
the 起送价 and the delivery slots, each refused where the buyer is looking, nothing placed."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import func, select

from app.accounts.models import Address
from app.clock import travel, utcnow
from app.extensions import db
from app.jobs import commit
from app.ordering.cart import add_to_cart
from app.ordering.models import Order
from tests.factories import make_buyer, make_product, make_store
from tests.web.shop.test_checkout_coupons import form_of

STORE_AT = (20.0300, 110.3270)  # 海口
KM_NORTH = 1 / 111.195  # degrees of latitude per kilometre


@pytest.fixture
def buyer(app, login):
    user = make_buyer()
    commit()
    login(user)
    return user


def rules_store(**fields):
    rules = dict(
        name="椰城小厨",
        lat=STORE_AT[0],
        lng=STORE_AT[1],
        delivery_radius_m=5000,
        delivery_fee_tiers=[[3000, 300], [5000, 500]],
        delivery_beyond_km_fen=100,
        min_order_fen=2000,
        delivery_fee_fen=800,
    )
    return make_store(**(rules | fields))


def place_at(buyer, km: float | None) -> None:
    address = db.session.execute(select(Address).where(Address.user_id == buyer.id)).scalar_one()
    address.lat = None if km is None else STORE_AT[0] + km * KM_NORTH
    address.lng = None if km is None else STORE_AT[1]


def fill_cart(buyer, store, price_fen: int = 2500) -> None:
    add_to_cart(buyer.id, make_product(store, price_fen=price_fen).skus[0].id, 1)
    commit()


def at_ten_oh_nine():
    """The clock at 10:09 in 海口 on 2026-12-01 (02:09 UTC)."""
    return travel(datetime(2026, 12, 1, 2, 9) - utcnow())


def order_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Order))


def test_an_address_four_km_away_pays_the_five_yuan_tier_and_the_order_keeps_the_distance(
    client, buyer
):
    fill_cart(buyer, rules_store())
    place_at(buyer, 4.0)
    commit()

    page = client.get("/shop/checkout").get_data(as_text=True)
    assert "约 4.0 公里" in page and "￥5.00" in page

    assert client.post("/shop/checkout", data=form_of(client)).status_code == 303
    order = db.session.execute(select(Order)).scalar_one()
    assert (order.delivery_fee_fen, order.total_fen) == (500, 3000)
    assert 3950 <= order.delivery_distance_m <= 4050
    assert round(order.delivery_lat - STORE_AT[0], 3) == round(4 * KM_NORTH, 3)  # for the rider


def test_beyond_the_radius_is_refused_with_the_distance_and_nothing_is_placed(client, buyer):
    fill_cart(buyer, rules_store())
    place_at(buyer, 6.2)
    commit()

    response = client.post("/shop/checkout", data=form_of(client))

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "超出配送范围：椰城小厨 配送 5 公里内，您的地址约 6.2 公里" in page
    assert 'id="checkout-errors"' in page
    assert order_count() == 0


def test_below_the_minimum_says_how_much_is_missing(client, buyer):
    fill_cart(buyer, rules_store(), price_fen=1500)
    place_at(buyer, 1.0)
    commit()

    assert "起送价 ￥20.00，还差 ￥5.00" in client.get("/shop/cart").get_data(as_text=True)
    response = client.post("/shop/checkout", data=form_of(client))

    assert response.status_code == 422
    assert "椰城小厨 未达起送价 ￥20.00（还差 ￥5.00）" in response.get_data(as_text=True)
    assert order_count() == 0


def test_pickup_needs_neither_the_radius_nor_the_minimum(client, buyer):
    store = rules_store(delivery_options=["delivery", "pickup"], min_order_fen=5000)
    fill_cart(buyer, store, price_fen=1500)
    place_at(buyer, 30.0)
    commit()

    data = form_of(client) | {f"delivery_{store.id}": "pickup"}
    assert client.post("/shop/checkout", data=data).status_code == 303
    order = db.session.execute(select(Order)).scalar_one()
    assert (order.delivery_fee_fen, order.delivery_distance_m) == (0, None)


def test_an_address_without_a_position_is_asked_to_locate_when_the_store_has_a_radius(
    client, buyer
):
    fill_cart(buyer, rules_store())
    place_at(buyer, None)
    commit()

    response = client.post("/shop/checkout", data=form_of(client))

    assert response.status_code == 422
    assert "无法确定收货地址的位置" in response.get_data(as_text=True)
    assert order_count() == 0


def test_slots_start_after_the_preparation_time_and_the_chosen_one_is_kept(client, buyer):
    store = rules_store(delivery_slots=True, prep_minutes=20, opens_at="09:00", closes_at="21:00")
    fill_cart(buyer, store)
    place_at(buyer, 1.0)
    commit()
    with at_ten_oh_nine():
        page = client.get("/shop/checkout").get_data(as_text=True)
        assert "今天 10:30–11:00" in page  # 10:09 + 20 minutes of preparation
        assert "今天 10:00–10:30" not in page
        assert "明天 09:00–09:30" in page
        data = form_of(client) | {f"slot_{store.id}": "202612010600"}  # 14:00 local
        assert client.post("/shop/checkout", data=data).status_code == 303

    order = db.session.execute(select(Order)).scalar_one()
    assert order.delivery_slot_at == datetime(2026, 12, 1, 6, 0)


@pytest.mark.parametrize("slot", ["202612010200", "202612011500", "not-a-slot", "9" * 400])
def test_a_slot_the_store_does_not_offer_is_refused(client, buyer, slot):
    store = rules_store(delivery_slots=True, prep_minutes=20, opens_at="09:00", closes_at="21:00")
    fill_cart(buyer, store)
    place_at(buyer, 1.0)
    commit()
    with at_ten_oh_nine():
        data = form_of(client) | {f"slot_{store.id}": slot}
        response = client.post("/shop/checkout", data=data)

    assert response.status_code == 422
    assert "请选择 椰城小厨 可送达的时间段" in response.get_data(as_text=True)
    assert order_count() == 0


def test_the_cart_and_the_store_page_say_the_fee_depends_on_distance(client, buyer):
    store = rules_store()
    fill_cart(buyer, store)

    assert "￥3.00 起，按距离计算" in client.get("/shop/cart").get_data(as_text=True)
    page = client.get(f"/shop/stores/{store.id}").get_data(as_text=True)
    assert "配送费 ￥3.00 起" in page and "起送 ￥20.00" in page and "配送 5 公里内" in page
