"""Queue an SMS from a named template; a job sends it after the commit."""

from __future__ import annotations

from sqlalchemy import func, select

from app.accounts.models import Role, RoleGrant, User
from app.extensions import db
from app.jobs import defer
from app.notifications.models import SmsMessage
from app.notifications.templates import render_sms
from app.ordering.models import Order
from app.ordering.states import OrderStatus


def queue_sms(phone: str, template: str, **params) -> SmsMessage:
    from app.notifications.tasks import send_sms

    message = SmsMessage(
        phone=phone, template=template, params=params, body=render_sms(template, params)
    )
    db.session.add(message)
    db.session.flush()
    defer(send_sms, message.id)
    return message


def _phones_with_role(role: str, region_id: int | None = None) -> list[str]:
    query = select(User.phone).join(RoleGrant).where(RoleGrant.role == role, User.active.is_(True))
    if region_id is not None:
        query = query.where(RoleGrant.region_id == region_id)
    return sorted(set(db.session.execute(query).scalars()))


def notify_new_wholesale_order(order: Order) -> list[SmsMessage]:
    """SMS the region's sales managers, or customer service where the region has none.

    {n} is how many orders in the region now wait for confirmation, this one included.
    """
    phones = _phones_with_role(Role.SALES_MANAGER, order.region_id)
    if not phones:
        phones = _phones_with_role(Role.SERVICE)
    waiting = db.session.execute(
        select(func.count(Order.id)).where(
            Order.region_id == order.region_id, Order.status == OrderStatus.PENDING_CONFIRM
        )
    ).scalar_one()
    return [queue_sms(phone, "new_order", n=waiting) for phone in phones]
