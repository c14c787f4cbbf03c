"""What a person keeps about themselves: their address book."""

from __future__ import annotations

from sqlalchemy import select

from app.accounts.models import Address
from app.extensions import db


def addresses_of(user_id: int) -> list[Address]:
    """The default address first, then in the order they were added."""
    return list(
        db.session.execute(
            select(Address)
            .where(Address.user_id == user_id)
            .order_by(Address.is_default.desc(), Address.id)
        ).scalars()
    )
