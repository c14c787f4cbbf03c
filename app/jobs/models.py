"""The outbox: a deferred job is a row written in the same transaction as the change it follows."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.clock import utcnow
from app.extensions import db


class OutboxStatus(StrEnum):
    PENDING = "pending"  # committed, not yet handed to RQ (or Redis was down)
    ENQUEUED = "enqueued"  # on an RQ queue
    DONE = "done"  # ran to the end; running it again does nothing
    FAILED = "failed"  # gave up after the last retry


class OutboxJob(db.Model):
    __tablename__ = "outbox_jobs"
    __table_args__ = (Index("ix_outbox_jobs_status_created", "status", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    task: Mapped[str] = mapped_column(String(120))  # "app.notifications.tasks:send_sms"
    args: Mapped[list] = mapped_column(JSON, default=list)
    queue: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(10), default=OutboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    enqueued_at: Mapped[datetime | None]
    done_at: Mapped[datetime | None]
