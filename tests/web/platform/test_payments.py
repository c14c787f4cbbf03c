"""The platform sees payments, the callbacks inbox and refunds, and records offline refunds."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.accounts.actor import SYSTEM
from app.accounts.models import Role
from app.extensions import db
from app.jobs import commit
from app.ordering.signals import refund_due
from app.payments.models import Refund, RefundStatus
from app.payments.standins import _new_key
from tests.factories import make_buyer, make_product, make_store, make_user, place_order
from tests.unit.payments import standin_fixtures
from tests.unit.payments.standin_fixtures import begin_payment, online_order

wechat = standin_fixtures.wechat  # fixture


@pytest.fixture
def operator(app, login):
    user = make_user(Role.OPERATOR, name="张运营")
    commit()
    login(user)
    return user


def test_payments_and_the_inbox_with_filters(app, client, operator, wechat):
    order = online_order()
    payment = begin_payment(order, "wechat")
    wechat.pay(payment.no)
    forged = wechat.payment_notification(payment.no, signing_key=_new_key())
    client.post("/pay/notify/wechat", data=forged[1], headers=forged[0])

    page = client.get("/platform/payments").get_data(as_text=True)
    assert payment.no in page and "已支付" in page
    inbox = client.get("/platform/payments?tab=inbox").get_data(as_text=True)
    assert "已入账" in inbox and "签名错误" in inbox
    refused = client.get(
        "/platform/payments?tab=inbox&outcome=bad_signature", headers={"HX-Request": "true"}
    ).get_data(as_text=True)  # the table block only
    assert "签名错误" in refused and "已入账" not in refused and "<select" not in refused
    detail = client.get(f"/platform/orders/{order.id}").get_data(as_text=True)
    assert payment.no in detail and "回调通知（1）" in detail  # the forged one names no payment


def test_an_offline_refund_is_recorded_only_with_a_confirmation(app, client, operator):
    order = place_order(make_buyer(), make_product(make_store()))
    refund_due.send(order, amount_fen=300, reason="少送一件", aftersale_id=None, actor=SYSTEM)
    commit()
    refund = db.session.execute(select(Refund)).scalar_one()
    detail = client.get(f"/platform/orders/{order.id}").get_data(as_text=True)
    assert "登记退款" in detail and "少送一件" in detail

    url = f"/platform/refunds/{refund.id}/record"
    unconfirmed = client.post(url, data={"reference": "转账 001"})
    assert unconfirmed.status_code == 422
    db.session.expire_all()
    assert refund.status == RefundStatus.PENDING
    done = client.post(url, data={"reference": "转账 001", "confirm": "y"})
    assert done.status_code == 303
    db.session.expire_all()
    assert (refund.status, refund.reference) == (RefundStatus.SUCCEEDED, "转账 001")
    assert client.post("/platform/refunds/999999/record", data={}).status_code == 404
