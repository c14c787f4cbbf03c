"""The platform's order rules (one row): time to pay, auto receipt, after-sales window, the
store's time to answer, points, the payee shown on bank-transfer orders."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.ordering.models import OrderSettings


def order_settings() -> OrderSettings:
    """The single settings row (created by the migration, or the seed in a fresh test world)."""
    settings = db.session.execute(select(OrderSettings).limit(1)).scalar_one_or_none()
    if settings is None:
        raise LookupError("order_settings has no row: run `flask db upgrade`")
    return settings


def install_order_settings() -> OrderSettings:
    """Create the singleton row if it is missing (seed and test set-up; never from a read)."""
    settings = db.session.execute(select(OrderSettings).limit(1)).scalar_one_or_none()
    if settings is None:
        settings = OrderSettings()
        db.session.add(settings)
        db.session.flush()
    return settings
