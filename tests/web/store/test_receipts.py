"""收款登记 on the store's order page: the store records money transferred for its own orders."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.accounts.models import Role
from app.extensions import db
from app.jobs import commit
from app.ordering.models import OfflineReceipt, Order
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


@pytest.fixture
def world(app, login):
    store = make_store(StoreKind.WHOLESALE, name="椰风批发")
    product = make_product(store, price_fen=12_345)
    buyer = make_buyer(make_region())
    clerk = make_user(Role.STORE_STAFF, store=store)
    commit()
    login(clerk)
    return {"store": store, "product": product, "buyer": buyer}


def _receipts(order) -> list[tuple[int, str]]:
    return [
        (r.amount_fen, r.reference)
        for r in db.session.execute(
            select(OfflineReceipt).where(OfflineReceipt.order_id == order.id)
        ).scalars()
    ]


def test_a_transfer_order_shows_what_is_unpaid_and_takes_money_in_parts(client, world):
    order = place_order(world["buyer"], world["product"], 1, payment="bank_transfer")
    page = client.get(f"/store/orders/{order.id}").text
    assert "收款登记" in page and "还没有登记收款" in page
    assert 'name="amount"' in page and "hx-confirm" in page
    response = client.post(
        f"/store/orders/{order.id}/receipts",
        data={"amount": "100.5", "reference": "ICBC-01", "confirmed": "y"},
    )
    assert response.status_code == 303
    assert _receipts(order) == [(10_050, "ICBC-01")]
    page = client.get(f"/store/orders/{order.id}").text
    assert "ICBC-01" in page and "￥100.50" in page
    rest = order.total_fen - 10_050
    client.post(
        f"/store/orders/{order.id}/receipts",
        data={
            "amount": f"{rest // 100}.{rest % 100:02d}",
            "reference": "ICBC-02",
            "confirmed": "y",
        },
    )
    db.session.expire_all()
    assert db.session.get(Order, order.id).paid_at is not None
    page = client.get(f"/store/orders/{order.id}").text
    assert "已全部收款" in page and 'name="amount"' not in page
    assert "已确认收款" in page  # the timeline says so


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"amount": "12.345", "reference": "x", "confirmed": "y"}, "最多两位小数"),
        ({"amount": "0", "reference": "x", "confirmed": "y"}, "收款金额须大于 0"),
        ({"amount": "99999", "reference": "x", "confirmed": "y"}, "超过未收金额"),
        ({"amount": "10", "reference": "", "confirmed": "y"}, "请填写参考号"),
        ({"amount": "10", "reference": "x"}, "请先核对到账金额与参考号"),
    ],
)
def test_bad_amounts_and_unconfirmed_forms_are_refused(client, world, data, message):
    order = place_order(world["buyer"], world["product"], 1, payment="prepay")
    response = client.post(f"/store/orders/{order.id}/receipts", data=data, headers=HX)
    assert response.status_code == 422
    assert message in response.text
    assert 'id="order-offline"' in response.text  # the slot alone, for HTMX to swap
    plain = client.post(f"/store/orders/{order.id}/receipts", data=data)
    assert plain.status_code == 422
    assert message in plain.text and "订单详情" in plain.text  # the whole page
    assert _receipts(order) == []


def test_another_stores_order_is_not_found(client, world):
    other = make_store(StoreKind.WHOLESALE)
    order = place_order(world["buyer"], make_product(other), 1, payment="bank_transfer")
    response = client.post(
        f"/store/orders/{order.id}/receipts",
        data={"amount": "1", "reference": "x", "confirmed": "y"},
    )
    assert response.status_code == 404
    assert _receipts(order) == []


def test_a_cash_on_delivery_order_has_no_receipt_form(client, world):
    order = place_order(world["buyer"], world["product"], 1, payment="cod")
    assert "收款登记" not in client.get(f"/store/orders/{order.id}").text
