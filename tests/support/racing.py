"""Races for tests on PostgreSQL: workers in their own threads and units of work, released
together at a barrier; what each ended with is counted ("won", or the refusal's message)."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from functools import partial

from app.errors import DomainError
from app.extensions import db
from app.jobs import commit


def together(app, *workers: Callable[[], None], refused=(DomainError,)) -> Counter:
    """Run each worker at once; a refusal of the `refused` kinds rolls back and counts as its
    message, anything else fails the thread and leaves the count short (the test then fails)."""
    barrier = threading.Barrier(len(workers))
    outcomes: Counter = Counter()
    lock = threading.Lock()

    def run(worker) -> None:
        with app.app_context():
            barrier.wait()
            try:
                worker()
                commit()
                result = "won"
            except refused as exc:
                db.session.rollback()
                result = exc.message
            finally:
                db.session.remove()
            with lock:
                outcomes[result] += 1

    threads = [threading.Thread(target=run, args=(worker,)) for worker in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def race(app, worker: Callable[[int], None], ids: list[int], refused=(DomainError,)) -> Counter:
    """`worker(id)` for each id, all at once."""
    return together(app, *(partial(worker, item) for item in ids), refused=refused)
