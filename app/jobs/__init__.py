"""Background jobs through a transactional outbox: `defer()` now, RQ (or in-process) after commit."""

from app.jobs.outbox import count_stuck, defer, job, reclaim_lost, retry_stuck
from app.jobs.runner import commit, dispatch_pending, outcome_unknown

__all__ = [
    "commit",
    "count_stuck",
    "defer",
    "dispatch_pending",
    "job",
    "outcome_unknown",
    "reclaim_lost",
    "retry_stuck",
]
