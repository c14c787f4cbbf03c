"""The store's order tools: the filtered list and its exports, shipping by a carrier (one by one
or a batch from Excel), closing with a reason, a wholesale store confirming its own orders,
packing slips (出货单) and pickup verification (核销)."""

from __future__ import annotations

from flask import Response, abort, g, request, stream_with_context, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.errors import DomainError
from app.extensions import db
from app.ordering.export import (
    OrderQuery,
    csv_lines,
    file_chunks,
    order_where,
    write_xlsx,
)
from app.ordering.fulfilment import (
    BATCH_COLUMNS,
    CARRIERS,
    batch_ship,
    batch_template,
    confirm_by_store,
    ship_by_express,
    verify_pickup,
)
from app.ordering.models import Order
from app.ordering.payment import DELIVERY_OPTIONS
from app.ordering.search import NEWEST_FIRST
from app.ordering.services import close_by_store
from app.ordering.states import PICKUP, OrderStatus
from app.stores.services import store_of
from app.web.i18n import translate
from app.web.order_view import order_page, render_message
from app.web.rendering import render_page_or_block, see_other
from app.wholesale.services import MANAGED_KINDS

from .forms import OrderFilterForm
from .fulfilment_forms import BatchShipForm, CloseForm, ExpressShipForm, PickupForm
from .views import ORDERS_PER_PAGE, _detail, _done, _load, bp

MAX_SLIPS = 50  # packing slips printed at once
PICKUPS_SHOWN = 30  # the pickup page lists the latest orders still waiting to be picked up
EXPORT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def translate_message(error: DomainError) -> str:
    return render_message(error.msg)


# ---- the list, its exports ------------------------------------------------------------------


@bp.get("/orders")
def orders():
    form = OrderFilterForm(request.args)
    form.validate()
    page = order_page(g.actor, form.to_filter(), ORDERS_PER_PAGE, items=True)
    return render_page_or_block(
        "store/orders.html", "table", form=form, page=page, manager_kinds=MANAGED_KINDS
    )


@bp.get("/orders/export.<any(csv, xlsx):fmt>")
def orders_export(fmt: str):
    """The filtered list as a file, streamed: memory stays flat whatever the number of orders."""
    form = OrderFilterForm(request.args)
    form.validate()
    found = form.to_filter()
    if fmt == "csv":
        body = stream_with_context(csv_lines(g.actor, found, translate))
    else:
        body = file_chunks(write_xlsx(g.actor, found, translate))
    response = Response(body, mimetype=EXPORT_TYPES[fmt])
    response.headers["Content-Disposition"] = f"attachment; filename=orders.{fmt}"
    response.headers["Cache-Control"] = "no-store"
    return response


# ---- one order ------------------------------------------------------------------------------


@bp.post("/orders/<int:order_id>/express")
def ship_express(order_id: int):
    order = _load(order_id)
    form = ExpressShipForm()
    if not form.validate():
        return _detail(order, 422, express_form=form)
    ship_by_express(order, g.actor, form.carrier.data, form.tracking_no.data)
    return _done(order, _("已发货，买家可查看物流单号"))


@bp.post("/orders/<int:order_id>/close")
def close(order_id: int):
    order = _load(order_id)
    form = CloseForm()
    if not form.validate():
        return _detail(order, 422, close_form=form)
    close_by_store(order, g.actor, form.reason.data)
    return _done(order, _("订单已关闭"))


@bp.post("/orders/<int:order_id>/confirm")
def confirm(order_id: int):
    order = _load(order_id)
    confirm_by_store(order, g.actor)
    return _done(order, _("订单已确认，可以发货"))


# ---- batch shipping -------------------------------------------------------------------------


@bp.route("/orders/batch-ship", methods=["GET", "POST"])
def batch_ship_page():
    form = BatchShipForm()
    report = None
    status = 200
    if form.validate_on_submit():
        try:
            report = batch_ship(g.actor, form.file.data.stream)
        except DomainError as refused:  # the file as a whole (not Excel, no header): nothing done
            form.file.errors = [translate_message(refused)]
            status = 422
    elif form.is_submitted():
        status = 422
    return render_page_or_block(
        "store/batch_ship.html",
        "batch",
        status=status,
        form=form,
        report=report,
        shipped=sum(1 for row in report or () if row.shipped),
        columns=BATCH_COLUMNS,
        carriers=CARRIERS,
    )


@bp.get("/orders/batch-ship/template.xlsx")
def batch_ship_template():
    response = Response(batch_template(), mimetype=EXPORT_TYPES["xlsx"])
    response.headers["Content-Disposition"] = "attachment; filename=batch-ship.xlsx"
    return response


# ---- packing slips (出货单) -----------------------------------------------------------------


def _selected_ids() -> list[int]:
    ids = []
    for value in request.args.getlist("ids")[:MAX_SLIPS]:
        if value.isascii() and value.isdigit() and len(value) < 12:
            ids.append(int(value))
    return ids


@bp.get("/orders/slips")
def packing_slips():
    """出货单 of the chosen orders, one per printed page; other stores' ids are left out."""
    ids = _selected_ids()
    if not ids:
        return see_other(url_for("store.orders"), _("请先勾选要打印出货单的订单"))
    query = (
        select(Order)
        .where(*order_where(g.actor, OrderQuery()), Order.id.in_(ids))
        .options(selectinload(Order.items))
        .order_by(Order.id)
    )
    found = list(db.session.execute(query).scalars())
    if not found:
        abort(404)
    return render_page_or_block(
        "store/packing_slip.html",
        None,
        orders=found,
        store=store_of(g.actor),
        delivery_labels=DELIVERY_OPTIONS,
    )


# ---- 到店自提: verify the code ----------------------------------------------------------------


@bp.route("/pickup", methods=["GET", "POST"])
def pickup():
    form = PickupForm()
    if form.validate_on_submit():
        try:
            order = verify_pickup(store_of(g.actor), form.code.data, g.actor)
        except DomainError as refused:  # shown beside the code; nothing was written
            form.code.errors = [translate_message(refused)]
        else:
            message = _("核销成功：订单 %(no)s 已完成", no=order.no)
            return see_other(url_for("store.order", order_id=order.id), message)
    status = 422 if form.is_submitted() else 200
    waiting = db.session.execute(
        select(Order)
        .where(
            *order_where(g.actor, OrderQuery(delivery_option=PICKUP)),
            Order.status == OrderStatus.AWAITING_SHIPMENT,
        )
        .order_by(*NEWEST_FIRST)
        .limit(PICKUPS_SHOWN)
    ).scalars()
    return render_page_or_block(
        "store/pickup.html", "pickup_form", status=status, form=form, waiting=list(waiting)
    )
