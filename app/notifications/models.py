"""Every SMS is a row first (template + parameters), then sent by a job: the operator can read
what went out."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from app.clock import utcnow
from app.extensions import db
from app.i18n_markers import N_
from app.notifications.templates import SECRET_PARAMS, render_sms

SMS_STATUS_LABELS = {"pending": N_("待发送"), "sent": N_("已发送"), "failed": N_("失败")}
SMS_STATUS_BADGES = {"pending": "waiting", "sent": "completed", "failed": "closed"}


class SmsMessage(db.Model):
    __tablename__ = "sms_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(20), index=True)
    template: Mapped[str] = mapped_column(String(40))
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(10), default="pending")  # pending | sent | failed
    provider: Mapped[str] = mapped_column(String(20), default="")
    provider_ref: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]

    @property
    def text(self) -> str:
        """The message as the phone shows it (rendered from the template, never stored)."""
        return render_sms(self.template, self.params)

    @property
    def shown_text(self) -> str:
        """The message as pages that list messages show it: secrets (a verification code)
        as six asterisks, whatever they were (once sent, the row keeps no copy). Only the
        provider gets `text`."""
        secret = SECRET_PARAMS.get(self.template, ())
        params = {
            name: "******" if name in secret else value
            for name, value in (self.params or {}).items()
        }
        return render_sms(self.template, params)
