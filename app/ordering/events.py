"""One function writes every timeline row, so all portals read the same history."""

from __future__ import annotations

from app.accounts.actor import Actor
from app.extensions import db
from app.messages import Message
from app.ordering.models import OrderEvent


def record_event(
    order_id: int,
    actor: Actor,
    from_status: str | None,
    to_status: str,
    note: Message | None = None,
    machine: str = "order",
) -> OrderEvent:
    """`note` is a message (code + parameters), rendered per reader when the timeline is shown."""
    event = OrderEvent(
        order_id=order_id,
        machine=machine,
        actor_id=actor.user_id,
        actor_role=actor.role,
        actor_name=actor.name,
        from_status=from_status,
        to_status=to_status,
        note=note.data() if note else None,
    )
    db.session.add(event)
    return event
