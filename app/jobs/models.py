"""The outbox: a deferred job is a row written in the same transaction as the change it follows."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Index, Select, String, Text, false, select
from sqlalchemy.orm import Mapped, mapped_column

from app.clock import utcnow
from app.extensions import db
from app.i18n_markers import N_


class OutboxStatus(StrEnum):
    PENDING = "pending"  # committed, not yet handed to RQ (or Redis was down)
    ENQUEUED = "enqueued"  # on an RQ queue (or waiting there for its next retry)
    RUNNING = "running"  # claimed by a worker, which acts now; the outcome is not in yet
    DONE = "done"  # ran to the end; running it again does nothing
    FAILED = "failed"  # gave up after the last retry


JOB_STATUS_LABELS = {
    OutboxStatus.PENDING: N_("待派发"),
    OutboxStatus.ENQUEUED: N_("已入队"),
    OutboxStatus.RUNNING: N_("执行中"),
    OutboxStatus.DONE: N_("已完成"),
    OutboxStatus.FAILED: N_("失败"),
}
# How the jobs page draws each status (a badge colour shared with order statuses).
JOB_STATUS_BADGES = {
    OutboxStatus.PENDING: "waiting",
    OutboxStatus.ENQUEUED: "shipped",
    OutboxStatus.RUNNING: "delivering",
    OutboxStatus.DONE: "completed",
    OutboxStatus.FAILED: "closed",
}
QUEUE_LABELS = {
    "sms": N_("短信"),
    "courier": N_("配送"),
    "print": N_("打印"),
    "sweep": N_("定时"),
    "payments": N_("支付"),
}


class OutboxJob(db.Model):
    __tablename__ = "outbox_jobs"
    __table_args__ = (Index("ix_outbox_jobs_status_created", "status", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    task: Mapped[str] = mapped_column(String(120))  # "app.notifications.tasks:send_sms"
    args: Mapped[list] = mapped_column(JSON, default=list)
    queue: Mapped[str] = mapped_column(String(20))
    summary: Mapped[dict | None] = mapped_column(JSON)  # a message: what the job does, in words
    status: Mapped[str] = mapped_column(String(10), default=OutboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    enqueued_at: Mapped[datetime | None]
    started_at: Mapped[datetime | None]  # when the last attempt claimed the row
    done_at: Mapped[datetime | None]
    # An earlier attempt was lost while running (its worker died before the outcome was
    # recorded): its effect may have happened, so the next attempt is told it may be a copy.
    outcome_unknown: Mapped[bool] = mapped_column(default=False, server_default=false())


def jobs_log(status: str = "") -> Select:
    """Outbox rows newest first, optionally of one status."""
    query = select(OutboxJob).order_by(OutboxJob.id.desc())
    if status in JOB_STATUS_LABELS:
        query = query.where(OutboxJob.status == status)
    return query
