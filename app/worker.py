"""The RQ worker: every queue, inside one app context (SimpleWorker: no fork per job, so one
engine pool serves every job).

A worker that is not in burst mode outlives Redis: RQ quits its loop when Redis goes away while
a job runs (and its scheduler process dies with it), so `work()` starts a fresh worker, with a
fresh scheduler, after a pause that grows while Redis stays away, until it is asked to stop
(SIGINT / SIGTERM). Jobs Redis lost meanwhile are the deadline sweep's to hand over again.
"""

from __future__ import annotations

import logging
import time
from contextlib import suppress
from types import FrameType

from flask import Flask, current_app
from redis.exceptions import RedisError
from rq import Queue, SimpleWorker
from rq.exceptions import StopRequested

from app.jobs.outbox import QUEUES
from app.jobs.queues import get_redis

log = logging.getLogger(__name__)

FIRST_PAUSE = 1.0  # seconds before the first restart; doubled while Redis stays away
LONGEST_PAUSE = 30.0
STEADY_RUN = 60.0  # a worker that ran this long before it stopped starts again at FIRST_PAUSE


class OutboxWorker(SimpleWorker):
    """RQ's SimpleWorker, remembering whether it was asked to stop (so it is not restarted)."""

    stop_asked = False

    def request_stop(self, signum: int, frame: FrameType | None) -> None:
        self.stop_asked = True
        super().request_stop(signum, frame)


def work(burst: bool = False, app: Flask | None = None) -> bool:
    """Run jobs until asked to stop (or, with `burst`, until the queues are empty); returns
    whether any job ran."""
    app = app or current_app._get_current_object()
    with app.app_context():
        if burst:
            return new_worker().work(burst=True, with_scheduler=True)
        return _work_until_stopped()


def new_worker() -> OutboxWorker:
    connection = get_redis()
    queues = [Queue(name, connection=connection) for name in QUEUES]
    return OutboxWorker(queues, connection=connection)


def _work_until_stopped() -> bool:
    worked, pause = False, FIRST_PAUSE
    while True:
        worker = new_worker()
        started = time.monotonic()
        try:
            worked = worker.work(with_scheduler=True) or worked
        except StopRequested:
            return worked
        except RedisError as exc:
            log.warning("RQ worker lost Redis: %s", exc)
        if worker.stop_asked:
            return worked
        _let_go(worker)
        if time.monotonic() - started >= STEADY_RUN:
            pause = FIRST_PAUSE
        log.warning("RQ worker stopped without being asked to; a new one starts in %.0fs", pause)
        with suppress(StopRequested, RedisError):  # a stop signal arrived while waiting
            time.sleep(pause)
        if worker.stop_asked:
            return worked
        pause = min(2 * pause, LONGEST_PAUSE)


def _let_go(worker: OutboxWorker) -> None:
    """Stop what RQ's teardown leaves running when Redis fails under it: the thread listening
    for RQ commands, which would otherwise retry the old connection for ever. Told to stop, it
    ends by itself and closes its connection; nobody waits for it."""
    if worker.pubsub_thread is not None:
        worker.pubsub_thread.stop()
