"""The same payment notified 100 times at once (a gateway's retries, a replay attack): the
payment is paid once, its orders move once, and the inbox acts on one row."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from sqlalchemy import func, select

from app.accounts.actor import SYSTEM
from app.errors import InvalidInput
from app.extensions import db
from app.jobs import commit
from app.ordering.models import Order, OrderEvent
from app.ordering.signals import refund_due
from app.ordering.states import OrderStatus
from app.payments.models import Payment, PaymentNotification, PaymentStatus, Refund
from app.payments.standins import WechatPayStandin
from tests.factories import make_buyer, make_product, make_store, place_order
from tests.unit.payments.standin_fixtures import begin_payment, online_order

NOTIFICATIONS = 100
POOL = 20  # PostgreSQL serves other test runs too: the threads queue for 20 connections


@pytest.fixture
def racing_app(app_factory):
    return app_factory(
        SQLALCHEMY_ENGINE_OPTIONS={"pool_size": POOL, "max_overflow": 0, "pool_timeout": 120}
    )


def _post_all(app, posts: list[tuple[dict, bytes]]) -> Counter:
    barrier = threading.Barrier(len(posts))
    answers: Counter = Counter()
    lock = threading.Lock()

    def run(headers, body) -> None:
        client = app.test_client()
        barrier.wait()
        status = client.post("/pay/notify/wechat", data=body, headers=headers).status_code
        with lock:
            answers[status] += 1

    threads = [threading.Thread(target=run, args=post) for post in posts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    return answers


def _world(app, standin):
    with app.app_context():
        app.config.update(standin.settings())
        order = online_order()
        payment = begin_payment(order, "wechat")
        standin.notify_on_pay = False
        standin.pay(payment.no)
        ids = (order.id, payment.id)
        db.session.remove()
    return ids


def _outcome(app, order_id: int, payment_id: int) -> tuple:
    with app.app_context():
        payment = db.session.get(Payment, payment_id)
        moved = db.session.execute(
            select(func.count()).where(
                OrderEvent.order_id == order_id,
                OrderEvent.from_status == OrderStatus.PENDING_PAYMENT,
            )
        ).scalar_one()
        outcomes = Counter(db.session.execute(select(PaymentNotification.outcome)).scalars())
        db.session.remove()
    return payment.status, moved, outcomes


@pytest.mark.postgres
def test_the_same_notification_100_times_at_once_pays_once(racing_app):
    with WechatPayStandin() as standin:
        order_id, payment_id = _world(racing_app, standin)
        with racing_app.app_context():
            notification = standin.payment_notification(db.session.get(Payment, payment_id).no)
            db.session.remove()
        answers = _post_all(racing_app, [notification] * NOTIFICATIONS)

    assert answers == Counter({204: NOTIFICATIONS})  # every replay is answered success
    status, moved, outcomes = _outcome(racing_app, order_id, payment_id)
    assert status == PaymentStatus.PAID
    assert moved == 1
    assert outcomes == Counter({"paid": 1})  # one row, acted on once


@pytest.mark.postgres
def test_100_different_notifications_of_one_payment_at_once_pay_once(racing_app):
    with WechatPayStandin() as standin:
        order_id, payment_id = _world(racing_app, standin)
        with racing_app.app_context():
            no = db.session.get(Payment, payment_id).no
            db.session.remove()
        posts = [standin.payment_notification(no) for _ in range(NOTIFICATIONS)]
        answers = _post_all(racing_app, posts)

    assert answers == Counter({204: NOTIFICATIONS})
    status, moved, outcomes = _outcome(racing_app, order_id, payment_id)
    assert status == PaymentStatus.PAID
    assert moved == 1
    assert outcomes == Counter({"paid": 1, "already_paid": NOTIFICATIONS - 1})


@pytest.mark.postgres
def test_refunds_at_once_never_exceed_what_the_order_paid(racing_app):
    """Ten refunds of 60 % of the order at once: the order's row lock lets one through."""
    with racing_app.app_context():
        order = place_order(make_buyer(), make_product(make_store(), price_fen=1000))
        order_id, share = order.id, order.total_fen * 6 // 10
        db.session.remove()
    barrier = threading.Barrier(10)
    outcomes: Counter = Counter()
    lock = threading.Lock()

    def run() -> None:
        with racing_app.app_context():
            barrier.wait()
            try:
                order = db.session.get(Order, order_id)
                refund_due.send(order, amount_fen=share, reason="", aftersale_id=None, actor=SYSTEM)
                commit()
                result = "refunded"
            except InvalidInput:
                db.session.rollback()
                result = "refused"
            finally:
                db.session.remove()
            with lock:
                outcomes[result] += 1

    threads = [threading.Thread(target=run) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert outcomes == Counter({"refunded": 1, "refused": 9})
    with racing_app.app_context():
        assert db.session.execute(select(func.sum(Refund.amount_fen))).scalar_one() == share
        db.session.remove()
