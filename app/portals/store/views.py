"""The store back office (desktop): orders, shipping, receipt printer, products."""

from __future__ import annotations

from flask import Blueprint, abort, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.delivery.services import ship_with_assistant
from app.extensions import db
from app.jobs import commit
from app.ordering.scope import order_for
from app.ordering.search import search_orders
from app.printing.services import reprint_order, request_test_print
from app.stores.models import Store
from app.stores.services import set_printer, store_of
from app.web.access import portal_guard
from app.web.paging import paginate
from app.web.rendering import render_page_or_block, see_other

from .forms import OrderFilterForm, PrinterForm, ShipForm
from .queries import count_new_orders, latest_order_id, products_of

bp = Blueprint("store", __name__)
bp.before_request(portal_guard("store"))

ORDERS_PER_PAGE = 20
SHIPPERS = {"assistant": ship_with_assistant}


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
        "latest_order_id": lambda: latest_order_id(actor),
    }


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


@bp.get("/orders")
def orders():
    form = OrderFilterForm(request.args)
    form.validate()
    page = paginate(search_orders(g.actor, form.to_filter()), per_page=ORDERS_PER_PAGE)
    return render_page_or_block("store/orders.html", "table", form=form, page=page)


@bp.get("/orders/new-count")
def new_count():
    since = request.args.get("since", 0, type=int)
    count = count_new_orders(g.actor, since)
    return render_page_or_block("store/_layout.html", "alert", since=since, new_count=count)


@bp.get("/orders/<int:order_id>")
def order(order_id: int):
    order = order_for(g.actor, order_id) or abort(404)
    return render_page_or_block("store/order.html", "detail", order=order, ship_form=ShipForm())


@bp.post("/orders/<int:order_id>/ship")
def ship(order_id: int):
    order = order_for(g.actor, order_id) or abort(404)
    form = ShipForm()
    if not form.validate():
        return render_page_or_block(
            "store/order.html", "detail", status=422, order=order, ship_form=form
        )
    SHIPPERS[form.method.data](order, g.actor)
    commit()
    if request.htmx:
        return render_page_or_block("store/order.html", "detail", order=order, ship_form=form)
    return see_other(url_for("store.order", order_id=order.id), _("已发货，等待骑手接单"))


@bp.post("/orders/<int:order_id>/reprint")
def reprint(order_id: int):
    order = order_for(g.actor, order_id) or abort(404)
    reprint_order(order, g.actor)
    commit()
    return notice(_("已发送到打印机重新打印"), url_for("store.order", order_id=order.id))


@bp.route("/printer", methods=["GET", "POST"])
def printer():
    store = store_of(g.actor)
    form = PrinterForm(obj=store)
    if form.validate_on_submit():
        data = form.data
        set_printer(
            store, g.actor, data["printer_host"], data["printer_port"], data["printer_encoding"]
        )
        commit()
        return see_other(url_for("store.printer"), _("打印机设置已保存"))
    status = 422 if form.is_submitted() else 200
    return render_page_or_block(
        "store/printer.html", "printer_form", status=status, form=form, store=store
    )


@bp.post("/printer/test")
def test_print():
    request_test_print(store_of(g.actor), g.actor)
    commit()
    return notice(_("测试页已发送到打印机"), url_for("store.printer"))


@bp.get("/products")
def products():
    return render_page_or_block("store/products.html", products=products_of(store_of(g.actor)))
