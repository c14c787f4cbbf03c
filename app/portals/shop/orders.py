"""The buyer's order centre: tabs, one order, cancel (a confirm step), confirm receipt."""

from __future__ import annotations

from flask import abort, g, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.delivery.progress import delivery_progress
from app.extensions import db
from app.i18n_markers import N_
from app.ordering.models import AfterSale, Order
from app.ordering.scope import order_numbered, orders_visible_to
from app.ordering.services import (
    awaits_buyer_receipt,
    cancel_by_buyer,
    confirm_receipt,
    may_buyer_cancel,
)
from app.ordering.states import OrderStatus
from app.web.access import actor_required
from app.web.order_view import buyer_status, is_pickup, order_view
from app.web.paging import paginate
from app.web.rendering import render_page_or_block, see_other

from .views import bp

ORDERS_PER_PAGE = 10
S = OrderStatus

# The order centre's tabs: name -> (label, statuses; None: every order). "aftersale" lists the
# orders with an after-sales request instead.
TABS = {
    "all": (N_("全部"), None),
    "unpaid": (N_("待付款"), (S.PENDING_PAYMENT,)),
    "to_ship": (N_("待发货"), (S.PENDING_CONFIRM, S.PENDING_ACCEPT, S.AWAITING_SHIPMENT)),
    "to_receive": (N_("待收货"), (S.SHIPPED,)),
    "done": (N_("已完成"), (S.COMPLETED,)),
    "aftersale": (N_("售后"), None),
}
# Tabs of orders still moving carry a count (few rows per buyer, off the buyer index); finished
# orders pile up for ever and are not counted.
COUNTED = ("unpaid", "to_ship", "to_receive", "aftersale")

CANCEL_REASONS = {
    "changed_mind": N_("不想要了"),
    "wrong_info": N_("地址或信息填错了"),
    "wrong_items": N_("商品选错了或选多了"),
    "too_slow": N_("商家迟迟未发货"),
    "other": N_("其他原因"),
}
CHOOSE_CANCEL_REASON = N_("请选择取消原因")
CONFIRM_RECEIVE = "yes"  # the value of the `confirm` field the buttons carry


def _aftersale_orders():
    return select(AfterSale.order_id).where(AfterSale.buyer_id == g.actor.user_id)


def _tab_counts() -> dict[str, int]:
    statuses = {s: tab for tab in COUNTED for s in (TABS[tab][1] or ())}
    rows = db.session.execute(
        orders_visible_to(g.actor)
        .where(Order.status.in_(statuses))
        .with_only_columns(Order.status, func.count(Order.id))
        .group_by(Order.status)
    )
    counts = dict.fromkeys(COUNTED, 0)
    for status, count in rows:
        counts[statuses[status]] += count
    counts["aftersale"] = db.session.scalar(
        select(func.count(func.distinct(AfterSale.order_id))).where(
            AfterSale.buyer_id == g.actor.user_id
        )
    )
    return counts


@bp.get("/orders")
@actor_required
def orders():
    tab = request.args.get("tab", "all")
    if tab not in TABS:
        tab = "all"
    query = orders_visible_to(g.actor).options(selectinload(Order.items))
    statuses = TABS[tab][1]
    if statuses:
        query = query.where(Order.status.in_(statuses))
    elif tab == "aftersale":
        query = query.where(Order.id.in_(_aftersale_orders()))
    page = paginate(
        query.order_by(Order.created_at.desc(), Order.id.desc()), per_page=ORDERS_PER_PAGE
    )
    return render_page_or_block(
        "shop/orders.html",
        "order_list",
        page=page,
        tab=tab,
        tabs=TABS,
        counts=_tab_counts(),
        labels={order.id: buyer_status(order) for order in page.items},
        may_cancel=may_buyer_cancel,
        may_receive=awaits_buyer_receipt,
        confirm_value=CONFIRM_RECEIVE,
    )


def _status_block(order: Order, status: int = 200):
    return render_page_or_block(
        "shop/order.html",
        "status",
        status=status,
        order=order,
        view=order_view(order),
        progress=delivery_progress(order),
        can_receive=awaits_buyer_receipt(order),
        can_cancel=may_buyer_cancel(order),
        pickup=is_pickup(order),
        confirm_value=CONFIRM_RECEIVE,
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
    if request.form.get("confirm") != CONFIRM_RECEIVE:
        return _status_block(order, 422)  # the button carries it: a bare POST changes nothing
    confirm_receipt(order, g.actor)
    if request.htmx:
        return _status_block(order)
    return see_other(url_for("shop.order", no=order.no), _("已确认收货"))


def _cancel_page(order: Order, status: int = 200, error: str = ""):
    """The order page with the confirm step of cancelling in place of its buttons."""
    return render_page_or_block(
        "shop/order.html",
        None,
        status=status,
        order=order,
        view=order_view(order),
        progress=delivery_progress(order),
        can_receive=False,
        can_cancel=False,
        pickup=is_pickup(order),
        confirm_value=CONFIRM_RECEIVE,
        cancelling=True,
        reasons=CANCEL_REASONS,
        chosen=request.form.get("reason", ""),
        error=error,
        paid=order.paid_at is not None and order.total_fen > order.refunded_fen,
    )


@bp.route("/orders/<string(maxlength=32):no>/cancel", methods=["GET", "POST"])
@actor_required
def cancel(no: str):
    """The confirm step: the buyer picks a reason and presses 确认取消 (nothing preselected)."""
    order = order_numbered(g.actor, no) or abort(404)
    if request.method == "GET":
        if not may_buyer_cancel(order):
            return see_other(url_for("shop.order", no=order.no))
        return _cancel_page(order)
    reason = request.form.get("reason", "")
    if reason not in CANCEL_REASONS or request.form.get("confirm") != CONFIRM_RECEIVE:
        return _cancel_page(order, 422, _(CHOOSE_CANCEL_REASON))
    cancel_by_buyer(order, g.actor, _(CANCEL_REASONS[reason]))
    message = _("订单已取消")
    if order.paid_at is not None:
        message = _("订单已取消，货款将原路退回")
    return see_other(url_for("shop.order", no=order.no), message)
