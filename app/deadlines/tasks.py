"""The sweep as an RQ job on the `sweep` queue (enqueued by the cron scheduler)."""

from __future__ import annotations

from dataclasses import asdict

from flask import current_app, has_app_context

from app.deadlines.services import every_sweep, sweep
from app.extensions import db
from app.jobs import dispatch_pending, job

# Every sweep hands over again the outbox rows Redis refused (or an in-process run that failed)
# and the rows lost since: enqueued in a Redis that died, or running in a worker that died, for
# longer than JOB_STALE_SECONDS. Nobody has to press 重试 after an outage.
every_sweep(dispatch_pending)


@job("sweep")
def run_sweep() -> dict[str, int]:
    """Apply every due deadline; returns the counts (kept as the RQ job's result)."""
    if not has_app_context():  # the RQ worker process: worker.py pushes one, this is a guard
        raise RuntimeError("run_sweep needs the Flask app context (start jobs with worker.py)")
    try:
        return asdict(sweep())
    finally:
        if not current_app.config["JOBS_EAGER"]:
            db.session.remove()  # a worker keeps no identity map from one job to the next
