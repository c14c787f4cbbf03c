"""The unit of work's end and what RQ runs: commit, hand the committed outbox rows over, run one.

Every request, job and CLI command ends in `commit()`: one commit, then the outbox rows written
in that transaction go to their RQ queues (or, without Redis, run right here in-process).

A job acts at most once per delivery: `run_outbox` first claims its row (a compare-and-set to
`running`, committed before the job acts), so a second delivery of the same job finds the row
taken and does nothing. The outcome (done, or back for a retry) is committed after.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import timedelta
from typing import Any, NamedTuple

from flask import current_app, has_app_context
from sqlalchemy import update

from app.clock import utcnow
from app.extensions import db
from app.jobs.models import OutboxJob, OutboxStatus
from app.jobs.outbox import enqueue, pending_ids, reclaim_lost, resolve, take_committed

log = logging.getLogger(__name__)

SWEEP_AGE = timedelta(seconds=5)  # pending rows older than this are picked up again
CLAIMABLE = (OutboxStatus.PENDING, OutboxStatus.ENQUEUED)
ERROR_LENGTH = 2000

_outcome_unknown: ContextVar[bool] = ContextVar("outbox_outcome_unknown", default=False)


class Claim(NamedTuple):
    task: str
    args: list[Any]
    outcome_unknown: bool


def commit() -> None:
    """The one commit of a request, job or command, then hand its deferred jobs over."""
    db.session.commit()
    ids = take_committed()
    if ids:
        dispatch(ids)


@contextmanager
def unit_of_work() -> Iterator[None]:
    """One unit of work outside a request (a deadline, a periodic chore, a CLI command): its
    writes commit together and its jobs are handed over after, or on an error none of it is kept."""
    try:
        yield
    except BaseException:
        db.session.rollback()
        raise
    commit()


def dispatch(ids: list[int]) -> int:
    """Enqueue (or, without Redis, run) these rows; returns how many were handed over."""
    if not ids:
        return 0
    if current_app.config["JOBS_EAGER"]:
        for outbox_id in ids:
            _run_eagerly(outbox_id)
        return len(ids)
    taken = enqueue(ids)
    db.session.commit()  # keep the marks of the rows that did reach Redis
    if taken:  # Redis answers again: rows an earlier outage left pending go along
        older = [outbox_id for outbox_id in pending_ids(SWEEP_AGE) if outbox_id not in ids]
        if older and enqueue(older):
            db.session.commit()
    return len(ids) if taken else 0


def dispatch_pending() -> int:
    """Hand over every row that should be on a queue and is not: rows still pending (Redis was
    down, an in-process run failed) and rows lost by Redis or by a dead worker (`reclaim_lost`).
    The deadline sweep runs this, so nobody has to press 重试 after an outage."""
    reclaim_lost()
    return dispatch(pending_ids())


def outcome_unknown() -> bool:
    """Inside a job: whether an earlier attempt of it was lost while running, so its effect may
    already have happened (a receipt printed again says it is a copy)."""
    return _outcome_unknown.get()


def _run_eagerly(outbox_id: int) -> None:
    try:
        run_outbox(outbox_id)
    except Exception:  # the row keeps its error and stays pending for the next sweep
        log.exception("outbox job %s failed in-process", outbox_id)


def claim(outbox_id: int) -> Claim | None:
    """Take the row for one attempt, committed before the job acts; None if it is not there to
    take (done, failed, or running in another delivery of the same job)."""
    taken = db.session.execute(
        update(OutboxJob)
        .where(OutboxJob.id == outbox_id, OutboxJob.status.in_(CLAIMABLE))
        .values(status=OutboxStatus.RUNNING, started_at=utcnow(), attempts=OutboxJob.attempts + 1)
        .returning(OutboxJob.task, OutboxJob.args, OutboxJob.outcome_unknown)
        .execution_options(synchronize_session=False)
    ).one_or_none()
    db.session.commit()
    return Claim(*taken) if taken is not None else None


def run_outbox(outbox_id: int) -> str:
    """Run one outbox row as its own unit of work, if this delivery claims it."""
    if not has_app_context():  # the RQ worker process: worker.py pushes one, this is a guard
        raise RuntimeError("run_outbox needs the Flask app context (start jobs with worker.py)")
    taken = claim(outbox_id)
    if taken is None:
        return _not_taken(outbox_id)
    log.info("outbox job %s: %s%s", outbox_id, taken.task, tuple(taken.args))
    try:
        _act(outbox_id, taken)
    finally:
        if not current_app.config["JOBS_EAGER"]:
            db.session.remove()  # a worker keeps no identity map from one job to the next
    return "done"


def _act(outbox_id: int, taken: Claim) -> None:
    """Run the job and commit its work with the row done; on an error record it and re-raise
    (RQ retries; in-process the row goes back to pending for the sweep)."""
    told = _outcome_unknown.set(taken.outcome_unknown)
    try:
        resolve(taken.task)(*taken.args)
        # Done whatever the row says now: the outcome is known, a reclaimed copy has no work left.
        db.session.execute(
            update(OutboxJob)
            .where(OutboxJob.id == outbox_id)
            .values(status=OutboxStatus.DONE, done_at=utcnow(), last_error="")
            .execution_options(synchronize_session=False)
        )
        commit()
    except Exception as exc:
        db.session.rollback()
        retry = OutboxStatus.PENDING if current_app.config["JOBS_EAGER"] else OutboxStatus.ENQUEUED
        db.session.execute(
            update(OutboxJob)
            .where(OutboxJob.id == outbox_id, OutboxJob.status == OutboxStatus.RUNNING)
            .values(status=retry, last_error=f"{type(exc).__name__}: {exc}"[:ERROR_LENGTH])
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
        raise
    finally:
        _outcome_unknown.reset(told)


def _not_taken(outbox_id: int) -> str:
    row = db.session.get(OutboxJob, outbox_id)
    if row is None:
        return "missing"
    if row.status == OutboxStatus.DONE:
        return "already done"  # idempotent: a replayed or duplicated job does nothing
    return f"not taken: {row.status}"  # another delivery is running it, or it was given up


def give_up_if_final(job, connection, exc_type, exc, traceback) -> None:
    """RQ's failure callback, after every failed attempt: after the last one the row is failed
    (the platform's jobs page shows it, and 重试 puts it back to pending)."""
    if job.retries_left:
        return  # RQ schedules the next attempt
    db.session.execute(
        update(OutboxJob)
        .where(OutboxJob.id == job.args[0], OutboxJob.status == OutboxStatus.ENQUEUED)
        .values(status=OutboxStatus.FAILED)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    if not current_app.config["JOBS_EAGER"]:
        db.session.remove()
