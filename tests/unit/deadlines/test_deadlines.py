"""Deadlines are rows: one sweep applies each due deadline once, in its own unit of work.

Tests move the clock with `travel()`; nothing sleeps.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from rq import Queue
from sqlalchemy import select

from app.clock import SHANGHAI, local_today, travel, utcnow
from app.deadlines import (
    Deadline,
    Outcome,
    apply_due,
    cancel,
    every_sweep,
    on_due,
    schedule,
    sweep,
)
from app.deadlines import cli as deadlines_cli_module
from app.deadlines import services as deadline_services
from app.deadlines.cli import deadlines_cli
from app.deadlines.cron import CRON_NAME, build_cron, run_timer
from app.extensions import db
from app.jobs import commit, defer, job
from app.jobs.models import OutboxJob
from app.jobs.queues import get_redis
from app.wholesale.models import Region
from worker import work

RECORD = "test.record"
FLAKY = "test.flaky"
RENEW = "test.renew"

applied: list[int] = []  # subject ids, in the order the handlers ran
jobs_run: list[int] = []
flaky_is_broken = threading.Event()


@on_due(RECORD)
def record(subject_id: int) -> None:
    """Records the subject and writes a row, which must commit with the deadline."""
    applied.append(subject_id)
    times = applied.count(subject_id)
    db.session.add(Region(name=f"deadline-{subject_id}" + (f"#{times}" if times > 1 else "")))
    db.session.flush()


@job("sms")
def note_applied(subject_id: int) -> None:
    jobs_run.append(subject_id)


@on_due(FLAKY)
def flaky(subject_id: int) -> None:
    """Writes a row and defers a job, then fails while `flaky_is_broken` is set."""
    db.session.add(Region(name=f"flaky-{subject_id}"))
    defer(note_applied, subject_id)
    db.session.flush()
    if flaky_is_broken.is_set():
        raise RuntimeError("printer on fire")
    applied.append(subject_id)


@on_due(RENEW)
def renew(subject_id: int) -> None:
    """A recurring rule: each application schedules the next one a month on."""
    applied.append(subject_id)
    schedule(RENEW, subject_id, utcnow() + timedelta(days=30))


@pytest.fixture(autouse=True)
def _fresh_records():
    applied.clear()
    jobs_run.clear()
    flaky_is_broken.clear()
    yield
    flaky_is_broken.clear()


@pytest.fixture
def periodic(monkeypatch) -> None:
    """every_sweep registrations made by a test end with it."""
    monkeypatch.setattr(deadline_services, "_periodic", [])


def regions() -> list[str]:
    return sorted(db.session.scalars(select(Region.name)))


def reload(deadline: Deadline) -> Deadline:
    db.session.expire_all()
    return db.session.get(Deadline, deadline.id)


def test_deadline_applies_once_after_it_falls_due(app):
    deadline = schedule(RECORD, 1, utcnow() + timedelta(days=15))
    commit()

    assert sweep().applied == 0
    assert applied == []

    with travel(timedelta(days=15, seconds=1)):
        result = sweep()
        assert (result.applied, result.failed) == (1, 0)
        assert applied == [1]
        assert regions() == ["deadline-1"]  # the handler's row committed with the deadline
        done = reload(deadline)
        assert done.done_at is not None
        assert done.attempts == 0

        assert sweep().applied == 0  # sweeping again does not apply it twice
    assert applied == [1]


def test_deadline_missed_while_down_is_applied_on_next_sweep(app):
    with travel(timedelta(days=-40)):  # scheduled long ago, due a month ago, no sweep since
        deadline = schedule(RECORD, 2, utcnow() + timedelta(days=10))
        commit()

    assert sweep().applied == 1
    assert applied == [2]
    assert reload(deadline).done_at is not None


def test_failing_handler_leaves_no_partial_writes_and_is_retried_next_sweep(app):
    deadline = schedule(FLAKY, 3, utcnow() - timedelta(minutes=1))
    commit()
    flaky_is_broken.set()

    result = sweep()

    assert (result.applied, result.failed) == (0, 1)
    assert regions() == []  # the handler's row rolled back
    assert db.session.scalars(select(OutboxJob)).all() == []  # and so did the job it deferred
    assert jobs_run == []
    failed = reload(deadline)
    assert failed.done_at is None
    assert failed.attempts == 1
    assert failed.last_error == "RuntimeError: printer on fire"

    flaky_is_broken.clear()  # fixed
    result = sweep()

    assert (result.applied, result.failed) == (1, 0)
    assert applied == [3]
    assert regions() == ["flaky-3"]
    assert jobs_run == [3]  # the deferred job ran after the commit (in process: no Redis)
    assert reload(deadline).done_at is not None


def test_unknown_kind_counts_as_failed_and_the_sweep_goes_on(app):
    orphan = schedule("test.nobody_handles_this", 4, utcnow() - timedelta(minutes=2))
    schedule(RECORD, 5, utcnow() - timedelta(minutes=1))
    commit()

    result = sweep()

    assert (result.applied, result.failed) == (1, 1)
    assert applied == [5]
    orphan = reload(orphan)
    assert orphan.done_at is None
    assert orphan.attempts == 1
    assert orphan.last_error == (
        "no handler registered for deadline kind 'test.nobody_handles_this'"
    )


def test_rescheduling_moves_the_due_time(app):
    first = schedule(RECORD, 6, utcnow() + timedelta(days=1))
    moved = schedule(RECORD, 6, utcnow() + timedelta(days=3))
    commit()

    assert moved.id == first.id  # one row per kind and subject
    with travel(timedelta(days=2)):
        assert sweep().applied == 0
    with travel(timedelta(days=3, seconds=1)):
        assert sweep().applied == 1
    assert applied == [6]


def test_scheduling_an_applied_deadline_reopens_it(app):
    deadline = schedule(RECORD, 7, utcnow() - timedelta(seconds=1))
    commit()
    sweep()

    again = schedule(RECORD, 7, utcnow() + timedelta(days=1))
    commit()

    assert again.id == deadline.id
    assert again.done_at is None
    with travel(timedelta(days=1, seconds=1)):
        assert sweep().applied == 1
    assert applied == [7, 7]
    assert regions() == ["deadline-7", "deadline-7#2"]
    assert db.session.scalar(select(sa.func.count(Deadline.id))) == 1


def test_cancelled_deadline_is_never_applied(app):
    schedule(RECORD, 8, utcnow() + timedelta(hours=1))
    commit()

    cancel(RECORD, 8)
    commit()

    with travel(timedelta(days=365)):
        assert sweep().applied == 0
    assert applied == []
    assert db.session.scalars(select(Deadline)).all() == []


def test_cancel_keeps_an_applied_deadline_as_history(app):
    deadline = schedule(RECORD, 9, utcnow() - timedelta(seconds=1))
    commit()
    sweep()

    cancel(RECORD, 9)
    commit()

    assert reload(deadline).done_at is not None


def test_handler_can_schedule_its_next_occurrence(app):
    deadline = schedule(RENEW, 10, utcnow() - timedelta(seconds=1))
    commit()

    assert sweep().applied == 1
    assert sweep().applied == 0
    renewed = reload(deadline)
    assert renewed.done_at is None
    assert renewed.due_at > utcnow() + timedelta(days=29)

    with travel(timedelta(days=30, seconds=1)):
        assert sweep().applied == 1
    assert applied == [10, 10]


def test_a_claimed_deadline_is_not_applied_again(app):
    deadline = schedule(RECORD, 11, utcnow() - timedelta(seconds=1))
    commit()

    assert apply_due(deadline.id) is Outcome.APPLIED
    assert apply_due(deadline.id) is Outcome.SKIPPED  # a sweep that read the row before
    assert applied == [11]


def test_a_deadline_moved_later_after_the_sweep_read_it_is_not_applied(app):
    deadline = schedule(RECORD, 12, utcnow() - timedelta(seconds=1))
    commit()
    schedule(RECORD, 12, utcnow() + timedelta(days=1))
    commit()

    assert apply_due(deadline.id) is Outcome.SKIPPED
    assert applied == []


def test_concurrent_sweeps_apply_each_deadline_once(app):
    subjects = list(range(100, 120))
    for subject_id in subjects:
        schedule(RECORD, subject_id, utcnow() - timedelta(seconds=1))
    commit()
    start = threading.Barrier(2)
    results = []

    def sweeper() -> None:
        with app.app_context():
            start.wait()
            results.append(sweep())

    threads = [threading.Thread(target=sweeper) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(applied) == subjects
    assert sum(r.applied for r in results) == len(subjects)
    assert sum(r.failed for r in results) == 0
    assert len(regions()) == len(subjects)


def test_sweep_applies_the_oldest_first_up_to_its_limit(app):
    now = utcnow()
    schedule(RECORD, 13, now - timedelta(minutes=1))
    schedule(RECORD, 14, now - timedelta(minutes=3))
    schedule(RECORD, 15, now - timedelta(minutes=2))
    commit()

    assert sweep(limit=2).applied == 2
    assert applied == [14, 15]
    assert sweep(limit=2).applied == 1
    assert applied == [14, 15, 13]


def test_failed_deadlines_do_not_hold_up_fresh_ones(app):
    schedule("test.nobody_handles_this", 16, utcnow() - timedelta(days=2))
    commit()
    assert sweep(limit=1).failed == 1
    schedule(RECORD, 17, utcnow() - timedelta(seconds=1))
    commit()

    result = sweep(limit=1)

    assert (result.applied, result.failed) == (1, 0)
    assert applied == [17]


def test_sweep_at_an_explicit_time(app):
    schedule(RECORD, 18, utcnow() + timedelta(hours=2))
    commit()

    assert sweep(now=utcnow() + timedelta(hours=1)).applied == 0
    assert sweep(now=utcnow() + timedelta(hours=3)).applied == 1


def test_aware_due_time_is_stored_as_naive_utc(app):
    shanghai_noon = datetime(2030, 5, 1, 12, 0, tzinfo=SHANGHAI)

    deadline = schedule(RECORD, 19, shanghai_noon)
    commit()

    assert reload(deadline).due_at == datetime(2030, 5, 1, 4, 0)


def test_every_sweep_work_runs_after_the_deadlines_and_one_failure_stops_no_other(app, periodic):
    seen: list[str] = []

    @every_sweep
    def broken() -> None:
        seen.append(f"broken after {applied}")
        db.session.add(Region(name="half-done"))
        db.session.flush()
        raise RuntimeError("broken periodic work")

    @every_sweep
    def healthy() -> None:
        seen.append(f"healthy after {applied}")
        db.session.add(Region(name=f"periodic-{len(seen)}"))

    schedule(RECORD, 20, utcnow() - timedelta(seconds=1))
    commit()

    result = sweep()

    assert (result.applied, result.periodic, result.periodic_failed) == (1, 1, 1)
    assert seen == ["broken after [20]", "healthy after [20]"]
    assert regions() == ["deadline-20", "periodic-2"]  # the failing one's write rolled back
    assert every_sweep(healthy) is healthy
    assert sweep().periodic == 1  # registered once, runs once per sweep


def test_on_due_refuses_a_second_handler_for_a_kind(app):
    with pytest.raises(ValueError, match="already handled"):

        @on_due(RECORD)
        def impostor(subject_id: int) -> None:
            pass

    assert on_due(RECORD)(record) is record  # registering the same handler again is harmless


def test_travel_moves_the_whole_clock_and_nests(app):
    before = utcnow()
    real_today = local_today()
    with travel(timedelta(days=1)) as shifted:
        assert shifted - before >= timedelta(days=1)
        assert local_today() == real_today + timedelta(days=1)
        with travel(timedelta(days=-3)):
            assert (
                timedelta(days=-2, minutes=-1) < utcnow() - before < timedelta(days=-2, minutes=1)
            )
            assert local_today() == real_today - timedelta(days=2)
        deadline = schedule(RECORD, 21, utcnow())  # column defaults read the same clock
        commit()
        assert deadline.created_at - before >= timedelta(days=1)
    assert utcnow() - before < timedelta(minutes=1)
    assert local_today() == real_today


def test_timer_sweeps_at_once_then_every_interval_until_stopped(app, periodic):
    sweeps: list[int] = []
    every_sweep(lambda: sweeps.append(1))

    class ThreeRounds(threading.Event):
        """Stands in for the wait between sweeps: no sleeping, stop after the third."""

        def __init__(self) -> None:
            super().__init__()
            self.waited: list[float | None] = []

        def wait(self, timeout: float | None = None) -> bool:
            self.waited.append(timeout)
            return len(self.waited) == 3

    schedule(RECORD, 22, utcnow() - timedelta(seconds=1))
    commit()
    stop = ThreeRounds()

    run_timer(app, 45, stop)

    assert stop.waited == [45, 45, 45]
    assert len(sweeps) == 3
    assert applied == [22]


def test_sweep_command_prints_the_counts(app):
    schedule(RECORD, 23, utcnow() - timedelta(seconds=1))
    commit()

    result = app.test_cli_runner().invoke(deadlines_cli, ["sweep"])

    assert result.exit_code == 0, result.output
    assert "1 applied, 0 failed, 0 skipped" in result.output
    assert applied == [23]


def test_run_command_uses_rq_cron_with_redis_and_a_timer_without(app_factory, monkeypatch):
    calls = []
    monkeypatch.setattr(
        deadlines_cli_module, "run_cron", lambda app, interval: calls.append(("cron", interval))
    )
    monkeypatch.setattr(
        deadlines_cli_module, "run_timer", lambda app, interval: calls.append(("timer", interval))
    )

    embedded = app_factory(DEADLINE_SWEEP_SECONDS=12)
    assert embedded.test_cli_runner().invoke(deadlines_cli, ["run"]).exit_code == 0
    assert app_factory().test_cli_runner().invoke(deadlines_cli, ["run"]).exit_code == 0
    with_redis = app_factory(REDIS_URL="redis://127.0.0.1:6379/15")
    result = with_redis.test_cli_runner().invoke(deadlines_cli, ["run", "--interval", "5"])
    assert result.exit_code == 0, result.output

    assert calls == [("timer", 12), ("timer", 30), ("cron", 5)]


def test_deadlines_table_matches_its_migration(app):
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diffs = compare_metadata(context, db.metadata)
    assert [diff for diff in diffs if "deadlines" in repr(diff)] == []
    inspector = sa.inspect(db.engine)
    indexes = {ix["name"]: ix["column_names"] for ix in inspector.get_indexes("deadlines")}
    assert indexes["ix_deadlines_done_due"] == ["done_at", "due_at"]
    uniques = {
        uq["name"]: uq["column_names"] for uq in inspector.get_unique_constraints("deadlines")
    }
    assert uniques == {"uq_deadlines_kind": ["kind", "subject_id"]}


@pytest.mark.redis
def test_cron_enqueues_a_sweep_that_the_worker_applies(app_factory, redis_url):
    redis_app = app_factory(REDIS_URL=redis_url)
    with redis_app.app_context():
        deadline = schedule(RECORD, 24, utcnow() - timedelta(seconds=1))
        commit()
        scheduler = build_cron(redis_app, 30)

        assert [cron.name for cron in scheduler.enqueue_jobs()] == [CRON_NAME]  # at once
        assert scheduler.enqueue_jobs() == []  # then not for another 30 s
        queue = Queue("sweep", connection=get_redis())
        assert queue.count == 1
        sweep_job = queue.jobs[0]
        assert sweep_job.func_name == "app.deadlines.tasks.run_sweep"
        assert applied == []  # enqueued, not run

        assert work(burst=True, app=redis_app) is True

        assert applied == [24]
        assert sweep_job.latest_result().return_value["applied"] == 1
        assert reload(deadline).done_at is not None
        db.session.remove()
