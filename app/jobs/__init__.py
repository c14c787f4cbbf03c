"""Background jobs through a transactional outbox: `defer()` now, RQ (or in-process) after commit."""

from app.jobs.outbox import commit, defer, dispatch_pending, job

__all__ = ["commit", "defer", "dispatch_pending", "job"]
