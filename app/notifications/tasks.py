"""SMS jobs (queue `sms`)."""

from __future__ import annotations

from flask import current_app

from app.clock import utcnow
from app.extensions import db
from app.jobs import job
from app.notifications.models import SmsMessage
from app.notifications.providers import build_provider
from app.notifications.templates import SECRET_PARAMS


@job("sms")
def send_sms(message_id: int) -> None:
    message = db.session.get(SmsMessage, message_id)
    if message is None or message.status == "sent":
        return  # idempotent: a replay sends nothing twice
    provider = build_provider(current_app.config)
    message.provider_ref = provider.send(
        message.phone, message.template, dict(message.params), message.text
    )
    message.provider = provider.name
    message.status = "sent"
    message.sent_at = utcnow()
    # a secret (a verification code) is needed only until the phone has it: keep no copy
    secrets = SECRET_PARAMS.get(message.template, ())
    if secrets:
        message.params = {k: ("" if k in secrets else v) for k, v in message.params.items()}
