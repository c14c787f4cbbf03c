"""The buyer's order centre: the list, one order, confirm receipt."""

from __future__ import annotations

from flask import abort, g, request, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from app.ordering.models import Order
from app.ordering.scope import order_numbered, orders_visible_to
from app.ordering.services import awaits_buyer_receipt, confirm_receipt
from app.web.access import actor_required
from app.web.order_view import order_view
from app.web.paging import paginate
from app.web.rendering import render_page_or_block, see_other

from .views import bp

ORDERS_PER_PAGE = 10


@bp.get("/orders")
@actor_required
def orders():
    query = orders_visible_to(g.actor).options(selectinload(Order.items))
    page = paginate(
        query.order_by(Order.created_at.desc(), Order.id.desc()), per_page=ORDERS_PER_PAGE
    )
    return render_page_or_block("shop/orders.html", page=page)


def _status_block(order: Order, status: int = 200):
    return render_page_or_block(
        "shop/order.html",
        "status",
        status=status,
        order=order,
        view=order_view(order),
        can_receive=awaits_buyer_receipt(order),
    )


# The buyer's order pages are addressed by the random order number, not the sequential id, so
# two orders do not reveal how many the platform takes.


@bp.get("/orders/<string(maxlength=32):no>")
@actor_required
def order(no: str):
    return _status_block(order_numbered(g.actor, no) or abort(404))


@bp.post("/orders/<string(maxlength=32):no>/receive")
@actor_required
def receive(no: str):
    order = order_numbered(g.actor, no) or abort(404)
    confirm_receipt(order, g.actor)
    if request.htmx:
        return _status_block(order)
    return see_other(url_for("shop.order", no=order.no), _("已确认收货"))
