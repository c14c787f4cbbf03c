"""RQ worker for the `sms`, `courier` and `print` queues, running jobs inside the app context.

Usage: `python worker.py [--burst]` (or `flask jobs worker`). Needs REDIS_URL.
"""

from __future__ import annotations

import sys

from rq import Queue, SimpleWorker

from app import create_app
from app.jobs.outbox import QUEUES
from app.jobs.queues import get_redis


def work(burst: bool = False, app=None) -> bool:
    """SimpleWorker runs jobs in this process, so one app and one DB pool serve every job."""
    app = app or create_app()
    with app.app_context():
        connection = get_redis()
        queues = [Queue(name, connection=connection) for name in QUEUES]
        worker = SimpleWorker(queues, connection=connection)
        return worker.work(burst=burst, with_scheduler=True)


if __name__ == "__main__":
    work(burst="--burst" in sys.argv)
