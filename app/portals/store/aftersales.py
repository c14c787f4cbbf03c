"""售后 in the store back office: the list (status tabs with counts), one request, approve or
reject it, confirm a return came back (stock and money go back).

Only the store's own requests exist here: another store's id answers 404."""

from __future__ import annotations

from flask import abort, g, request, url_for
from flask_babel import gettext as _

from app.ordering.aftersale_states import (
    AFTERSALE_MACHINE,
    BADGES,
    KIND_LABELS,
    AfterSaleKind,
    AfterSaleStatus,
)
from app.ordering.aftersales import (
    aftersale_for,
    aftersale_list,
    aftersales_of_order,
    answer_due,
    approve,
    confirm_return_received,
    photo_key,
    reject,
    status_counts,
    store_waiting_query,
)
from app.ordering.models import AfterSale
from app.portals.store.views import bp
from app.storage import send_stored
from app.web.layout_facts import layout_fact
from app.web.order_view import order_view
from app.web.paging import paginate
from app.web.rendering import render_page_or_block, see_other

from .aftersale_forms import AfterSaleFilterForm, ApproveForm, ReceivedForm, RejectForm

__all__ = ["bp"]

PER_PAGE = 20
PHOTO_SECONDS = 3600
STATUSES = list(AfterSaleStatus)


@layout_fact("store", "aftersales_todo")
def _aftersales_todo(actor):
    return store_waiting_query(actor.store_id)


@bp.context_processor
def aftersale_context() -> dict:
    """The sidebar's count of requests to act on; the order page's list of requests."""
    actor = g.get("actor")
    if actor is None:
        return {}
    return {
        "order_aftersales": aftersales_of_order,
        "aftersale_labels": AFTERSALE_MACHINE.labels,
        "aftersale_badges": BADGES,
        "aftersale_kinds": KIND_LABELS,
    }


@bp.get("/aftersales")
def aftersales():
    filters = AfterSaleFilterForm(request.args)
    filters.validate()
    query = aftersale_list(g.actor, filters.status.data or "", filters.keyword)
    return render_page_or_block(
        "store/aftersales.html",
        "aftersales_table",
        filters=filters,
        page=paginate(query, PER_PAGE),
        statuses=STATUSES,
        counts=status_counts(g.actor),
    )


def _own(aftersale_id: int) -> AfterSale:
    return aftersale_for(g.actor, aftersale_id) or abort(404)


def _detail(aftersale: AfterSale, status: int = 200, **forms):
    order = aftersale.order
    actions = {
        "answer": aftersale.status == AfterSaleStatus.REQUESTED,
        "receive": aftersale.status == AfterSaleStatus.RETURNING,
        "refund_now": aftersale.kind == AfterSaleKind.REFUND,
    }
    return render_page_or_block(
        "store/aftersale.html",
        "detail",
        status=status,
        aftersale=aftersale,
        order=order,
        view=order_view(order),
        actions=actions,
        answer_due=answer_due(aftersale),
        approve_form=forms.get("approve_form") or ApproveForm(formdata=None),
        reject_form=forms.get("reject_form") or RejectForm(formdata=None),
        received_form=forms.get("received_form") or ReceivedForm(formdata=None),
    )


def _done(aftersale: AfterSale, message: str):
    if request.htmx:
        return _detail(aftersale)
    return see_other(url_for("store.aftersale", aftersale_id=aftersale.id), message)


@bp.get("/aftersales/<int:aftersale_id>")
def aftersale(aftersale_id: int):
    return _detail(_own(aftersale_id))


@bp.post("/aftersales/<int:aftersale_id>/approve")
def aftersale_approve(aftersale_id: int):
    aftersale = _own(aftersale_id)
    form = ApproveForm()
    if not form.validate() or not form.check_for(aftersale.kind):
        return _detail(aftersale, 422, approve_form=form)
    approve(aftersale, g.actor)
    if aftersale.kind == AfterSaleKind.REFUND:
        return _done(aftersale, _("已同意，退款将原路退回给买家"))
    return _done(aftersale, _("已同意退货，等待买家寄回商品"))


@bp.post("/aftersales/<int:aftersale_id>/reject")
def aftersale_reject(aftersale_id: int):
    aftersale = _own(aftersale_id)
    form = RejectForm()
    if not form.validate():
        return _detail(aftersale, 422, reject_form=form)
    reject(aftersale, g.actor, form.reason.data)
    return _done(aftersale, _("已拒绝该售后申请"))


@bp.post("/aftersales/<int:aftersale_id>/received")
def aftersale_received(aftersale_id: int):
    aftersale = _own(aftersale_id)
    form = ReceivedForm()
    if not form.validate():
        return _detail(aftersale, 422, received_form=form)
    confirm_return_received(aftersale, g.actor)
    return _done(aftersale, _("已确认收到退货，商品已退回库存，退款处理中"))


@bp.get("/aftersales/<int:aftersale_id>/photos/<int:n>")
def aftersale_photo(aftersale_id: int, n: int):
    key = photo_key(_own(aftersale_id), n - 1, thumb=request.args.get("size") == "thumb")
    if key is None:
        abort(404)
    return send_stored(key, mimetype="image/jpeg", max_age=PHOTO_SECONDS)
