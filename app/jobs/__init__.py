"""Background jobs through a transactional outbox: `defer()` now, RQ (or in-process) after commit."""

from app.jobs.outbox import count_stuck, defer, job, reclaim_lost, retry_stuck
from app.jobs.runner import commit, dispatch_pending, outcome_unknown, unit_of_work

__all__ = [
    "commit",
    "count_stuck",
    "defer",
    "dispatch_pending",
    "job",
    "outcome_unknown",
    "reclaim_lost",
    "retry_stuck",
    "unit_of_work",
]
