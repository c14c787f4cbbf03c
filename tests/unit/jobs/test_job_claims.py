"""A job claims its outbox row before it acts: a second delivery does nothing, and rows lost by
Redis or by a dead worker are handed over again by the sweep once JOB_STALE_SECONDS have passed.
Real Redis (the per-worker db index), a burst worker and a loopback printer; the clock moves."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from redis import Redis
from rq import Queue
from sqlalchemy import select

from app.clock import travel
from app.deadlines import sweep
from app.extensions import db
from app.jobs import commit
from app.jobs.models import OutboxJob, OutboxStatus
from app.jobs.runner import claim, run_outbox
from app.notifications.models import SmsMessage
from app.notifications.services import queue_sms
from app.ordering.models import Order
from app.printing.tasks import LOST_COPY_TITLE, NEW_ORDER_TITLE, print_receipt
from app.printing.transport import print_to
from tests.factories import make_buyer, make_product, make_store, place_order
from tests.support.printer import PrinterListener, printed_lines
from worker import work

pytestmark = pytest.mark.redis

STALE = 60  # JOB_STALE_SECONDS in these tests


@pytest.fixture
def redis_app(app_factory, redis_url):
    app = app_factory(REDIS_URL=redis_url, JOB_STALE_SECONDS=STALE)
    with app.app_context():
        yield app
        db.session.remove()


def order_to_print(printer: PrinterListener) -> tuple[Order, OutboxJob]:
    """An accepted order of a store with a printer: its receipt job waits on the `print` queue."""
    store = make_store(name="椰城小厨", printer_host=printer.host, printer_port=printer.port)
    order = place_order(make_buyer(), make_product(store, "宫保鸡丁"), 1)
    row = db.session.execute(select(OutboxJob).where(OutboxJob.queue == "print")).scalar_one()
    assert row.status == OutboxStatus.ENQUEUED
    return order, row


def heading(ticket: bytes) -> str:
    """The line under the store's name: what kind of ticket this is."""
    return printed_lines(ticket)[1].text


def deliver(app, outbox_id: int) -> None:
    """One delivery of the job, as an RQ worker makes it, in a thread of its own."""
    with app.app_context():
        run_outbox(outbox_id)


def test_a_receipt_delivered_twice_at_once_prints_once(redis_app, monkeypatch):
    printing, release = threading.Event(), threading.Event()

    def slow_printer(target, data: bytes) -> None:  # the first delivery is mid-print
        printing.set()
        release.wait(5)
        print_to(target, data)

    monkeypatch.setattr("app.printing.tasks.print_to", slow_printer)
    with PrinterListener() as printer:
        order, row = order_to_print(printer)
        first = threading.Thread(target=deliver, args=(redis_app, row.id))
        first.start()
        assert printing.wait(5)

        assert run_outbox(row.id) == "not taken: running"  # the second delivery

        release.set()
        first.join(5)
        [ticket] = printer.wait_for(1)
        assert len(printer.received) == 1
    assert order.no.encode() in ticket and heading(ticket) == NEW_ORDER_TITLE
    db.session.expire_all()
    assert (row.status, row.attempts) == (OutboxStatus.DONE, 1)
    assert run_outbox(row.id) == "already done"


def test_a_receipt_whose_worker_died_while_printing_prints_again_marked_as_a_copy(redis_app):
    with PrinterListener() as printer:
        order, row = order_to_print(printer)
        # What a worker does up to its death between the ticket and the record of it.
        assert claim(row.id) is not None
        print_receipt(order.id)
        db.session.rollback()
        [first] = printer.wait_for(1)

        # The first delivery of the job reaches a worker now: the row is running, so it prints
        # nothing; and a sweep before JOB_STALE_SECONDS leaves a job that may be slow alone.
        work(burst=True, app=redis_app)
        sweep()
        assert work(burst=True, app=redis_app) is False
        assert len(printer.received) == 1

        with travel(timedelta(seconds=STALE + 1)):
            sweep()
        work(burst=True, app=redis_app)
        _, copy = printer.wait_for(2)
        assert len(printer.received) == 2

    assert heading(first) == NEW_ORDER_TITLE and heading(copy) == LOST_COPY_TITLE == "#补打"
    assert order.no.encode() in copy and "宫保鸡丁".encode("gb18030") in copy
    db.session.expire_all()
    assert (row.status, row.attempts, row.outcome_unknown) == (OutboxStatus.DONE, 2, True)


def test_sms_lost_with_redis_are_sent_by_the_sweep_once_stale_and_only_those(redis_app, redis_url):
    lost = queue_sms("13700000001", "new_order", n=1)
    commit()
    Redis.from_url(redis_url).flushdb()  # Redis dies and comes back empty
    kept = queue_sms("13700000002", "new_order", n=2)  # enqueued in the new Redis
    commit()
    sms_queue = Queue("sms", connection=Redis.from_url(redis_url))

    sweep()  # too early: an enqueued row may just be waiting in a long queue
    assert sms_queue.count == 1

    with travel(timedelta(seconds=STALE + 1)):
        sweep()
    assert sms_queue.count == 2  # the lost one once more; the one Redis holds not twice
    assert work(burst=True, app=redis_app) is True

    db.session.expire_all()
    assert [db.session.get(SmsMessage, m.id).status for m in (lost, kept)] == ["sent", "sent"]
    rows = db.session.execute(select(OutboxJob).order_by(OutboxJob.id)).scalars().all()
    assert [(r.status, r.attempts, r.outcome_unknown) for r in rows] == [
        (OutboxStatus.DONE, 1, False),
        (OutboxStatus.DONE, 1, False),
    ]
