"""The platform's store page shows a same-city store's 同城配送规则 in words, read only."""

from __future__ import annotations

import re

import pytest

from app.accounts.models import Role
from app.jobs import commit
from app.stores.models import StoreKind
from tests.factories import make_store, make_user


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


@pytest.fixture
def operator(app):
    return make_user(Role.OPERATOR, name="张运营")


def card(page: str) -> str:
    """The words of the 同城配送规则 card."""
    match = re.search(r'<section class="panel" id="delivery-rules">(.*?)</section>', page, re.S)
    assert match, "no 同城配送规则 card"
    return text_of(match.group(1))


def test_the_rules_the_store_saved_are_read_on_the_platform(app, client, login, operator):
    store = make_store(name="椰城小厨", opens_at="09:00", closes_at="21:00")
    staff = make_user(Role.STORE_STAFF, store=store, name="王老板")
    commit()
    store_side = app.test_client()
    login(staff, test_client=store_side)
    saved = store_side.post(
        "/store/settings/delivery",
        data={
            "radius_km": "5",
            "tiers-0-km": "3",
            "tiers-0-fee": "3",
            "tiers-1-km": "5",
            "tiers-1-fee": "5",
            "beyond_km_fee": "1",
            "delivery_fee": "0",
            "min_order": "20",
            "prep_minutes": "20",
            "delivery_slots": "y",
        },
    )
    assert saved.status_code == 303

    login(operator)
    page = client.get(f"/platform/stores/{store.id}").text
    words = card(page)
    assert "同城配送规则" in words
    assert "配送范围 5 公里内" in words
    assert "≤3 公里 ￥3.00；≤5 公里 ￥5.00；超出部分每公里加收 ￥1.00" in words
    assert "起送价 ￥20.00" in words
    assert "备货时间 20 分钟" in words
    assert "预约配送 支持：今天或明天营业时间内每 30 分钟一段" in words
    # read only: nothing on the platform's page edits them
    assert 'name="radius_km"' not in page and "/store/settings/delivery" not in page
    # and the change is on the store's timeline the platform reads
    assert "配送范围、配送费、起送价、备货时间、预约配送" in text_of(page)


def test_a_store_without_rules_shows_the_defaults(client, login, operator):
    flat = make_store(name="海甸岛糖水铺", delivery_fee_fen=400)
    free = make_store(name="白沙门椰子")
    commit()
    login(operator)
    words = card(client.get(f"/platform/stores/{flat.id}").text)
    assert "配送范围 不限距离" in words
    assert "不分距离，每单 ￥4.00" in words
    assert "起送价 不限" in words and "备货时间 30 分钟" in words
    assert "不支持，备好即送" in words
    assert "免配送费" in card(client.get(f"/platform/stores/{free.id}").text)


def test_a_wholesale_store_has_no_delivery_card(client, login, operator):
    wholesale = make_store(StoreKind.WHOLESALE, name="椰风批发")
    commit()
    login(operator)
    page = client.get(f"/platform/stores/{wholesale.id}").text
    assert "椰风批发" in page and "同城配送规则" not in page
