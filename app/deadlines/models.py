"""A deadline is a row: a rule of some kind falls due for one subject at a time."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.clock import utcnow
from app.extensions import db


class Deadline(db.Model):
    """One open (or last applied) deadline per (kind, subject_id).

    `due_at` and `done_at` are naive UTC. The sweep reads `done_at IS NULL AND due_at <= now`
    off `ix_deadlines_done_due`; `done_at` set means applied, and scheduling the same kind and
    subject again re-opens the row with the new due time.
    """

    __tablename__ = "deadlines"
    __table_args__ = (
        UniqueConstraint("kind", "subject_id"),  # uq_deadlines_kind
        Index("ix_deadlines_done_due", "done_at", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))  # "order.close_unpaid"
    subject_id: Mapped[int]  # the id of the row the rule is about (an order, a store, ...)
    due_at: Mapped[datetime]
    done_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)  # failed attempts since it was scheduled
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
