"""The callbacks inbox and the paid path: every notification is stored raw; only a verified one,
for a payment of ours, with the right amount and merchant, moves the orders, and only once."""

from __future__ import annotations

import urllib.request
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select

from app.accounts.models import Role
from app.clock import travel
from app.errors import IllegalTransition
from app.extensions import db
from app.jobs import commit
from app.ordering.models import OrderEvent
from app.ordering.states import OrderStatus
from app.payments.models import Payment, PaymentNotification, PaymentStatus
from app.payments.services import start_payment, sync_payment
from app.payments.standins import WechatPayStandin, _new_key
from tests.factories import actor_of
from tests.unit.payments import standin_fixtures
from tests.unit.payments.standin_fixtures import (
    NOTIFY,
    begin_payment,
    checkout_of,
    client_deliver,
    online_order,
)

alipay = standin_fixtures.alipay  # fixture
wechat = standin_fixtures.wechat  # fixture


def _rows() -> list[PaymentNotification]:
    db.session.expire_all()
    return list(db.session.execute(select(PaymentNotification)).scalars())


def _paid_events(order) -> int:
    return db.session.execute(
        select(func.count()).where(
            OrderEvent.order_id == order.id, OrderEvent.from_status == OrderStatus.PENDING_PAYMENT
        )
    ).scalar_one()


def test_a_wechat_payment_moves_the_order_on_once(app, wechat):
    order = online_order(price_fen=1500)
    payment = begin_payment(order, "wechat")
    assert payment.amount_fen == order.total_fen
    assert wechat.pay(payment.no) == 204
    db.session.expire_all()
    assert order.status == OrderStatus.AWAITING_SHIPMENT and order.paid_at is not None
    assert payment.status == PaymentStatus.PAID and payment.gateway_txn_id
    [row] = _rows()
    assert row.verified and row.outcome == "paid" and row.payment_id == payment.id
    assert "Wechatpay-Signature" in row.headers and row.body.startswith("{")
    assert _paid_events(order) == 1
    assert wechat.replay() == 204  # the same bytes again: answered success, not stored again
    assert len(_rows()) == 1 and _paid_events(order) == 1


def test_a_replayed_notification_answers_success_and_acts_no_more(app, client, wechat):
    order = online_order()
    payment = begin_payment(order, "wechat")
    wechat.pay(payment.no)
    headers, body = wechat.payment_notification(payment.no)
    for _ in range(3):
        answer = client.post("/pay/notify/wechat", data=body, headers=headers)
        assert answer.status_code == 204
    # the first delivery and this one: two rows (their bodies differ), paid once
    assert [r.outcome for r in _rows()] == ["paid", "already_paid"]
    assert _paid_events(order) == 1


@pytest.mark.parametrize(
    ("tamper", "outcome"),
    [
        ({"signing_key": "forged"}, "bad_signature"),
        ({"resource": {"amount": {"total": 1, "currency": "CNY"}}}, "wrong_amount"),
        ({"resource": {"mchid": "1900000999"}}, "wrong_merchant"),
        ({"resource": {"out_trade_no": "P-NOT-OURS"}}, "unknown_trade"),
    ],
)
def test_a_bad_wechat_notification_is_refused_and_stored_raw(app, client, wechat, tamper, outcome):
    order = online_order()
    payment = begin_payment(order, "wechat")
    wechat.notify_on_pay = False
    wechat.pay(payment.no)
    if tamper.get("signing_key") == "forged":
        tamper = {"signing_key": _new_key()}
    headers, body = wechat.payment_notification(payment.no, **tamper)
    answer = client.post("/pay/notify/wechat", data=body, headers=headers)
    assert answer.status_code == 400 and answer.json["code"] == "FAIL"
    [row] = _rows()
    assert row.outcome == outcome and row.body == body.decode()
    db.session.expire_all()
    assert order.status == OrderStatus.PENDING_PAYMENT
    assert payment.status == PaymentStatus.CREATED
    # replayed, the refused notification is refused again (and not stored twice)
    assert client.post("/pay/notify/wechat", data=body, headers=headers).status_code == 400
    assert len(_rows()) == 1


def test_an_alipay_payment_answers_success_and_bad_ones_fail(app, client, alipay):
    order = online_order(price_fen=990)
    payment = begin_payment(order, "alipay")
    urllib.request.urlopen(payment.redirect_url, timeout=10).read()  # the buyer opens the page
    alipay.notify_on_pay = False
    alipay.pay(payment.no)
    for fields in ({"total_amount": "0.01"}, {"app_id": "2021000000000999"}):
        headers, body = alipay.payment_notification(payment.no, fields)
        answer = client.post("/pay/notify/alipay", data=body, headers=headers)
        assert (answer.status_code, answer.text) == (200, "fail")
    forged = alipay.payment_notification(payment.no, signing_key=_new_key())
    assert client.post("/pay/notify/alipay", data=forged[1], headers=forged[0]).text == "fail"
    headers, body = alipay.payment_notification(payment.no)
    assert client.post("/pay/notify/alipay", data=body, headers=headers).text == "success"
    assert client.post("/pay/notify/alipay", data=body, headers=headers).text == "success"
    assert [r.outcome for r in _rows()] == [
        "wrong_amount",
        "wrong_merchant",
        "bad_signature",
        "paid",
    ]
    db.session.expire_all()
    assert order.status == OrderStatus.AWAITING_SHIPMENT and _paid_events(order) == 1


def test_a_garbage_callback_is_stored_and_refused(app, client, wechat):
    answer = client.post("/pay/notify/alipay", data=urlencode({"out_trade_no": "x"}))
    assert answer.status_code == 404  # alipay is not configured in this test
    answer = client.post(
        "/pay/notify/wechat", data=b"not json", headers={"Content-Type": "text/plain"}
    )
    assert answer.status_code == 400
    [row] = _rows()
    assert not row.verified and row.outcome in ("bad_signature", "malformed")


def test_a_missing_callback_is_found_by_querying_the_gateway(app, wechat):
    order = online_order()
    payment = begin_payment(order, "wechat")
    wechat.notify_on_pay = False
    wechat.pay(payment.no)
    assert _rows() == []
    assert sync_payment(db.session.get(Payment, payment.id)) is True
    commit()
    db.session.expire_all()
    assert order.status == OrderStatus.AWAITING_SHIPMENT


def test_callbacks_need_no_csrf_token_and_refuse_oversized_bodies(app_factory):

    strict = app_factory(WTF_CSRF_ENABLED=True)
    with strict.app_context(), WechatPayStandin(deliver=client_deliver(strict)) as standin:
        strict.config.update(standin.settings())
        order = online_order()
        payment = begin_payment(order, "wechat")
        assert standin.pay(payment.no) == 204  # no CSRF token, no login: accepted
        client = strict.test_client()
        big = client.post("/pay/notify/wechat", data=b"{" + b" " * 70_000 + b"}")
        assert big.status_code == 413
        db.session.expire_all()
        assert order.status == OrderStatus.AWAITING_SHIPMENT
        db.session.remove()


def test_paying_after_the_time_limit_is_refused(app, wechat):

    order = online_order()
    with travel(timedelta(minutes=31)), pytest.raises(IllegalTransition):
        start_payment(
            checkout_of(order),
            "wechat",
            actor_of(order.buyer, Role.BUYER),
            notify_url=NOTIFY["wechat"],
            return_url="http://localhost/back",
        )
    assert wechat.trades == {}
