"""Refunds: online-paid orders are refunded through the gateway by a job after commit, never
above what the order paid; offline-paid ones are recorded by staff with a reference; the time
limit asks the gateway before an unpaid order is closed."""

from __future__ import annotations

import urllib.request
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.accounts.actor import SYSTEM
from app.accounts.models import Member, MemberStatus, Role
from app.clock import travel
from app.deadlines import sweep
from app.errors import Forbidden, InvalidInput
from app.extensions import db
from app.jobs import commit
from app.ordering.models import Order, OrderEvent
from app.ordering.services import move_order_once
from app.ordering.signals import refund_due
from app.ordering.states import OrderStatus
from app.payments.models import Payment, PaymentStatus, Refund, RefundStatus
from app.payments.services import record_offline_refund
from app.payments.signals import refund_completed
from app.stores.models import StoreKind
from tests.factories import (
    actor_of,
    make_buyer,
    make_product,
    make_region,
    make_store,
    make_user,
    place_order,
    store_actor,
)
from tests.unit.payments import standin_fixtures
from tests.unit.payments.standin_fixtures import begin_payment, online_order

alipay = standin_fixtures.alipay  # fixture
wechat = standin_fixtures.wechat  # fixture


@pytest.fixture
def completed():
    """The refunds announced as completed, as the after-sales domain hears them."""
    heard = []

    def listen(refund, actor=None, **_):
        heard.append((refund.id, refund.amount_fen, actor.role if actor else None))

    refund_completed.connect(listen)
    yield heard
    refund_completed.disconnect(listen)


def _paid_online(standin, price_fen=2000):
    order = online_order(price_fen=price_fen)
    payment = begin_payment(order, "wechat")
    standin.pay(payment.no)
    db.session.expire_all()
    assert order.status == OrderStatus.AWAITING_SHIPMENT
    return order, payment


def _refunds(order) -> list[Refund]:
    db.session.expire_all()
    return list(db.session.execute(select(Refund).where(Refund.order_id == order.id)).scalars())


def test_an_online_refund_reaches_the_gateway_after_commit(app, wechat, completed):
    order, payment = _paid_online(wechat)
    refund_due.send(order, amount_fen=500, reason="缺货", aftersale_id=None, actor=SYSTEM)
    [refund] = _refunds(order)
    assert (refund.method, refund.status) == ("gateway", RefundStatus.PENDING)
    assert wechat.trades[payment.no]["refunded"] == 0  # nothing leaves before the commit
    commit()  # the job runs in-process (no Redis)
    [refund] = _refunds(order)
    assert refund.status == RefundStatus.SUCCEEDED and refund.reference
    assert wechat.trades[payment.no]["refunded"] == 500
    assert completed == [(refund.id, 500, "system")]


def test_a_refund_above_what_is_left_is_refused_and_changes_nothing(app, wechat):
    order, _ = _paid_online(wechat)
    refund_due.send(
        order, amount_fen=order.total_fen - 100, reason="", aftersale_id=None, actor=SYSTEM
    )
    commit()
    with pytest.raises(InvalidInput) as refused:
        refund_due.send(order, amount_fen=101, reason="", aftersale_id=None, actor=SYSTEM)
    assert "退款金额超出可退金额" in refused.value.message
    db.session.rollback()
    refund_due.send(order, amount_fen=100, reason="", aftersale_id=None, actor=SYSTEM)
    commit()
    assert [r.status for r in _refunds(order)] == [RefundStatus.SUCCEEDED] * 2


def test_a_processing_wechat_refund_is_settled_by_its_notification(app, wechat, completed):
    app.config["PAYMENT_NOTIFY_BASE_URL"] = "http://localhost"
    wechat.refund_status = "PROCESSING"
    order, _ = _paid_online(wechat)
    refund_due.send(order, amount_fen=300, reason="", aftersale_id=None, actor=SYSTEM)
    commit()
    [refund] = _refunds(order)
    assert refund.status == RefundStatus.PENDING and completed == []
    assert wechat.send_refund_notifications() == [204]
    [refund] = _refunds(order)
    assert refund.status == RefundStatus.SUCCEEDED and len(completed) == 1


