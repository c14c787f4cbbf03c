"""The store's order tools: the filtered list and its exports, shipping by a carrier (one by one
or a batch from Excel), closing with a reason, a wholesale store confirming its own orders,
packing slips (出货单), pickup verification (核销), and 立即配送 by own riders or Dada (the fee
confirmed first, tips, cancelling with Dada's reasons, the progress refreshed from Dada)."""

from __future__ import annotations

from flask import (
    Response,
    abort,
    g,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from wtforms import SelectChoice

from app.delivery.couriers import courier_for
from app.delivery.dada.services import add_tip as add_dada_tip
from app.delivery.dada.services import cancel as cancel_dada
from app.delivery.dada.services import cancel_reasons as dada_cancel_reasons
from app.delivery.dada.services import dispatch_confirmed, switch_to_assistant
from app.delivery.dada.services import quote as quote_dada
from app.delivery.dada.services import refresh as refresh_dada
from app.delivery.models import DeliveryTask
from app.delivery.services import task_of
from app.errors import DomainError, Forbidden, IllegalTransition
from app.extensions import db
from app.money import format_fen
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
from app.web.db_connections import reads_in_a_transaction
from app.web.i18n import translate
from app.web.order_view import order_page, render_message
from app.web.rendering import render_page_or_block, see_other
from app.wholesale.services import MANAGED_KINDS

from .forms import OrderFilterForm
from .fulfilment_forms import (
    BatchShipForm,
    CloseForm,
    DadaCancelForm,
    DadaConfirmForm,
    DadaTipForm,
    DispatchForm,
    ExpressShipForm,
    PickupForm,
)
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
@reads_in_a_transaction
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


# ---- 立即配送: own riders (配送助手) or Dada -------------------------------------------------------


def _form_status(refused: DomainError) -> int:
    """A refusal shown on its form: 409 when the order moved on, else 422 (both redraw)."""
    return 409 if isinstance(refused, IllegalTransition) else 422


def _refused_on(form_field, refused: DomainError):
    if isinstance(refused, Forbidden):
        raise refused  # a role or scope refusal is answered as such, not on the form
    form_field.errors = [*form_field.errors, translate_message(refused)]
    return _form_status(refused)


def _done_saying(order: Order, message: str):
    """`_done`, and for HTMX the message too: the detail block plus the flash, swapped out of
    band (the store reads what Dada answered, e.g. the deduct fee, where it looks)."""
    if not request.htmx:
        return _done(order, message)
    html, status = _detail(order)
    flash_html = render_template(
        "components/flash_fragment.html", message=message, category="success"
    )
    return f'{html}<div hx-swap-oob="innerHTML:#flash">{flash_html}</div>', status


def _dada_task(order: Order) -> DeliveryTask:
    """The order's Dada task, or 404 (no such thing to tip, cancel or refresh)."""
    task = task_of(order)
    if task is None or task.courier != "dada":
        abort(404)
    return task


@bp.post("/orders/<int:order_id>/dispatch")
def dispatch(order_id: int):
    """立即配送 (or 重新派单): own riders ship at once; Dada first shows its fee to confirm."""
    order = _load(order_id)
    form = g.dispatch_form = DispatchForm()
    if not form.validate():
        return _detail(order, 422)
    try:
        courier = courier_for(order, form.method.data)
        if courier.name == "dada":
            g.dada_quote = quote_dada(order, g.actor)
            return _detail(order)
        task = task_of(order)
        if task is not None:
            switch_to_assistant(task, order, g.actor)
            message = _("已改由配送助手配送，等待骑手接单")
        else:
            courier.create(order, g.actor)
            message = _("已发货，等待骑手接单")
    except DomainError as refused:
        return _detail(order, _refused_on(form.method, refused))
    g.dispatch_form = None
    return _done_saying(order, message)


@bp.post("/orders/<int:order_id>/dispatch/dada")
def dispatch_dada(order_id: int):
    """确认派单: the fee the store was shown; the balance is checked again before sending."""
    order = _load(order_id)
    form = g.dada_confirm_form = DadaConfirmForm()
    if not form.validate():
        return _detail(order, 422)
    try:
        dispatch_confirmed(order, g.actor, form.token.data)
    except DomainError as refused:
        return _detail(order, _refused_on(form.token, refused))
    g.dada_confirm_form = None
    return _done_saying(order, _("已派单至达达，等待达达骑手接单"))


@bp.post("/orders/<int:order_id>/dada/tip")
def dada_tip(order_id: int):
    """加小费 while no Dada rider has accepted."""
    order = _load(order_id)
    task = _dada_task(order)
    form = g.dada_tip_form = DadaTipForm()
    if not form.validate():
        return _detail(order, 422)
    try:
        add_dada_tip(task, g.actor, form.tip_fen())
    except DomainError as refused:
        return _detail(order, _refused_on(form.tip, refused))
    g.dada_tip_form = None
    return _done_saying(order, _("已加小费 %(tip)s", tip=format_fen(form.tip_fen())))


def _cancel_form(formdata=None) -> DadaCancelForm:
    """The cancel form with Dada's reasons (asked now: Dada owns the list)."""
    form = DadaCancelForm() if formdata else DadaCancelForm(formdata=None)
    form.reason_id.choices = [SelectChoice(r.id, r.reason) for r in dada_cancel_reasons()]
    return form


@bp.get("/orders/<int:order_id>/dada/cancel")
def dada_cancel_form(order_id: int):
    """Open 取消达达配送: Dada's reasons, and what a cancel may cost."""
    order = _load(order_id)
    task = task_of(order)
    if task is None or task.courier != "dada":  # nothing to cancel at Dada: the order itself
        return redirect(url_for("store.order", order_id=order.id), code=303)
    try:
        g.dada_cancel_form = _cancel_form()
    except DomainError as refused:
        g.dada_cancel_form = None
        g.dispatch_note = translate_message(refused)
        return _detail(order, _form_status(refused))
    return _detail(order)


@bp.post("/orders/<int:order_id>/dada/cancel")
def dada_cancel(order_id: int):
    order = _load(order_id)
    task = _dada_task(order)
    try:
        form = g.dada_cancel_form = _cancel_form(formdata=True)
    except DomainError as refused:  # Dada cannot be asked for its reasons: nothing is sent
        g.dada_cancel_form = None
        g.dispatch_note = translate_message(refused)
        return _detail(order, _form_status(refused))
    if not form.validate():
        return _detail(order, 422)
    try:
        deduct = cancel_dada(task, g.actor, form.reason_id.data, form.reason_text.data or "")
    except DomainError as refused:
        return _detail(order, _refused_on(form.reason_id, refused))
    g.dada_cancel_form = None
    return _done_saying(order, _("已取消达达配送，违约金 %(fee)s", fee=format_fen(deduct)))


@bp.post("/orders/<int:order_id>/dada/refresh")
def dada_refresh(order_id: int):
    """查看配送进度: ask Dada where the order is now (status/query)."""
    order = _load(order_id)
    try:
        refresh_dada(_dada_task(order))
    except DomainError as refused:  # Dada did not answer: the page says so, nothing changed
        g.dispatch_note = translate_message(refused)
        return _detail(order, _form_status(refused))
    return _done_saying(order, _("已从达达刷新配送进度"))
