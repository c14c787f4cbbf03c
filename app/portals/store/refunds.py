"""Refunds on the store's order page: the order's refunds, and an offline one recorded with its
reference once the store has paid the buyer back (the shared money panel of app.payments.web)."""

from __future__ import annotations

from flask import abort, g, url_for

from app.extensions import db
from app.ordering.scope import order_for
from app.payments.models import Refund
from app.payments.web import payments_context, record_refund_view

from . import views

bp = views.bp

bp.context_processor(payments_context)


@bp.post("/refunds/<int:refund_id>/record")
def record_refund(refund_id: int):
    refund = db.session.get(Refund, refund_id) or abort(404)
    order = order_for(g.actor, refund.order_id) or abort(404)
    return record_refund_view(
        refund,
        order,
        "platform/_order_payments.html",
        views.order,
        url_for("store.order", order_id=order.id),
    )
