"""`defer()` writes an outbox row; `commit()` commits the unit of work and dispatches its rows.

Dispatch means: with REDIS_URL, enqueue each row to its RQ queue (a row that cannot be enqueued
stays pending and is retried by the next dispatch or `flask jobs flush`); without it, run the job
in-process right after the commit, so the embedded set-up needs no server.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from datetime import timedelta

from flask import current_app
from sqlalchemy import event, func, select, update
from sqlalchemy.orm import Session

from app.clock import utcnow
from app.extensions import db
from app.jobs.models import OutboxJob, OutboxStatus

log = logging.getLogger(__name__)

QUEUES = ("sms", "courier", "print")
RETRY_INTERVALS = [5, 30, 120, 600, 1800]  # seconds between RQ retries
SWEEP_AGE = timedelta(seconds=5)  # pending rows older than this are picked up by a sweep
_NEW = "outbox_new"
_COMMITTED = "outbox_committed"


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


def defer(func: Callable, *args: int | str) -> OutboxJob:
    """Record a job in the current transaction; it runs only if the transaction commits."""
    row = OutboxJob(task=task_name(func), args=list(args), queue=func.queue)
    db.session.add(row)
    db.session.flush()
    db.session.info.setdefault(_NEW, []).append(row.id)
    return row


@event.listens_for(Session, "after_commit")
def _collect_committed(session: Session) -> None:
    new = session.info.pop(_NEW, [])
    if new:
        session.info.setdefault(_COMMITTED, []).extend(new)


@event.listens_for(Session, "after_rollback")
def _forget_rolled_back(session: Session) -> None:
    session.info.pop(_NEW, None)


def commit() -> None:
    """The one commit of a request or job, then hand its deferred jobs over."""
    db.session.commit()
    ids = db.session.info.pop(_COMMITTED, [])
    if ids:
        dispatch(ids)


def dispatch(ids: list[int]) -> None:
    if current_app.config["JOBS_EAGER"]:
        for outbox_id in ids:
            _run_eagerly(outbox_id)
        return
    if enqueue(ids):
        dispatch_pending(older_than=SWEEP_AGE)


def _run_eagerly(outbox_id: int) -> None:
    from app.jobs.runner import run_outbox

    try:
        run_outbox(outbox_id)
    except Exception:  # the row keeps its error and stays pending for `flask jobs flush`
        log.exception("outbox job %s failed in-process", outbox_id)


def enqueue(ids: list[int]) -> bool:
    """Put rows on their RQ queues; False if Redis could not be reached (rows stay pending)."""
    from redis.exceptions import RedisError
    from rq import Callback, Retry

    from app.jobs.queues import get_queue

    rows = db.session.execute(select(OutboxJob).where(OutboxJob.id.in_(ids))).scalars().all()
    try:
        for row in rows:
            get_queue(row.queue).enqueue(
                "app.jobs.runner.run_outbox",
                row.id,
                job_id=f"outbox-{row.id}",
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
        db.session.commit()  # keep the rows that did make it marked as enqueued
        return False
    db.session.commit()
    return True


STUCK = (OutboxStatus.PENDING, OutboxStatus.FAILED)  # what an operator's 重试 hands over again


def count_stuck() -> int:
    return db.session.scalar(select(func.count(OutboxJob.id)).where(OutboxJob.status.in_(STUCK)))


def retry_stuck() -> int:
    """An operator's 重试: rows that used up their retries go back to pending, then every
    pending row is dispatched again. Returns how many were handed over."""
    db.session.execute(
        update(OutboxJob)
        .where(OutboxJob.status == OutboxStatus.FAILED)
        .values(status=OutboxStatus.PENDING)
    )
    db.session.commit()
    return dispatch_pending()


def dispatch_pending(older_than: timedelta = timedelta(0), limit: int = 500) -> int:
    """Retry rows still pending (Redis was down, or an in-process run failed)."""
    cutoff = utcnow() - older_than
    ids = list(
        db.session.execute(
            select(OutboxJob.id)
            .where(OutboxJob.status == OutboxStatus.PENDING, OutboxJob.created_at <= cutoff)
            .order_by(OutboxJob.id)
            .limit(limit)
        ).scalars()
    )
    if not ids:
        return 0
    if current_app.config["JOBS_EAGER"]:
        for outbox_id in ids:
            _run_eagerly(outbox_id)
        return len(ids)
    return len(ids) if enqueue(ids) else 0