def test_an_offline_refund_is_recorded_by_staff_with_a_reference(app, completed):
    store = make_store()
    order = place_order(make_buyer(), make_product(store))  # cash on delivery
    refund_due.send(order, amount_fen=200, reason="少送一件", aftersale_id=None, actor=SYSTEM)
    commit()
    [refund] = _refunds(order)
    assert (refund.method, refund.status) == ("offline", RefundStatus.PENDING)
    with pytest.raises(Forbidden):
        record_offline_refund(refund, "ref", store_actor(make_store().id))
    with pytest.raises(InvalidInput):
        record_offline_refund(refund, "  ", store_actor(store.id))
    operator = actor_of(make_user(Role.OPERATOR))
    record_offline_refund(refund, "微信转账 4200001", operator)
    commit()
    [refund] = _refunds(order)
    assert (refund.status, refund.reference) == (RefundStatus.SUCCEEDED, "微信转账 4200001")
    assert completed == [(refund.id, 200, "operator")]


def test_paying_a_closed_order_refunds_it_and_says_so(app, wechat, completed):
    order = online_order()
    payment = begin_payment(order, "wechat")
    move_order_once(db.session.get(Order, order.id), OrderStatus.CLOSED, SYSTEM)
    commit()
    wechat.pay(payment.no)
    db.session.expire_all()
    assert order.status == OrderStatus.CLOSED
    [refund] = _refunds(order)
    assert (refund.amount_fen, refund.status) == (order.total_fen, RefundStatus.SUCCEEDED)
    assert wechat.trades[payment.no]["refunded"] == order.total_fen
    notes = [
        e.note
        for e in db.session.execute(
            select(OrderEvent).where(OrderEvent.order_id == order.id)
        ).scalars()
    ]
    assert any(note and note["code"] == "paid_after_close" for note in notes)


def test_the_time_limit_asks_the_gateway_before_closing(app, wechat):
    paid_late = online_order()
    payment = begin_payment(paid_late, "wechat")
    wechat.notify_on_pay = False  # the callback is lost
    wechat.pay(payment.no)
    unpaid = online_order()
    open_one = begin_payment(unpaid, "wechat")
    with travel(timedelta(minutes=31)):
        sweep()
    db.session.expire_all()
    assert paid_late.status == OrderStatus.AWAITING_SHIPMENT
    assert unpaid.status == OrderStatus.CLOSED
    assert db.session.get(Payment, open_one.id).status == PaymentStatus.CLOSED
    assert wechat.trades[open_one.no]["state"] == "CLOSED"  # the buyer can no longer pay it


def test_a_wholesale_order_paid_online_waits_for_the_managers_confirmation(app, wechat):
    region = make_region()
    buyer = make_buyer()
    db.session.add(Member(user_id=buyer.id, region_id=region.id, status=MemberStatus.APPROVED))
    make_user(Role.SALES_MANAGER, region=region)
    store = make_store(kind=StoreKind.WHOLESALE)
    order = place_order(buyer, make_product(store, min_order_qty=1), 1, payment="online")
    assert order.status == OrderStatus.PENDING_PAYMENT
    wechat.pay(begin_payment(order, "wechat").no)
    db.session.expire_all()
    assert order.status == OrderStatus.PENDING_CONFIRM


def test_an_alipay_refund_is_answered_at_once(app, alipay, completed):
    order = online_order(price_fen=1000)
    payment = begin_payment(order, "alipay")
    urllib.request.urlopen(payment.redirect_url, timeout=10).read()  # the buyer opens the page
    alipay.pay(payment.no)
    db.session.expire_all()
    assert order.status == OrderStatus.AWAITING_SHIPMENT
    refund_due.send(
        order, amount_fen=order.total_fen, reason="取消", aftersale_id=None, actor=SYSTEM
    )
    commit()
    [refund] = _refunds(order)
    assert refund.status == RefundStatus.SUCCEEDED
    assert alipay.trades[payment.no]["refunded"] == order.total_fen
    assert len(completed) == 1
