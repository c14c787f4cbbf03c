"""The wholesale sales manager's phone portal (业务端): confirm the region's orders, ship them;
我的 with 退出登录."""

from __future__ import annotations

from functools import partial

import qrcode
import qrcode.image.svg
from flask import Blueprint, abort, g, request, url_for
from flask_babel import gettext as _
from markupsafe import Markup

from app.accounts.signup import make_referral_code, referral_code_of
from app.extensions import db
from app.ordering.models import Order
from app.ordering.scope import order_for
from app.ordering.states import MANAGER_LABELS, OrderStatus
from app.web.access import portal_guard
from app.web.i18n import translate
from app.web.layout_facts import layout_fact, layout_facts
from app.web.order_list import FIRST_ITEM, ITEM_KINDS, order_rows
from app.web.order_view import order_view
from app.web.paging import PHONE_COUNT_CAP, count_label
from app.web.rendering import render_page_or_block, see_other
from app.wholesale.models import SHIP_METHOD_LABELS, Fulfilment, Region
from app.wholesale.services import (
    COUNTED_TABS,
    MANAGER_TABS,
    assign_driver,
    awaits_confirmation,
    awaits_driver,
    confirm_order,
    drivers_of_region,
    manager_orders,
    manager_tab_count_query,
    ship_other_way,
)

from .forms import AssignDriverForm, ShipOtherWayForm

bp = Blueprint("sales", __name__)
bp.before_request(portal_guard("sales"))

PER_PAGE = 20
LIST_COLUMNS = (  # what a card of the order list shows
    Order.id,
    Order.no,
    Order.status,
    Order.created_at,
    Order.payment_method,
    Order.contact_name,
    Order.contact_phone,
    Order.total_fen,
)


@bp.context_processor
def sales_context() -> dict:
    actor = g.get("actor")
    region = db.session.get(Region, actor.region_id) if actor and actor.region_id else None
    return {"region": region}


def _register_tab_counts() -> None:
    """Each counted tab's number is a layout figure: it rides along in the list's statement."""
    for status in COUNTED_TABS:
        count = partial(manager_tab_count_query, status=status, cap=PHONE_COUNT_CAP)
        layout_fact("sales", f"tab_{status}")(count)


_register_tab_counts()


def _tab_counts() -> dict[str, str]:
    """Each counted tab's badge: "" for none, "99+" past the cap."""
    facts = layout_facts()
    if not facts:
        return {}
    return {status: count_label(getattr(facts, f"tab_{status}")) for status in COUNTED_TABS}


@bp.get("/")
def index():
    tab = request.args.get("tab", OrderStatus.PENDING_CONFIRM)
    if tab not in MANAGER_TABS:
        tab = OrderStatus.PENDING_CONFIRM
    page = order_rows(
        manager_orders(g.actor, tab),
        PER_PAGE,
        *LIST_COLUMNS,
        FIRST_ITEM,
        ITEM_KINDS,
        cap=PHONE_COUNT_CAP,
    )
    tabs = {
        key: translate(MANAGER_LABELS[key]) if key != "all" else _("全部") for key in MANAGER_TABS
    }
    return render_page_or_block(
        "sales/index.html",
        "orders",
        tab=tab,
        tabs=tabs,
        page=page,
        counts=_tab_counts(),
        all_tab=tab == "all",
    )


def _load(order_id: int) -> Order:
    order = order_for(g.actor, order_id)
    if order is None:
        abort(404)
    return order


def _order_page(order: Order, status: int = 200, block: str | None = None, **forms):
    forms.setdefault("driver_form", AssignDriverForm(formdata=None))
    forms.setdefault("ship_form", ShipOtherWayForm(formdata=None))
    fulfilment = db.session.get(Fulfilment, order.id)
    return render_page_or_block(
        "sales/order.html",
        block,
        status=status,
        order=order,
        view=order_view(order),
        actions={"confirm": awaits_confirmation(order), "ship": awaits_driver(order)},
        ship_method=translate(SHIP_METHOD_LABELS.get(fulfilment.ship_method, ""))
        if fulfilment and fulfilment.ship_method
        else "",
        drivers=drivers_of_region(g.actor.region_id),
        **forms,
    )


@bp.get("/orders/<int:order_id>")
def order(order_id: int):
    return _order_page(_load(order_id))


@bp.post("/orders/<int:order_id>/confirm")
def confirm(order_id: int):
    """Then the manager lands where the order went: the tab of its new state, not this page."""
    order = _load(order_id)
    confirm_order(order, g.actor)
    message = _(
        "订单已确认：%(no)s 已移到“%(tab)s”，请指派司机或选择其他方式发货",
        no=order.no,
        tab=translate(MANAGER_LABELS[order.status]),
    )
    return see_other(url_for(".index", tab=order.status), message)


@bp.post("/orders/<int:order_id>/driver")
def driver(order_id: int):
    order = _load(order_id)
    form = AssignDriverForm()
    if not form.validate_on_submit():
        return _order_page(order, 422, "ship", driver_form=form)
    assign_driver(order, form.driver_id.data, g.actor)
    message = _("已指派司机，短信已通知司机和客户")
    return see_other(url_for(".order", order_id=order.id), message)


@bp.post("/orders/<int:order_id>/ship")
def ship(order_id: int):
    order = _load(order_id)
    form = ShipOtherWayForm()
    if not form.validate_on_submit():
        return _order_page(order, 422, "ship", ship_form=form)
    ship_other_way(order, form.method.data, form.remark.data, g.actor)
    message = _("已发货，短信已通知客户；客户收货后需自行确认收货")
    return see_other(url_for(".order", order_id=order.id), message)


@bp.get("/me")
def me():
    """我的: who is working, for which region, the QR code, and 退出登录 at the bottom."""
    return render_page_or_block("sales/me.html")


def _qr_svg(text: str) -> Markup:
    """The QR code of `text` as an inline <svg> (no style attribute: the CSP allows none), drawn
    at 260 px (its viewBox scales it), big enough for any phone's camera."""
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, border=2)
    svg = image.get_image()
    svg.set("width", "260")
    svg.set("height", "260")
    svg.set("role", "img")
    svg.set("aria-label", _("注册二维码"))
    return Markup(image.to_string(encoding="unicode"))


@bp.route("/qr", methods=["GET", "POST"])
def qr():
    """我的二维码: customers who sign up through it are tagged to this manager and region.
    The code is made by the first POST (生成二维码); a GET only reads."""
    if request.method == "POST":
        make_referral_code(g.actor)
        return see_other(url_for(".qr"))
    code = referral_code_of(g.actor)
    link = url_for("auth.signup", ref=code, _external=True) if code else None
    return render_page_or_block("sales/qr.html", link=link, svg=_qr_svg(link) if link else None)
