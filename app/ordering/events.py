"""One function writes every timeline row, so all portals read the same history."""

from __future__ import annotations

from app.accounts.actor import Actor
from app.extensions import db
from app.ordering.models import OrderEvent


def record_event(
    order_id: int,
    actor: Actor,
    from_status: str | None,
    to_status: str,
    remark: str = "",
    machine: str = "order",
) -> OrderEvent:
    event = OrderEvent(
        order_id=order_id,
        machine=machine,
        actor_id=actor.user_id,
        actor_role=actor.role,
        actor_name=actor.name,
        from_status=from_status,
        to_status=to_status,
        remark=remark[:255],
    )
    db.session.add(event)
    return event
