"""Redis dies in the middle of a batch of 40 jobs (SMS, rider announcements, receipts) while the
worker is busy, and comes back empty, as after a crash. The worker (a real process, started like
worker.py) reconnects by itself; the deadline sweep hands the lost jobs over again; every job's
effect happens exactly once, and nobody presses anything.

The SMS go to the Aliyun stand-in and the receipts to a loopback printer: both record every
message and ticket they receive, so a duplicate would show there, not only in our own rows.
"""

from __future__ import annotations

import json
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, Worker
from sqlalchemy import func, select

from app.accounts.models import Role
from app.clock import travel
from app.config import BASE_DIR
from app.deadlines import sweep
from app.delivery.models import DeliveryTask
from app.delivery.services import ship_with_assistant
from app.extensions import db
from app.jobs import commit
from app.jobs.models import OutboxJob, OutboxStatus
from app.jobs.outbox import QUEUES
from app.notifications.models import SmsMessage
from app.notifications.services import queue_sms
from app.notifications.standins import AliyunSmsStandin
from app.ordering.models import Order
from app.printing.tasks import NEW_ORDER_TITLE
from tests.factories import actor_of, make_buyer, make_product, make_store, make_user, place_order
from tests.support.printer import PrinterListener, printed_lines

pytestmark = pytest.mark.redis

STALE = 30  # JOB_STALE_SECONDS here; the sweep below runs with the clock moved past it
SMS_COUNT, ORDER_COUNT = 14, 13  # 14 SMS + 13 announcements + 13 receipts = 40 jobs
KILL_AFTER = 7  # jobs done before Redis dies: the worker is still on the SMS queue
# The worker process: what worker.py runs, with this test's settings.
LAUNCH = (
    "import json, sys; from app import create_app; from app.worker import work; "
    "work(app=create_app(json.loads(sys.argv[1])))"
)


