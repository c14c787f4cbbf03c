"""Background jobs through a transactional outbox: `defer()` now, RQ (or in-process) after commit."""

from app.jobs.outbox import count_stuck, defer, job, retry_stuck
from app.jobs.runner import commit, dispatch_pending

__all__ = ["commit", "count_stuck", "defer", "dispatch_pending", "job", "retry_stuck"]
