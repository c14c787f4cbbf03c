"""The store back office (desktop): orders, accepting and shipping, receipt printer, products."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    g,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _

from app.delivery.couriers import COURIERS, couriers_for
from app.delivery.progress import delivery_progress
from app.extensions import db, limiter
from app.ordering.fulfilment import awaits_store_confirmation, may_ship_by_carrier
from app.ordering.models import Order
from app.ordering.scope import order_for
from app.ordering.search import count_new_orders, latest_order_query
from app.ordering.services import (
    accept_order,
    awaits_acceptance,
    awaits_shipment,
    may_store_close,
    reject_order,
)
from app.ordering.states import PICKUP
from app.printing.services import reprint_order, request_test_print
from app.stores.models import Store
from app.stores.services import set_printer, store_of
from app.web.access import portal_guard
from app.web.bounds import int_arg
from app.web.layout_facts import layout_fact
from app.web.order_view import order_view
from app.web.rendering import render_page_or_block, see_other
from app.wholesale.services import MANAGED_KINDS

from .forms import PrinterForm, RejectForm, ShipForm
from .fulfilment_forms import CloseForm, ExpressShipForm

bp = Blueprint("store", __name__)
bp.before_request(portal_guard("store"))

ORDERS_PER_PAGE = 20


@bp.after_request
def vary_on_htmx(response):
    """The same URL answers a page or a fragment: caches must keep them apart."""
    response.vary.add("HX-Request")
    return response


@bp.context_processor
def store_context() -> dict:
    actor = g.get("actor")
    if actor is None:
        return {}
    return {
        "current_store": db.session.get(Store, actor.store_id) if actor.store_id else None,
    }


@layout_fact("store", "latest_order_id")
def _latest_order_id(actor):
    """Where the new-order alert starts counting from when a page is drawn."""
    return latest_order_query(actor)


def notice(message: str, url: str):
    """A done action with nothing to redraw: a flash fragment for HTMX, else 303 with a flash."""
    if request.htmx:
        html = render_template(
            "components/flash_fragment.html", message=message, category="success"
        )
        return html, 200, {"HX-Retarget": "#flash", "HX-Reswap": "innerHTML"}
    return see_other(url, message)


@bp.get("/")
def index():
    return redirect(url_for("store.orders"), code=303)


@bp.get("/orders/new-count")
def new_count():
    since = int_arg("since", 0)
    count = count_new_orders(g.actor, since)
    return render_page_or_block("store/_layout.html", "alert", since=since, new_count=count)


def _load(order_id: int) -> Order:
    return order_for(g.actor, order_id) or abort(404)


CARRIED = ("express", "ship", "ship_pickup")  # delivery options a carrier takes


def _detail(order: Order, status: int = 200, **forms):
    """The detail block with what the store may do with this order now."""
    ship_form = forms.get("ship_form") or ShipForm(formdata=None)
    ship_form.method.choices = list(couriers_for(order).items())
    if ship_form.method.data is None and ship_form.method.choices:
        ship_form.method.data = ship_form.method.choices[0][0]
    pickup = order.delivery_option == PICKUP
    by_carrier = order.delivery_option in CARRIED  # the buyer chose 快递 / 发货: no riders
    actions = {
        "accept": awaits_acceptance(order),
        "confirm": awaits_store_confirmation(order),
        # 配送助手 (same-city riders), beside shipping by a carrier
        "ship": awaits_shipment(order)
        and bool(ship_form.method.choices)
        and not pickup
        and not by_carrier,
        "express": may_ship_by_carrier(order),
        "pickup": awaits_shipment(order) and pickup,
        "close": may_store_close(order) and not awaits_acceptance(order),
        "manager_also": order.kind in MANAGED_KINDS,
    }
    return render_page_or_block(
        "store/order.html",
        "detail",
        status=status,
        order=order,
        view=order_view(order),
        progress=delivery_progress(order),
        actions=actions,
        ship_form=ship_form,
        reject_form=forms.get("reject_form") or RejectForm(formdata=None),
        express_form=forms.get("express_form") or ExpressShipForm(formdata=None),
        close_form=forms.get("close_form") or CloseForm(formdata=None),
    )


def _done(order: Order, message: str):
    if request.htmx:
        return _detail(order)
    return see_other(url_for("store.order", order_id=order.id), message)


@bp.get("/orders/<int:order_id>")
def order(order_id: int):
    return _detail(_load(order_id))


@bp.post("/orders/<int:order_id>/accept")
def accept(order_id: int):
    order = _load(order_id)
    accept_order(order, g.actor)
    return _done(order, _("已接单，小票已发送到打印机"))


@bp.post("/orders/<int:order_id>/reject")
def reject(order_id: int):
    order = _load(order_id)
    form = RejectForm()
    if not form.validate():
        return _detail(order, 422, reject_form=form)
    reject_order(order, g.actor, form.reason.data)
    return _done(order, _("已拒单，订单已关闭"))


@bp.post("/orders/<int:order_id>/ship")
def ship(order_id: int):
    order = _load(order_id)
    form = ShipForm()
    form.method.choices = list(couriers_for(order).items())
    if not form.validate():
        return _detail(order, 422, ship_form=form)
    COURIERS.get(form.method.data).ship(order, g.actor)
    return _done(order, _("已发货，等待骑手接单"))


@bp.post("/orders/<int:order_id>/reprint")
def reprint(order_id: int):
    order = _load(order_id)
    reprint_order(order, g.actor)
    return notice(_("已发送到打印机重新打印"), url_for("store.order", order_id=order.id))


def per_store() -> str:
    """Rate limits count per store, whoever and wherever its people are."""
    return f"store:{g.actor.store_id}"


@bp.route("/printer", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["PRINTER_CHANGE_RATE_LIMIT"], key_func=per_store, methods=["POST"]
)
def printer():
    store = store_of(g.actor)
    form = PrinterForm(obj=store)
    if form.validate_on_submit():
        data = form.data
        set_printer(
            store, g.actor, data["printer_host"], data["printer_port"], data["printer_encoding"]
        )
        return see_other(url_for("store.printer"), _("打印机设置已保存"))
    status = 422 if form.is_submitted() else 200
    return render_page_or_block(
        "store/printer.html", "printer_form", status=status, form=form, store=store
    )


@bp.post("/printer/test")
@limiter.limit(lambda: current_app.config["TEST_PRINT_RATE_LIMIT"], key_func=per_store)
def test_print():
    """Only queues the check: the answer is the same whether a printer is there or not, and the
    outcome shows in the printer page's check panel (told to reload by `printer-check`)."""
    request_test_print(store_of(g.actor), g.actor)
    response = make_response(notice(_("测试页已发送到打印机"), url_for("store.printer")))
    response.headers["HX-Trigger"] = "printer-check"
    return response


@bp.get("/printer/check")
def printer_check():
    """The check panel, polled by the printer page while a test print is on its way."""
    if not request.htmx:
        return redirect(url_for("store.printer"), code=303)
    return render_page_or_block("store/printer.html", "printer_check", store=store_of(g.actor))
