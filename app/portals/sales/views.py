"""The wholesale sales manager's phone portal (业务端): confirm the region's orders, ship them."""

from __future__ import annotations

from flask import Blueprint, abort, g, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.jobs import commit
from app.ordering.models import Order
from app.ordering.scope import order_for, orders_visible_to
from app.ordering.states import MANAGER_LABELS, OrderStatus
from app.web.access import portal_guard
from app.web.i18n import translate
from app.web.paging import paginate
from app.web.rendering import render_page_or_block, see_other
from app.wholesale.models import SHIP_METHOD_LABELS, Region
from app.wholesale.services import assign_driver, confirm_order, drivers_of_region, ship_other_way

from .forms import AssignDriverForm, ShipOtherWayForm

bp = Blueprint("sales", __name__)
bp.before_request(portal_guard("sales"))

S = OrderStatus
LIST_TABS = (S.PENDING_CONFIRM, S.AWAITING_SHIPMENT, S.SHIPPED, S.COMPLETED, "all")
PER_PAGE = 20


@bp.context_processor
def sales_context() -> dict:
    actor = g.get("actor")
    region = db.session.get(Region, actor.region_id) if actor and actor.region_id else None
    return {"region": region, "ship_method_labels": SHIP_METHOD_LABELS}


def _tab_counts() -> dict[str, int]:
    """How many orders wait under each tab, so the manager sees new work at a glance."""
    visible = orders_visible_to(g.actor).subquery()
    rows = db.session.execute(select(visible.c.status, func.count()).group_by(visible.c.status))
    counts: dict[str, int] = dict(rows.all())
    counts["all"] = sum(counts.values())
    return counts


@bp.get("/")
def index():
    tab = request.args.get("tab", S.PENDING_CONFIRM)
    if tab not in LIST_TABS:
        tab = S.PENDING_CONFIRM
    query = orders_visible_to(g.actor).options(selectinload(Order.items))
    if tab != "all":
        query = query.where(Order.status == tab)
    page = paginate(query.order_by(Order.created_at.desc(), Order.id.desc()), per_page=PER_PAGE)
    tabs = {key: translate(MANAGER_LABELS[key]) if key != "all" else _("全部") for key in LIST_TABS}
    return render_page_or_block(
        "sales/index.html", "orders", tab=tab, tabs=tabs, page=page, counts=_tab_counts()
    )


def _load(order_id: int) -> Order:
    order = order_for(g.actor, order_id)
    if order is None:
        abort(404)
    return order


def _order_page(order: Order, status: int = 200, block: str | None = None, **forms):
    forms.setdefault("driver_form", AssignDriverForm(formdata=None))
    forms.setdefault("ship_form", ShipOtherWayForm(formdata=None))
    drivers = drivers_of_region(g.actor.region_id)
    return render_page_or_block(
        "sales/order.html", block, status=status, order=order, drivers=drivers, **forms
    )


@bp.get("/orders/<int:order_id>")
def order(order_id: int):
    return _order_page(_load(order_id))


@bp.post("/orders/<int:order_id>/confirm")
def confirm(order_id: int):
    order = _load(order_id)
    confirm_order(order, g.actor)
    commit()
    message = _("订单已确认，请指派司机或选择其他方式发货")
    return see_other(url_for(".order", order_id=order.id), message)


@bp.post("/orders/<int:order_id>/driver")
def driver(order_id: int):
    order = _load(order_id)
    form = AssignDriverForm()
    if not form.validate_on_submit():
        return _order_page(order, 422, "ship", driver_form=form)
    assign_driver(order, form.driver_id.data, g.actor)
    commit()
    message = _("已指派司机，短信已通知司机和客户")
    return see_other(url_for(".order", order_id=order.id), message)


@bp.post("/orders/<int:order_id>/ship")
def ship(order_id: int):
    order = _load(order_id)
    form = ShipOtherWayForm()
    if not form.validate_on_submit():
        return _order_page(order, 422, "ship", ship_form=form)
    ship_other_way(order, form.method.data, form.remark.data, g.actor)
    commit()
    message = _("已发货，短信已通知客户；客户收货后需自行确认收货")
    return see_other(url_for(".order", order_id=order.id), message)