class RedisServer:
    """A redis-server of the test's own, without persistence: killed, it comes back empty."""

    def __init__(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
            + ["--appendonly", "no", "--daemonize", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(self._answers, "redis-server to answer")

    def kill(self) -> None:
        """SIGKILL: no shutdown, nothing saved."""
        if self.process is not None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(5)
            self.process = None

    def _answers(self) -> bool:
        try:
            return Redis.from_url(self.url, socket_connect_timeout=0.2).ping()
        except RedisError:
            return False


def wait_until(condition: Callable[[], bool], what: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


def rows_in(status: str) -> int:
    """Counted on a connection of its own: the test's session keeps no snapshot open."""
    with db.engine.connect() as conn:
        return conn.scalar(select(func.count(OutboxJob.id)).where(OutboxJob.status == status))


@contextmanager
def writes_held(database_url: str) -> Iterator[None]:
    """Hold the write lock on the outbox: the worker's next claim (or outcome) waits for it."""
    if database_url.startswith("sqlite"):
        conn = sqlite3.connect(database_url.removeprefix("sqlite:///"), timeout=10)
        conn.isolation_level = None
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            conn.execute("ROLLBACK")
            conn.close()
    else:
        with db.engine.connect() as conn:
            conn.execute(sa.text("LOCK TABLE outbox_jobs IN EXCLUSIVE MODE"))
            try:
                yield
            finally:
                conn.rollback()


def job_in_flight(redis: RedisServer) -> bool:
    """A worker has taken a job off its queue and not finished it: with the outbox's write lock
    held, it waits at the job's claim (or outcome)."""
    try:
        workers = Worker.all(connection=Redis.from_url(redis.url))
        job_ids = [w.get_current_job_id() for w in workers if w.get_state() == "busy"]
    except RedisError:
        return False
    ids = [int(job_id.removeprefix("outbox-")) for job_id in job_ids if job_id]
    with db.engine.connect() as conn:
        statuses = conn.scalars(select(OutboxJob.status).where(OutboxJob.id.in_(ids))).all()
    return any(status != OutboxStatus.DONE for status in statuses)


def registered_pids(redis: RedisServer) -> set[int]:
    try:
        return {w.pid for w in Worker.all(connection=Redis.from_url(redis.url))}
    except RedisError:
        return set()


def order_and_heading(ticket: bytes) -> tuple[str, str]:
    """Which order a ticket is for, and the line under the store's name (#新订单, #补打...)."""
    lines = [line.text for line in printed_lines(ticket)]
    [no] = [text.removeprefix("订单号：") for text in lines if text.startswith("订单号：")]
    return no, lines[1]


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer()
    server.start()
    yield server
    server.kill()


@pytest.fixture
def worker_process(tmp_path: Path):
    """Start the worker process with given settings; stopped (SIGTERM) after the test."""
    started: list[subprocess.Popen] = []
    log_path = tmp_path / "worker.log"

    def start(config: dict) -> subprocess.Popen:
        log = log_path.open("w")
        process = subprocess.Popen(
            [sys.executable, "-c", LAUNCH, json.dumps(config)],
            cwd=BASE_DIR,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:  # the test failed half way
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)
    if started:
        print(log_path.read_text()[-5000:])  # shown when the test failed


def forty_jobs(printer: PrinterListener) -> None:
    """14 SMS, 13 orders shipped by 配送助手 (riders to tell) whose receipts are to print."""
    for n in range(SMS_COUNT):
        queue_sms(f"137000000{n:02d}", "new_order", to_name=f"经理{n}", n=n + 1)
    commit()
    store = make_store(name="椰城小厨", printer_host=printer.host, printer_port=printer.port)
    owner = make_user(Role.STORE_STAFF, store=store)
    product = make_product(store, "宫保鸡丁", stock=1000)
    buyer = make_buyer()
    orders = [place_order(buyer, product, 1) for _ in range(ORDER_COUNT)]  # accepted: print
    for order in orders:
        ship_with_assistant(order, actor_of(owner))
    commit()


def test_jobs_survive_redis_dying_mid_batch(
    app_factory, database_url, redis_server, worker_process
):
    with AliyunSmsStandin("key-id", "key-secret") as sms, PrinterListener() as printer:
        config = {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "TESTING": True,
            "SECRET_KEY": "test",
            "REDIS_URL": redis_server.url,
            "JOB_STALE_SECONDS": STALE,
            "PRINTER_ALLOW_LOOPBACK": True,
            **sms.settings(),
        }
        app = app_factory(**config)
        with app.app_context():
            forty_jobs(printer)
            queued = Counter(db.session.execute(select(OutboxJob.queue)).scalars())
            assert queued == {"sms": SMS_COUNT, "courier": ORDER_COUNT, "print": ORDER_COUNT}
            assert rows_in(OutboxStatus.ENQUEUED) == 40

            worker = worker_process(config)
            wait_until(lambda: rows_in(OutboxStatus.DONE) >= KILL_AFTER, "the first jobs")
            with writes_held(database_url):
                wait_until(lambda: job_in_flight(redis_server), "a job in flight")
                done_before = rows_in(OutboxStatus.DONE)
                redis_server.kill()  # while the worker is busy
            # The job in flight acts and records it; then RQ finds Redis gone and quits.
            wait_until(lambda: rows_in(OutboxStatus.DONE) == done_before + 1, "the job in flight")
            redis_server.start()  # empty, as after a crash
            wait_until(lambda: worker.pid in registered_pids(redis_server), "the reconnect")
            lost = rows_in(OutboxStatus.ENQUEUED)
            fresh = Redis.from_url(redis_server.url)
            assert sum(Queue(name, connection=fresh).count for name in QUEUES) == 0
            assert lost == 40 - done_before - 1 > 0  # the kill landed mid-batch
            lost_kinds = set(
                db.session.scalars(
                    select(OutboxJob.queue).where(OutboxJob.status == OutboxStatus.ENQUEUED)
                )
            )

            with travel(timedelta(seconds=STALE + 1)):  # the next sweep, as the cron runs it
                sweep()
            wait_until(lambda: rows_in(OutboxStatus.DONE) == 40, "every job", timeout=30)
            assert worker.poll() is None  # the same worker process did it all

            worker.send_signal(signal.SIGTERM)
            assert worker.wait(10) == 0  # asked to stop, it stops
            print(
                f"40 jobs: {done_before} done before Redis died, 1 in flight, {lost} lost "
                f"({', '.join(sorted(lost_kinds))}) and handed over again by the sweep; "
                f"{rows_in(OutboxStatus.DONE)} done"
            )

            rows = db.session.execute(select(OutboxJob)).scalars().all()
            messages = db.session.execute(select(SmsMessage)).scalars().all()
            tasks = db.session.execute(select(DeliveryTask)).scalars().all()
            order_nos = list(db.session.scalars(select(Order.no)))
            tickets = printer.wait_for(ORDER_COUNT)

        # The rule for every job: started once (one claim per row) and done. Redis dying leaves
        # no outcome unknown, since the claim and the outcome are both in the database.
        assert [(r.status, r.attempts, r.outcome_unknown) for r in rows] == [
            (OutboxStatus.DONE, 1, False)
        ] * 40
        # Each SMS reached the provider once, and only once.
        assert Counter(m["phone"] for m in sms.messages) == {m.phone: 1 for m in messages}
        assert all(m.status == "sent" and m.provider_ref for m in messages)
        # Each task is in the riders' pool.
        assert len(tasks) == ORDER_COUNT and all(t.announced_at for t in tasks)
        # Each receipt printed once, titled #新订单. (A receipt prints once more, titled #补打,
        # only when its row was reclaimed with an unknown outcome: none was, see above.)
        assert len(printer.received) == ORDER_COUNT
        assert Counter(map(order_and_heading, tickets)) == {
            (no, NEW_ORDER_TITLE): 1 for no in order_nos
        }
