"""What RQ runs: load the outbox row, run its task once, record the outcome."""

from __future__ import annotations

import logging

from flask import current_app, has_app_context

from app.clock import utcnow
from app.extensions import db
from app.jobs.models import OutboxJob, OutboxStatus
from app.jobs.outbox import commit, resolve

log = logging.getLogger(__name__)


def run_outbox(outbox_id: int) -> str:
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
