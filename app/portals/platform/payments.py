"""Payments on the platform: the payments and the callbacks inbox (dense tables with filters),
and on the order page the checkout's payments, the order's refunds (offline ones recorded here
with their reference) and the raw notifications behind them."""

from __future__ import annotations

from flask import abort, g, request, url_for

from app.extensions import db
from app.ordering.scope import order_for
from app.payments.gateways import GATEWAY_LABELS
from app.payments.models import Refund
from app.payments.services import (
    OUTCOME_LABELS,
    PAYMENT_STATUS_LABELS,
    notifications_log,
    payments_log,
)
from app.payments.web import payments_context, record_refund_view
from app.web.i18n import lazy_gettext as _l
from app.web.paging import paginate
from app.web.rendering import render_page_or_block

from . import views
from .views import bp

__all__ = ["bp"]

PER_PAGE = 50
TABS = {"payments": _l("支付记录"), "inbox": _l("回调通知")}

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
        url_for("platform.order", order_id=order.id),
    )


def _choice(name: str, allowed) -> str:
    value = request.args.get(name, "")
    return value if value in allowed else ""


@bp.get("/payments")
def payments():
    tab = _choice("tab", TABS) or "payments"
    gateway = _choice("gateway", GATEWAY_LABELS)
    if tab == "inbox":
        shown = _choice("outcome", OUTCOME_LABELS)
        query = notifications_log(gateway, shown)
        filters = OUTCOME_LABELS
    else:
        shown = _choice("status", PAYMENT_STATUS_LABELS)
        query = payments_log(gateway, shown)
        filters = PAYMENT_STATUS_LABELS
    args = {k: v for k, v in (("tab", tab), ("gateway", gateway)) if v}
    if shown:
        args["outcome" if tab == "inbox" else "status"] = shown
    return render_page_or_block(
        "platform/payments.html",
        "payments_table",
        page=paginate(query, per_page=PER_PAGE),
        tab=tab,
        tabs=TABS,
        gateway=gateway,
        gateways=GATEWAY_LABELS,
        shown=shown,
        filters=filters,
        args=args,
        payment_labels=PAYMENT_STATUS_LABELS,
        outcomes=OUTCOME_LABELS,
    )
