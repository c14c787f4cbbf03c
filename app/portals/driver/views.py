"""The driver's phone portal (司机端): deliveries to make, call and navigate, record the cash
taken at the door (已收款), upload the slip; 我的 with 退出登录."""

from __future__ import annotations

from flask import Blueprint, abort, g, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from app.errors import IllegalTransition, InvalidInput
from app.extensions import db
from app.money import format_fen
from app.ordering.models import Order
from app.ordering.offline import driver_collects, offline_payment, record_money_received
from app.ordering.scope import order_for
from app.ordering.states import OrderStatus
from app.web.access import portal_guard
from app.web.order_list import ITEM_PIECES, order_rows
from app.web.order_view import order_view, render_message
from app.web.paging import PHONE_COUNT_CAP
from app.web.rendering import render_page_or_block, see_other
from app.web.unit_of_work import discard_work
from app.wholesale.models import Region
from app.wholesale.services import DRIVER_TABS, driver_orders, upload_slips

from .forms import CashReceiptForm, SlipUploadForm

bp = Blueprint("driver", __name__)
bp.before_request(portal_guard("driver"))

PER_PAGE = 20
LIST_COLUMNS = (  # what a card of the delivery list shows
    Order.id,
    Order.no,
    Order.completed_at,
    Order.contact_name,
    Order.contact_phone,
    Order.address,
    Order.payment_method,
    Order.total_fen,
)


@bp.context_processor
def driver_context() -> dict:
    actor = g.get("actor")
    region = db.session.get(Region, actor.region_id) if actor and actor.region_id else None
    return {"region": region}


@bp.get("/")
def index():
    tab = request.args.get("tab", "todo")
    if tab not in DRIVER_TABS:
        tab = "todo"
    page = order_rows(
        driver_orders(g.actor, tab), PER_PAGE, *LIST_COLUMNS, ITEM_PIECES, cap=PHONE_COUNT_CAP
    )
    return render_page_or_block("driver/index.html", "deliveries", tab=tab, page=page)


def _load(order_id: int) -> Order:
    order = order_for(g.actor, order_id)
    if order is None:
        abort(404)
    return order


def _order_page(order: Order, status: int = 200, block: str | None = None, **context):
    context.setdefault("form", SlipUploadForm(formdata=None))
    pay = offline_payment(order)
    if "receipt_form" not in context:  # what is left, in cash: one tap when it is all of it
        context["receipt_form"] = CashReceiptForm(
            formdata=None,
            amount=format_fen(pay.unpaid_fen, symbol="").replace(",", ""),
            reference=_("现金"),
        )
    return render_page_or_block(
        "driver/order.html",
        block,
        status=status,
        order=order,
        view=order_view(order),
        to_deliver=order.status == OrderStatus.SHIPPED,
        pay=pay,
        **context,
    )


@bp.get("/orders/<int:order_id>")
def order(order_id: int):
    return _order_page(_load(order_id))


@bp.post("/orders/<int:order_id>/receipts")
def record_receipt(order_id: int):
    """已收款 for a cash on delivery order: the amount (never more than what is left) and how it
    was paid; a double submit is recorded once (app/ordering/offline.py)."""
    order = _load(order_id)
    form = CashReceiptForm()
    if form.validate_on_submit():
        try:
            receipt = record_money_received(order, g.actor, form.amount_fen, form.reference.data)
        except (InvalidInput, IllegalTransition) as error:
            if not driver_collects(order):
                raise  # no form on this page: the error layer says it in the flash area
            discard_work()  # a receipt refused after it was written (paid meanwhile) goes too
            form.amount.errors = [*form.amount.errors, render_message(error.msg)]
        else:
            message = _("已登记收款 %(amount)s", amount=format_fen(receipt.amount_fen))
            return see_other(url_for(".order", order_id=order.id), message)
    return _order_page(order, 422, "receipt", receipt_form=form)


@bp.get("/me")
def me():
    """我的: who is driving, for which region, and 退出登录 at the bottom."""
    return render_page_or_block("driver/me.html", tab="me")


@bp.post("/orders/<int:order_id>/slips")
def slips(order_id: int):
    order = _load(order_id)
    form = SlipUploadForm()
    if not form.validate_on_submit():
        return _order_page(order, 422, "slips", form=form)
    was_shipped = order.status == OrderStatus.SHIPPED
    try:
        photos = upload_slips(order, [(f.filename, f.stream) for f in form.photos.data], g.actor)
    except InvalidInput as error:
        if not request.htmx:
            raise  # plain POST: the error layer flashes the message and goes back to the page
        return _order_page(order, 422, "slips", upload_error=render_message(error.msg))
    if was_shipped:
        message = ngettext(
            "已上传 %(num)s 张签收单，订单已完成",
            "已上传 %(num)s 张签收单，订单已完成",
            len(photos),
        )
    else:
        message = ngettext("已补传 %(num)s 张签收单", "已补传 %(num)s 张签收单", len(photos))
    return see_other(url_for(".order", order_id=order.id), message)
