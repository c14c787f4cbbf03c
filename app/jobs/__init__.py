"""Background jobs through a transactional outbox: `defer()` now, RQ (or in-process) after commit."""

from app.jobs.outbox import commit, count_stuck, defer, dispatch_pending, job, retry_stuck

__all__ = ["commit", "count_stuck", "defer", "dispatch_pending", "job", "retry_stuck"]
