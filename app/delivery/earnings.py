"""How much a rider delivered today (the money figures of 我的 come from the ledger, app/finance)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from app.clock import local_day_start, to_local, utcnow
from app.delivery.models import DeliveryTask, TaskStatus
from app.extensions import db


def delivered_today(rider_id: int, now: datetime | None = None) -> int:
    """The rider's tasks delivered since local midnight."""
    since = local_day_start(to_local(now or utcnow()).date())
    return (
        db.session.scalar(
            select(func.count())
            .select_from(DeliveryTask)
            .where(
                DeliveryTask.rider_id == rider_id,
                DeliveryTask.status == TaskStatus.DELIVERED,
                DeliveryTask.delivered_at >= since,
            )
        )
        or 0
    )
