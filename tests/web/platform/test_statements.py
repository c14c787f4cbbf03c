"""月结对账单 in the platform and the store back office: dense lists with filters, one statement's
orders, settling with a reference; a store sees only its own statements."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from app.accounts.models import Role
from app.clock import travel, utcnow
from app.extensions import db
from app.jobs import commit
from app.ordering.models import MonthlyStatement, Order
from app.ordering.statements import statement_for
from app.stores.models import StoreKind
from tests.factories import (
    make_buyer,
    make_product,
    make_region,
    make_store,
    make_user,
    place_order,
)

HX = {"HX-Request": "true"}
OCTOBER = datetime(2026, 10, 12, 3, 0)  # naive UTC
SETTLE_TIME = datetime(2026, 11, 5, 3, 0)


@pytest.fixture
def world(app):
    region = make_region()
    store = make_store(StoreKind.WHOLESALE, name="椰风批发")
    other_store = make_store(StoreKind.WHOLESALE, name="南洋批发")
    buyer = make_buyer(region, name="陈老板")
    other_buyer = make_buyer(region, name="李老板")
    with travel(OCTOBER - utcnow()):
        orders = [place_order(buyer, make_product(store, price_fen=5_000), 1, payment="monthly")]
        orders.append(
            place_order(buyer, make_product(store, price_fen=7_000), 1, payment="monthly")
        )
        other = place_order(other_buyer, make_product(other_store), 1, payment="monthly")
    ours = statement_for(buyer.id, store.id, "2026-10")
    theirs = statement_for(other_buyer.id, other_store.id, "2026-10")
    commit()
    return {
        "store": store,
        "orders": orders,
        "other_order": other,
        "ours": ours,
        "theirs": theirs,
    }


def test_the_platform_lists_statements_with_filters(world, client, login):
    login(make_user(Role.OPERATOR))
    page = client.get("/platform/statements").text
    assert "陈老板" in page and "李老板" in page and "月结对账单" in page
    assert "￥120.00" in page
    only_ours = client.get(f"/platform/statements?store={world['store'].id}", headers=HX).text
    assert "陈老板" in only_ours and "李老板" not in only_ours
    assert "<html" not in only_ours  # HTMX gets the table block alone, not the page
    assert "陈老板" not in client.get("/platform/statements?month=2026-09").text
    assert "陈老板" not in client.get("/platform/statements?settled=yes").text
    assert "陈老板" in client.get("/platform/statements?settled=no").text
    bad = client.get("/platform/statements?month=2026-13")
    assert bad.status_code == 200 and "月份格式如 2026-11" in bad.text


def test_settling_needs_a_reference_and_a_confirmation_then_pays_the_orders(world, client, login):
    login(make_user(Role.SERVICE, name="客服小周"))
    statement = world["ours"]
    page = client.get(f"/platform/statements/{statement.id}").text
    for order in world["orders"]:
        assert order.no in page
    with travel(SETTLE_TIME - utcnow()):
        page = client.get(f"/platform/statements/{statement.id}").text
        assert "结清对账单" in page and "hx-confirm" in page
        refused = client.post(
            f"/platform/statements/{statement.id}/settle", data={"reference": "ABC"}
        )
        assert refused.status_code == 422 and "请先核对到账金额" in refused.text
        done = client.post(
            f"/platform/statements/{statement.id}/settle",
            data={"reference": "BANK-9", "confirmed": "y"},
        )
        assert done.status_code == 303
        again = client.post(
            f"/platform/statements/{statement.id}/settle",
            data={"reference": "BANK-10", "confirmed": "y"},
        )
        assert again.status_code == 409
    db.session.expire_all()
    assert db.session.get(MonthlyStatement, statement.id).reference == "BANK-9"
    paid = db.session.execute(
        select(Order.paid_at).where(Order.id.in_([o.id for o in world["orders"]]))
    ).scalars()
    assert all(paid)
    page = client.get(f"/platform/statements/{statement.id}").text
    assert "已结清" in page and "BANK-9" in page and "客服小周" in page


def test_a_month_still_running_cannot_be_settled(world, client, login):
    login(make_user(Role.OPERATOR))
    with travel(datetime(2026, 10, 20, 3, 0) - utcnow()):
        page = client.get(f"/platform/statements/{world['ours'].id}").text
        assert "月底后才能结清" in page
        response = client.post(
            f"/platform/statements/{world['ours'].id}/settle",
            data={"reference": "X", "confirmed": "y"},
        )
        assert response.status_code == 409


def test_a_store_sees_and_settles_only_its_own_statements(world, client, login):
    login(make_user(Role.STORE_STAFF, store=world["store"]))
    page = client.get("/store/statements").text
    assert "陈老板" in page and "李老板" not in page
    assert client.get(f"/store/statements/{world['theirs'].id}").status_code == 404
    with travel(SETTLE_TIME - utcnow()):
        response = client.post(
            f"/store/statements/{world['theirs'].id}/settle",
            data={"reference": "X", "confirmed": "y"},
        )
        assert response.status_code == 404
        response = client.post(
            f"/store/statements/{world['ours'].id}/settle",
            data={"reference": "X", "confirmed": "y"},
        )
        assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(MonthlyStatement, world["theirs"].id).settled_at is None
    assert db.session.get(MonthlyStatement, world["ours"].id).settled_at is not None


def test_others_are_kept_out(world, client, login):
    login(world["orders"][0].buyer)
    assert client.get("/platform/statements").status_code in (302, 403)
