"""What runs the sweep: RQ's cron scheduler when Redis is configured, a timer loop without.

With Redis, `run_cron` enqueues `run_sweep` on the `sweep` queue every `interval` seconds and
the RQ worker (worker.py) applies it inside the app. Several schedulers may run: the sweep
applies each deadline once however often it runs. Without Redis, `run_timer` sweeps in process.
"""

from __future__ import annotations

import logging
import threading

from flask import Flask
from rq.cron import CronScheduler

from app.deadlines.services import sweep
from app.deadlines.tasks import run_sweep
from app.jobs.queues import get_redis

log = logging.getLogger(__name__)

CRON_NAME = "deadlines.sweep"


def build_cron(app: Flask, interval: int) -> CronScheduler:
    """A cron scheduler on the app's REDIS_URL with the sweep registered, not yet started.
    Its first `enqueue_jobs()` enqueues a sweep at once (catching up after downtime)."""
    with app.app_context():
        connection = get_redis()
    scheduler = CronScheduler(connection=connection)
    scheduler.register(
        run_sweep,
        queue_name="sweep",
        interval=interval,
        ttl=max(2 * interval, 60),  # a sweep left waiting that long is replaced by a newer one
        name=CRON_NAME,
    )
    return scheduler


def run_cron(app: Flask, interval: int) -> None:
    """Enqueue a sweep every `interval` seconds until stopped (SIGINT / SIGTERM). Blocks."""
    build_cron(app, interval).start()


def run_timer(app: Flask, interval: int, stop: threading.Event | None = None) -> None:
    """Without Redis: sweep in this process at once, then every `interval` seconds, until
    `stop` is set (blocks; run it in a thread to share a process with the web server)."""
    stop = stop or threading.Event()
    while True:
        with app.app_context():
            try:
                result = sweep()
            except Exception:  # the database may be away; try again next time
                log.exception("deadline sweep failed")
            else:
                if result.applied or result.failed:
                    log.info("deadline sweep: %s", result)
        if stop.wait(interval):
            return
