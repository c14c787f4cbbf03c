"""The unit of work's end and what RQ runs: commit, hand the committed outbox rows over, run one.

Every request, job and CLI command ends in `commit()`: one commit, then the outbox rows written
in that transaction go to their RQ queues (or, without Redis, run right here in-process).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import current_app, has_app_context

from app.clock import utcnow
from app.extensions import db
from app.jobs.models import OutboxJob, OutboxStatus
from app.jobs.outbox import enqueue, pending_ids, resolve, take_committed

log = logging.getLogger(__name__)

SWEEP_AGE = timedelta(seconds=5)  # pending rows older than this are picked up again


def commit() -> None:
    """The one commit of a request, job or command, then hand its deferred jobs over."""
    db.session.commit()
    ids = take_committed()
    if ids:
        dispatch(ids)


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
    """Retry every row still pending (Redis was down, or an in-process run failed)."""
    return dispatch(pending_ids())


def _run_eagerly(outbox_id: int) -> None:
    try:
        run_outbox(outbox_id)
    except Exception:  # the row keeps its error and stays pending for the next sweep
        log.exception("outbox job %s failed in-process", outbox_id)


def run_outbox(outbox_id: int) -> str:
    """Run one outbox row as its own unit of work; a finished row is never run twice."""
    if not has_app_context():  # the RQ worker process: worker.py pushes one, this is a guard
        raise RuntimeError("run_outbox needs the Flask app context (start jobs with worker.py)")
    row = db.session.get(OutboxJob, outbox_id)
    if row is None:
        return "missing"
    if row.status == OutboxStatus.DONE:
        return "already done"  # idempotent: a replayed or duplicated job does nothing
    task, args = row.task, list(row.args)
    log.info("outbox job %s: %s%s", outbox_id, task, tuple(args))
    try:
        resolve(task)(*args)
        row.status = OutboxStatus.DONE
        row.done_at = utcnow()
        row.attempts += 1
        row.last_error = ""
        commit()
    except Exception as exc:
        db.session.rollback()
        row = db.session.get(OutboxJob, outbox_id)
        row.attempts += 1
        row.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        if current_app.config["JOBS_EAGER"]:
            row.status = OutboxStatus.PENDING
        db.session.commit()
        raise
    finally:
        if not current_app.config["JOBS_EAGER"]:
            db.session.remove()  # a worker keeps no identity map from one job to the next
    return "done"


def give_up_if_final(job, connection, exc_type, exc, traceback) -> None:
    """RQ's failure callback, after every failed attempt: after the last one the row is failed
    (the platform's jobs page shows it, and 重试 puts it back to pending)."""
    if job.retries_left:
        return  # RQ schedules the next attempt
    row = db.session.get(OutboxJob, job.args[0])
    if row is not None and row.status != OutboxStatus.DONE:
        row.status = OutboxStatus.FAILED
        db.session.commit()
    if not current_app.config["JOBS_EAGER"]:
        db.session.remove()
