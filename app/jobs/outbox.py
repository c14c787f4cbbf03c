"""`defer()` writes an outbox row in the current transaction; after the commit the unit of work
(`app.jobs.runner.commit`) hands the rows it wrote to RQ, or runs them in-process without Redis.

A row that cannot be enqueued (Redis down) stays pending; the periodic sweep hands it over again.
A row Redis lost (it died and came back empty) or whose worker died while running it is found by
`reclaim_lost` once it has been enqueued or running for `JOB_STALE_SECONDS`, and goes back to
pending: the sweep hands it over again too.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from datetime import timedelta

from flask import current_app
from redis.exceptions import RedisError
from rq import Callback, Retry
from rq.job import Job, JobStatus
from sqlalchemy import event, func, select, update
from sqlalchemy.orm import Session

from app.clock import utcnow
from app.extensions import db
from app.jobs.models import OutboxJob, OutboxStatus
from app.jobs.queues import get_queue, get_redis
from app.messages import Message

log = logging.getLogger(__name__)

QUEUES = ("sms", "courier", "print", "sweep", "payments")
RETRY_INTERVALS = [5, 30, 120, 600, 1800]  # seconds between RQ retries
_NEW = "outbox_new"
_COMMITTED = "outbox_committed"
STUCK = (OutboxStatus.PENDING, OutboxStatus.FAILED)  # what an operator's 重试 hands over again
# An RQ job in one of these states will not run again by itself: its row, still enqueued, is lost.
RQ_ENDED = frozenset(
    status.value
    for status in (JobStatus.FINISHED, JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED)
)


def job(queue: str) -> Callable[[Callable], Callable]:
    """Mark a function as a job on a named queue; it must take ids and be idempotent."""
    if queue not in QUEUES:
        raise ValueError(f"unknown queue {queue}")

    def mark(func: Callable) -> Callable:
        func.queue = queue  # type: ignore[attr-defined]
        return func

    return mark


def task_name(func: Callable) -> str:
    return f"{func.__module__}:{func.__qualname__}"


def resolve(name: str) -> Callable:
    module, _, attr = name.partition(":")
    return getattr(importlib.import_module(module), attr)


def defer(func: Callable, *args: int | str, summary: Message | None = None) -> OutboxJob:
    """Record a job in the current transaction; it runs only if the transaction commits.

    `summary` is a message (code + parameters) saying in people's words what the job does; the
    platform's jobs page shows it instead of a Python path.
    """
    row = OutboxJob(
        task=task_name(func),
        args=list(args),
        queue=func.queue,
        summary=summary.data() if summary else None,
    )
    db.session.add(row)
    db.session.flush()
    db.session.info.setdefault(_NEW, []).append(row.id)
    return row


@event.listens_for(Session, "after_commit")
def _collect_committed(session: Session) -> None:
    if session.get_nested_transaction() is not None:
        return  # a savepoint was released (SQLAlchemy fires after_commit for it too): not durable
    new = session.info.pop(_NEW, [])
    if new:
        session.info.setdefault(_COMMITTED, []).extend(new)


@event.listens_for(Session, "after_rollback")
def _forget_rolled_back(session: Session) -> None:
    session.info.pop(_NEW, None)


def hand_over_at_commit(ids: list[int]) -> None:
    """Hand these (already stored) rows to the queues when the current transaction commits."""
    db.session.info.setdefault(_NEW, []).extend(ids)


def retry_stuck() -> int:
    """An operator's 重试: failed and lost rows go back to pending, and every pending row is
    handed over again when the request commits. Returns how many rows that is."""
    revive_failed()
    reclaim_lost()
    ids = pending_ids()
    hand_over_at_commit(ids)
    return len(ids)


def take_committed() -> list[int]:
    """The outbox rows the last commit made durable, handed over once."""
    return db.session.info.pop(_COMMITTED, [])


def enqueue(ids: list[int]) -> bool:
    """Put rows on their RQ queues and mark them enqueued (the caller commits the marks).

    False if Redis could not be reached: the rows not taken stay pending.
    """
    rows = db.session.execute(select(OutboxJob).where(OutboxJob.id.in_(ids))).scalars().all()
    try:
        for row in rows:
            get_queue(row.queue).enqueue(
                "app.jobs.runner.run_outbox",
                row.id,
                job_id=rq_job_id(row.id),
                retry=Retry(max=len(RETRY_INTERVALS), interval=RETRY_INTERVALS),
                on_failure=Callback("app.jobs.runner.give_up_if_final"),
                description=f"{row.task}{tuple(row.args)}",
            )
            db.session.execute(
                update(OutboxJob)
                .where(OutboxJob.id == row.id, OutboxJob.status == OutboxStatus.PENDING)
                .values(status=OutboxStatus.ENQUEUED, enqueued_at=utcnow())
            )
    except RedisError as exc:
        log.warning("Redis unreachable, %d outbox rows stay pending: %s", len(rows), exc)
        return False
    return True


def rq_job_id(outbox_id: int) -> str:
    return f"outbox-{outbox_id}"


def pending_ids(older_than: timedelta = timedelta(0), limit: int = 500) -> list[int]:
    """Rows still pending: Redis was down, or an in-process run failed."""
    return list(
        db.session.execute(
            select(OutboxJob.id)
            .where(
                OutboxJob.status == OutboxStatus.PENDING,
                OutboxJob.created_at <= utcnow() - older_than,
            )
            .order_by(OutboxJob.id)
            .limit(limit)
        ).scalars()
    )


def count_stuck() -> int:
    return db.session.scalar(select(func.count(OutboxJob.id)).where(OutboxJob.status.in_(STUCK)))


def revive_failed() -> None:
    """Rows that used up their retries go back to pending (an operator pressed 重试)."""
    db.session.execute(
        update(OutboxJob)
        .where(OutboxJob.status == OutboxStatus.FAILED)
        .values(status=OutboxStatus.PENDING)
    )


def reclaim_lost(limit: int = 500) -> int:
    """Put rows that will not finish by themselves back to pending (the caller dispatches them);
    returns how many. Flushes, never commits.

    - `running` for longer than JOB_STALE_SECONDS: the worker died between its claim and its
      outcome (a job is stopped by RQ's timeout long before). The effect may have happened, so
      the row is marked `outcome_unknown`: its next attempt is told (a receipt prints as a copy).
    - `enqueued` for longer than JOB_STALE_SECONDS and unknown to Redis, or ended there: Redis
      lost it (it died and came back empty) and nothing will ever run it. Rows Redis still holds
      (a long queue, a retry waiting for its time) are left alone; if Redis cannot be asked,
      they wait for the next sweep.
    """
    cutoff = utcnow() - timedelta(seconds=current_app.config["JOB_STALE_SECONDS"])
    unknown = db.session.execute(
        update(OutboxJob)
        .where(OutboxJob.status == OutboxStatus.RUNNING, OutboxJob.started_at <= cutoff)
        .values(status=OutboxStatus.PENDING, outcome_unknown=True)
    ).rowcount
    waiting = list(
        db.session.scalars(
            select(OutboxJob.id)
            .where(OutboxJob.status == OutboxStatus.ENQUEUED, OutboxJob.enqueued_at <= cutoff)
            .order_by(OutboxJob.id)
            .limit(limit)
        )
    )
    try:
        held = _held_by_redis(waiting)
    except RedisError as exc:
        log.warning("Redis unreachable, cannot tell which enqueued rows it lost: %s", exc)
        held = set(waiting)
    lost = [outbox_id for outbox_id in waiting if outbox_id not in held]
    if lost:
        db.session.execute(
            update(OutboxJob)
            .where(OutboxJob.id.in_(lost), OutboxJob.status == OutboxStatus.ENQUEUED)
            .values(status=OutboxStatus.PENDING)
        )
    if unknown or lost:
        log.warning("outbox: %d rows lost while running, %d lost by Redis", unknown, len(lost))
    return unknown + len(lost)


def _held_by_redis(ids: list[int]) -> set[int]:
    """The rows whose RQ job Redis still holds and will run (queued, scheduled for a retry,
    started). Without Redis (jobs run in-process) no row is held anywhere."""
    if not ids or current_app.config["JOBS_EAGER"]:
        return set()
    with get_redis().pipeline(transaction=False) as pipe:
        for outbox_id in ids:
            pipe.hget(Job.key_for(rq_job_id(outbox_id)), "status")
        statuses = pipe.execute()
    return {
        outbox_id
        for outbox_id, status in zip(ids, statuses, strict=True)
        if status is not None and status.decode() not in RQ_ENDED
    }
