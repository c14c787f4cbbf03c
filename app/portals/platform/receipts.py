"""收款登记 on the platform's order page: operators and customer service record the money a
buyer transferred (the same form and rules as the store's, app/portals/store/receipts.py)."""

from __future__ import annotations

from flask import abort, g, url_for

from app.ordering.scope import order_for
from app.portals.store.receipts import offline_context, record_receipt_view

from . import views
from .views import bp

__all__ = ["bp"]

bp.context_processor(offline_context)


@bp.post("/orders/<int:order_id>/receipts")
def record_receipt(order_id: int):
    order = order_for(g.actor, order_id) or abort(404)
    return record_receipt_view(
        order,
        "platform/_order_offline.html",
        views.order,
        url_for("platform.order", order_id=order.id),
    )
