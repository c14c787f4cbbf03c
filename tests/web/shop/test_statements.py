"""The buyer's side of offline payment: where to transfer the money (and to put the order number
in the remark), the monthly note on 统一结算 orders, and their own monthly statements."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from app.accounts.models import Role
from app.clock import travel, utcnow
from app.extensions import db
from app.jobs import commit
from app.ordering.models import OrderSettings
from app.ordering.offline import record_money_received
from app.ordering.statements import statement_for
from app.stores.models import StoreKind
from tests.factories import (
    actor_of,
    make_buyer,
    make_product,
    make_region,
    make_store,
    make_user,
    place_order,
)


@pytest.fixture
def world(app, login):
    region = make_region()
    store = make_store(
        StoreKind.WHOLESALE,
        name="椰风批发",
        transfer_payee="中国农业银行海口分行\n户名：椰风批发有限公司\n账号：6228 4800 1234 5678",
    )
    product = make_product(store, price_fen=30_000)
    buyer = make_buyer(region, name="陈老板")
    commit()
    login(buyer)
    return {"store": store, "product": product, "buyer": buyer, "region": region}


def test_a_bank_transfer_order_shows_the_payee_the_amount_and_the_remark_to_use(world, client):
    order = place_order(world["buyer"], world["product"], 1, payment="bank_transfer")
    page = client.get(f"/shop/orders/{order.no}").text
    assert "请转账付款" in page
    assert "户名：椰风批发有限公司<br>账号：6228 4800 1234 5678" in page
    assert f"转账时请在备注中填写订单号 {order.no}" in page
    total = order.total_fen
    assert f"￥{total // 100:,}.{total % 100:02d}" in page
    # part of it arrives: the page asks for the rest only
    record_money_received(order, actor_of(make_user(Role.OPERATOR)), 10_000, "T1")
    commit()
    rest = total - 10_000
    assert f"￥{rest // 100:,}.{rest % 100:02d}" in client.get(f"/shop/orders/{order.no}").text


def test_without_the_stores_payee_the_platforms_is_shown_and_once_paid_none(world, client):
    world["store"].transfer_payee = ""
    db.session.execute(select(OrderSettings)).scalar_one().transfer_payee = "平台收款账户 6222"
    commit()
    order = place_order(world["buyer"], world["product"], 1, payment="prepay")
    assert "平台收款账户 6222" in client.get(f"/shop/orders/{order.no}").text
    record_money_received(order, actor_of(make_user(Role.OPERATOR)), order.total_fen, "T")
    commit()
    assert "请转账付款" not in client.get(f"/shop/orders/{order.no}").text


def test_cash_on_delivery_shows_no_payee(world, client):
    order = place_order(world["buyer"], world["product"], 1, payment="cod")
    assert "请转账付款" not in client.get(f"/shop/orders/{order.no}").text


def test_a_monthly_order_says_which_statement_it_goes_on(world, client):
    with travel(datetime(2026, 10, 31, 16, 30) - utcnow()):  # 1 November in Shanghai
        order = place_order(world["buyer"], world["product"], 1, payment="monthly")
    page = client.get(f"/shop/orders/{order.no}").text
    assert "本订单计入 2026-11 月结对账单" in page
    assert "/shop/statements" in page


def test_the_buyer_sees_their_own_statements_only(world, client):
    with travel(datetime(2026, 10, 12, 3, 0) - utcnow()):
        order = place_order(world["buyer"], world["product"], 1, payment="monthly")
        other = make_buyer(world["region"], name="李老板")
        place_order(other, world["product"], 1, payment="monthly")
    ours = statement_for(world["buyer"].id, world["store"].id, "2026-10")
    theirs = statement_for(other.id, world["store"].id, "2026-10")
    commit()
    assert "月结对账单" in client.get("/shop/me").text
    listing = client.get("/shop/statements").text
    assert "2026-10 · 椰风批发" in listing and "未结清" in listing
    assert f"/shop/statements/{ours.id}" in listing
    assert f"/shop/statements/{theirs.id}" not in listing
    page = client.get(f"/shop/statements/{ours.id}").text
    assert order.no in page and "未付款" in page
    assert client.get(f"/shop/statements/{theirs.id}").status_code == 404
