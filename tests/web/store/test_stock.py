"""库存 over HTTP: the store's SKU list with its filters, and adjusting one SKU with a reason."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select, update

from app.accounts.models import Role
from app.catalog.models import Sku, StockMovement
from app.extensions import db
from app.jobs import commit
from tests.factories import make_product, make_store, make_user

HX = {"HX-Request": "true"}


@pytest.fixture
def store(app):
    store = make_store(name="椰城便利")
    commit()
    return store


@pytest.fixture
def staff(store, login):
    user = make_user(Role.STORE_STAFF, store=store, name="李店员")
    commit()
    login(user)
    return user


@pytest.fixture
def sku(store) -> Sku:
    product = make_product(store, name="椰子汁", stock=100, spec="原味 / 1L")
    product.item_no = "YZ-001"
    product.skus[0].code = "YZ-001-1L"
    commit()
    return product.skus[0]


def stock_of(sku: Sku) -> int:
    db.session.expire_all()
    return db.session.get(Sku, sku.id).stock


def movements(sku: Sku) -> list[StockMovement]:
    return list(
        db.session.execute(select(StockMovement).where(StockMovement.sku_id == sku.id)).scalars()
    )


def test_the_stock_page_lists_the_stores_skus(client, staff, sku, store):
    make_product(make_store(), name="别家的椰奶")
    commit()
    page = client.get("/store/stock").get_data(as_text=True)
    assert "椰子汁" in page and "YZ-001" in page and "原味 / 1L" in page and "YZ-001-1L" in page
    assert "别家的椰奶" not in page
    assert f"/store/stock/{sku.id}" in page


def test_the_low_stock_filter_and_the_keyword(client, staff, sku, store):
    make_product(store, name="椰奶", stock=3)
    commit()
    low = client.get("/store/stock?low=y").get_data(as_text=True)
    assert "椰奶" in low and "椰子汁" not in low
    higher = client.get("/store/stock?low=y&threshold=100").get_data(as_text=True)
    assert "椰子汁" in higher
    found = client.get("/store/stock?q=YZ-001", headers=HX).get_data(as_text=True)
    assert "椰子汁" in found and "椰奶</td>" not in found
    none = client.get("/store/stock?q=没有这个").get_data(as_text=True)
    assert "没有符合条件的规格" in none


def test_an_empty_store_says_how_stock_gets_there(client, staff):
    assert "还没有商品" in client.get("/store/stock").get_data(as_text=True)


def test_setting_the_stock_with_a_reason(client, staff, sku):
    page = client.get(f"/store/stock/{sku.id}").get_data(as_text=True)
    assert 'name="before" type="hidden" value="100"' in page or 'value="100"' in page
    response = client.post(
        f"/store/stock/{sku.id}",
        data={"mode": "set", "amount": "80", "reason": "月底盘点", "before": "100"},
    )
    assert response.status_code == 303
    assert stock_of(sku) == 80
    page = client.get(f"/store/stock/{sku.id}").get_data(as_text=True)
    assert "月底盘点" in page and "李店员" in page and "-20" in page


def test_adding_and_subtracting(client, staff, sku):
    client.post(
        f"/store/stock/{sku.id}",
        data={"mode": "add", "amount": "5", "reason": "到货", "before": "100"},
    )
    client.post(
        f"/store/stock/{sku.id}",
        data={"mode": "subtract", "amount": "2", "reason": "破损", "before": "105"},
        headers=HX,
    )
    assert stock_of(sku) == 103
    assert sorted((m.before, m.after) for m in movements(sku)) == [(100, 105), (105, 103)]


def test_a_stale_form_is_refused_with_the_new_stock_shown(client, staff, sku):
    db.session.execute(update(Sku).where(Sku.id == sku.id).values(stock=97))  # a checkout
    commit()
    response = client.post(
        f"/store/stock/{sku.id}",
        data={"mode": "set", "amount": "120", "reason": "盘点", "before": "100"},
        headers=HX,
    )
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "库存已变化，请刷新后再试" in html
    assert re.search(r'name="before"[^>]*value="97"|value="97"[^>]*name="before"', html)
    assert stock_of(sku) == 97
    assert movements(sku) == []


def test_stock_below_zero_and_a_missing_reason_are_refused(client, staff, sku):
    below = client.post(
        f"/store/stock/{sku.id}",
        data={"mode": "subtract", "amount": "101", "reason": "报损", "before": "100"},
    )
    assert below.status_code == 422
    assert "库存不能小于 0" in below.get_data(as_text=True)
    no_reason = client.post(
        f"/store/stock/{sku.id}", data={"mode": "set", "amount": "1", "before": "100"}
    )
    assert no_reason.status_code == 422
    assert "请填写调整库存的原因" in no_reason.get_data(as_text=True)
    assert stock_of(sku) == 100
    assert movements(sku) == []


def test_another_stores_sku_is_not_found(client, staff):
    other = make_product(make_store(name="别家店"), stock=9).skus[0]
    commit()
    assert client.get(f"/store/stock/{other.id}").status_code == 404
    response = client.post(
        f"/store/stock/{other.id}",
        data={"mode": "set", "amount": "0", "reason": "清空", "before": "9"},
    )
    assert response.status_code == 404
    assert stock_of(other) == 9


def test_a_reason_with_markup_is_shown_as_text(client, staff, sku):
    client.post(
        f"/store/stock/{sku.id}",
        data={"mode": "add", "amount": "1", "reason": "<script>alert(1)</script>", "before": "100"},
    )
    page = client.get(f"/store/stock/{sku.id}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
