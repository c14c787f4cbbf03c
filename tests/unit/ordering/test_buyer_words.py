"""The buyer's status words come from one place and follow how the order really travels."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from app.ordering.states import OrderStatus as S
from app.ordering.states import buyer_label, buyer_words


def an_order(kind, status, delivery_option="delivery", courier_confirms=False, shipped=None):
    if shipped is None:
        shipped = status in (S.SHIPPED, S.COMPLETED) and delivery_option != "pickup"
    return SimpleNamespace(
        kind=kind,
        status=status,
        delivery_option=delivery_option,
        courier_confirms=courier_confirms,
        shipped_at="2026-11-30" if shipped else None,
    )


@pytest.mark.parametrize("option", ["ship", "express", "ship_pickup"])
def test_a_wholesale_order_shipped_by_logistics_never_says_driver(option):
    shipped = an_order("wholesale", S.SHIPPED, option, courier_confirms=False)

    assert buyer_words(shipped) != "司机送货中"
    assert buyer_words(shipped) == "已发货，物流运输中"


def test_a_wholesale_order_a_driver_drives_says_driver():
    assert buyer_words(an_order("wholesale", S.SHIPPED, "ship", courier_confirms=True)) == (
        "司机送货中"
    )


def test_a_same_city_order_a_rider_brings_says_delivering():
    assert buyer_words(an_order("same_city", S.SHIPPED, courier_confirms=True)) == "配送中"


def test_a_same_city_order_sent_by_express_says_shipped():
    assert buyer_words(an_order("same_city", S.SHIPPED, "express")) == "已发货，物流运输中"


@pytest.mark.parametrize("kind", ["same_city", "wholesale"])
def test_a_pickup_order_waits_for_pickup_then_says_picked_up(kind):
    assert buyer_words(an_order(kind, S.AWAITING_SHIPMENT, "pickup")) == "待自提"
    assert buyer_words(an_order(kind, S.COMPLETED, "pickup")) == "已自提"


def test_before_shipping_the_words_follow_the_store_kind():
    assert buyer_words(an_order("same_city", S.PENDING_ACCEPT)) == "等待商家接单"
    assert buyer_words(an_order("wholesale", S.PENDING_CONFIRM)) == "等待业务经理确认中"
    assert buyer_words(an_order("wholesale", S.AWAITING_SHIPMENT, "ship")) == "待发货"


def test_the_old_two_argument_call_still_answers():
    assert buyer_label("same_city", S.AWAITING_SHIPMENT) == "商家备货中"


def test_a_pickup_order_that_was_shipped_after_all_speaks_of_shipping():
    shipped = an_order("wholesale", S.SHIPPED, "pickup", shipped=True)
    received = an_order("wholesale", S.COMPLETED, "pickup", shipped=True)

    assert buyer_words(shipped) == "已发货，物流运输中"
    assert buyer_words(received) == "已收货"
