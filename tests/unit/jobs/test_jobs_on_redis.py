"""Jobs on real Redis: the outbox hands rows to RQ after commit and a burst worker runs them."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.accounts.models import Role
from app.delivery.services import ship_with_assistant
from app.extensions import db
from app.jobs import commit, defer, dispatch_pending, job
from app.jobs.models import OutboxJob, OutboxStatus
from app.jobs.runner import run_outbox
from app.notifications.models import SmsMessage
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
from tests.support.printer import PrinterListener
from worker import work

pytestmark = pytest.mark.redis


@pytest.fixture
def redis_app(app_factory, redis_url):
    app = app_factory(REDIS_URL=redis_url)
    with app.app_context():
        yield app
        db.session.remove()


def run_worker(app) -> None:
    assert work(burst=True, app=app) is True  # the worker did find jobs to run


def outbox_statuses() -> list[str]:
    db.session.expire_all()
    return list(db.session.execute(select(OutboxJob.status).order_by(OutboxJob.id)).scalars())


def wholesale_order():
    region = make_region()
    make_user(Role.SALES_MANAGER, region=region, phone="13800000004")
    product = make_product(make_store(StoreKind.WHOLESALE), "椰子汁 1L")
    return place_order(make_buyer(region), product, 1)


def test_sms_is_sent_by_the_worker_not_by_the_request(redis_app):
    wholesale_order()
    message = db.session.execute(select(SmsMessage)).scalar_one()
    assert message.status == "pending"
    assert outbox_statuses() == [OutboxStatus.ENQUEUED]
    run_worker(redis_app)
    db.session.refresh(message)
    assert message.status == "sent"
    assert message.text == "有新订单1，请尽快登录小程序业务管理查看处理。"
    assert outbox_statuses() == [OutboxStatus.DONE]


def test_courier_push_puts_the_task_in_the_rider_pool(redis_app):
    store = make_store()
    owner = make_user(Role.STORE_STAFF, store=store)
    order = place_order(make_buyer(), make_product(store), 1)
    task = ship_with_assistant(order, actor_of(owner))
    commit()
    assert task.announced_at is None  # not pushed yet: riders cannot see it
    run_worker(redis_app)
    db.session.refresh(task)
    assert task.announced_at is not None


def test_paid_order_prints_on_the_stores_printer_in_gb18030(redis_app):
    with PrinterListener() as printer:
        store = make_store(name="椰城小厨", printer_host=printer.host, printer_port=printer.port)
        order = place_order(make_buyer(), make_product(store, "宫保鸡丁", price_fen=3200), 1)
        run_worker(redis_app)
        [data] = printer.wait_for(1)
    assert order.no.encode() in data
    assert "宫保鸡丁".encode("gb18030") in data
    assert "￥32.00".encode("gb18030") in data
    assert data.endswith(b"\x1dV\x00")  # full cut


def test_nothing_is_lost_when_redis_is_down_at_commit(app_factory, redis_url):
    down = app_factory(REDIS_URL="redis://127.0.0.1:1/0")  # nothing listens on port 1
    with down.app_context():
        wholesale_order()  # the request still commits
        assert outbox_statuses() == [OutboxStatus.PENDING]
        db.session.remove()
    up = app_factory(REDIS_URL=redis_url)
    with up.app_context():
        assert dispatch_pending() == 1  # what `flask jobs flush` does
        run_worker(up)
        message = db.session.execute(select(SmsMessage)).scalar_one()
        assert message.status == "sent"
        db.session.remove()


def test_a_replayed_job_does_not_send_twice(redis_app):
    wholesale_order()
    run_worker(redis_app)
    message = db.session.execute(select(SmsMessage)).scalar_one()
    first_ref = message.provider_ref
    row = db.session.execute(select(OutboxJob)).scalar_one()
    assert run_outbox(row.id) == "already done"
    db.session.refresh(message)
    assert message.provider_ref == first_ref


@job("sms")
def always_fails(_id: int) -> None:
    raise RuntimeError("短信通道不可用")


def test_a_job_whose_last_retry_fails_is_marked_failed(redis_app, monkeypatch):
    monkeypatch.setattr("app.jobs.outbox.RETRY_INTERVALS", [0])  # one retry, at once
    defer(always_fails, 1)
    commit()
    assert outbox_statuses() == [OutboxStatus.ENQUEUED]

    run_worker(redis_app)  # the first attempt fails, RQ retries, the retry fails too

    row = db.session.execute(select(OutboxJob)).scalar_one()
    assert row.status == OutboxStatus.FAILED
    assert row.attempts == 2 and "短信通道不可用" in row.last_error
