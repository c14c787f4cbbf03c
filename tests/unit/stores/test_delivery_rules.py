"""Same-city rules (SPEC §6): radius, fee tiers by distance, 起送价, slots within the hours."""

from __future__ import annotations

from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest

from app.clock import local_day_start, to_local
from app.errors import InvalidInput
from app.stores.delivery_rules import (
    check_minimum,
    check_slot,
    clean_tiers,
    fee_for,
    quote,
    slots,
)

# 椰城小厨 in 海口; one degree of latitude is about 111.2 km
STORE_AT = (20.0, 110.3)


def north(km: float) -> tuple[float, float]:
    return STORE_AT[0] + km / 111.195, STORE_AT[1]


def store(**rules) -> SimpleNamespace:
    values = dict(
        name="椰城小厨",
        lat=STORE_AT[0],
        lng=STORE_AT[1],
        delivery_fee_fen=400,
        delivery_radius_m=None,
        delivery_fee_tiers=[[3000, 300], [5000, 500]],
        delivery_beyond_km_fen=100,
        min_order_fen=0,
        prep_minutes=30,
        delivery_slots=True,
        opens_at="09:00",
        closes_at="21:00",
    )
    values.update(rules)
    return SimpleNamespace(**values)


@pytest.mark.parametrize(
    ("km", "fee"), [(0.5, 300), (2.9, 300), (3.0, 300), (4.2, 500), (5.0, 500), (6.2, 700)]
)
def test_the_fee_follows_the_tiers_and_each_started_km_beyond_them(km, fee):
    assert quote(store(), *north(km)).fee_fen == fee


def test_a_store_without_tiers_charges_its_flat_fee_anywhere():
    assert fee_for(store(delivery_fee_tiers=[]), 12_000) == 400
    assert quote(store(delivery_fee_tiers=[]), None, None).fee_fen == 400


def test_beyond_the_radius_is_refused_with_both_distances():
    with pytest.raises(InvalidInput) as refused:
        quote(store(delivery_radius_m=5000), *north(6.2))
    assert "超出配送范围" in refused.value.message
    assert "5 公里" in refused.value.message and "6.2 公里" in refused.value.message
    assert quote(store(delivery_radius_m=5000), *north(4.9)).distance_m == pytest.approx(
        4900, abs=10
    )


def test_an_address_without_a_position_is_refused_only_when_the_radius_counts():
    with pytest.raises(InvalidInput, match="无法确定收货地址的位置"):
        quote(store(delivery_radius_m=5000), None, None)
    assert quote(store(), None, None).distance_m is None


def test_below_the_minimum_says_how_much_is_missing():
    with pytest.raises(InvalidInput) as refused:
        check_minimum(store(min_order_fen=2000), 1550)
    assert "未达起送价 ￥20.00" in refused.value.message
    assert "还差 ￥4.50" in refused.value.message
    check_minimum(store(min_order_fen=2000), 2000)


@pytest.mark.parametrize("rows", [[(5000, 500), (3000, 300)], [(3000, -1)], [(0, 300)]])
def test_tiers_must_go_outwards_and_never_below_zero(rows):
    with pytest.raises(InvalidInput, match="配送费阶梯"):
        clean_tiers(rows)


def test_slots_start_after_the_preparation_time_and_stay_within_the_hours():
    day = to_local(datetime(2026, 12, 1, 2, 10)).date()  # 10:10 in 海口
    now = local_day_start(day) + timedelta(hours=10, minutes=10)
    offered = [to_local(s) for s in slots(store(), now)]
    assert offered[0].strftime("%H:%M") == "11:00"  # 10:40 ready: the next whole slot
    today = [s for s in offered if s.date() == day]
    tomorrow = [s for s in offered if s.date() != day]
    assert today[-1].strftime("%H:%M") == "20:30"  # the last slot ends at closing
    assert [s.strftime("%H:%M") for s in tomorrow[:2]] == ["09:00", "09:30"]
    assert len(tomorrow) == 24
    chosen = slots(store(), now)[0]
    assert check_slot(store(), chosen, now) == chosen
    with pytest.raises(InvalidInput, match="可送达的时间段"):
        check_slot(store(), chosen - timedelta(minutes=30), now)
    assert check_slot(store(delivery_slots=False), None, now) is None
