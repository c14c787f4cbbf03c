"""Courier jobs (queue `courier`): tell riders a task is waiting in the pool."""

from __future__ import annotations

from app.clock import utcnow
from app.delivery.models import DeliveryTask, TaskStatus
from app.extensions import db
from app.jobs import job


@job("courier")
def announce_task(task_id: int) -> None:
    """Push a new task to the riders: from now on it shows in their pool (polled by HTMX)."""
    task = db.session.get(DeliveryTask, task_id)
    if task is None or task.announced_at is not None or task.status != TaskStatus.WAITING:
        return
    task.announced_at = utcnow()
