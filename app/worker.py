"""The RQ worker: every queue, inside one app context (SimpleWorker: no fork per job, so one
engine pool serves every job)."""

from __future__ import annotations

from flask import Flask, current_app
from rq import Queue, SimpleWorker

from app.jobs.outbox import QUEUES
from app.jobs.queues import get_redis


def work(burst: bool = False, app: Flask | None = None) -> bool:
    app = app or current_app._get_current_object()
    with app.app_context():
        connection = get_redis()
        queues = [Queue(name, connection=connection) for name in QUEUES]
        worker = SimpleWorker(queues, connection=connection)
        return worker.work(burst=burst, with_scheduler=True)
