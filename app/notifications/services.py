"""Queue an SMS from a named template; a job sends it after the commit."""

from __future__ import annotations

from sqlalchemy import Select, select

from app.accounts.models import RoleGrant, User
from app.extensions import db
from app.i18n_markers import N_
from app.jobs import defer
from app.messages import define
from app.notifications.models import SmsMessage
from app.notifications.tasks import send_sms

SMS_SUMMARY = define("job_sms", N_("短信：%(text)s → %(to)s"))


def queue_sms(phone: str, template: str, to_name: str = "", **params) -> SmsMessage:
    """Store the message (template + parameters, rendered when sent or shown) and defer it."""
    message = SmsMessage(phone=phone, template=template, params=params)
    db.session.add(message)
    db.session.flush()
    defer(
        send_sms,
        message.id,
        summary=SMS_SUMMARY(text=message.shown_text, to=to_name or phone),  # no secrets
    )
    return message


def people_with_role(role: str, region_id: int | None = None) -> list[User]:
    """Active people holding a role (in a region), one entry per person, by phone."""
    query = select(User).join(RoleGrant).where(RoleGrant.role == role, User.active.is_(True))
    if region_id is not None:
        query = query.where(RoleGrant.region_id == region_id)
    people = {user.phone: user for user in db.session.execute(query).scalars().unique()}
    return [people[phone] for phone in sorted(people)]


def sms_log(phone: str = "") -> Select:
    """Messages newest first, optionally those to a phone number containing `phone`."""
    query = select(SmsMessage).order_by(SmsMessage.id.desc())
    if phone:
        query = query.where(SmsMessage.phone.contains(phone, autoescape=True))
    return query
