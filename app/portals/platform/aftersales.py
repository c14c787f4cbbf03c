"""售后 for platform staff: every request with filters, one request with its order's timeline,
stepping in with a decision (approve or reject) and a remark while the store has not answered
or after it rejected."""

from __future__ import annotations

from flask import abort, g, request, url_for
from flask_babel import gettext as _

from app.ordering.aftersale_states import (
    AFTERSALE_MACHINE,
    BADGES,
    KIND_LABELS,
    AfterSaleStatus,
)
from app.ordering.aftersales import (
    APPROVE,
    DECISIONS,
    aftersale_for,
    aftersale_list,
    aftersales_of_order,
    answer_due,
    decide_by_platform,
    photo_key,
    platform_waiting_query,
    status_counts,
)
from app.ordering.models import AfterSale
from app.portals.platform.views import bp
from app.storage import send_stored
from app.stores.services import all_stores
from app.web.layout_facts import layout_fact
from app.web.order_view import order_view
from app.web.paging import paginate
from app.web.rendering import render_page_or_block, see_other

from .aftersale_forms import DecideForm, PlatformAfterSaleFilterForm

__all__ = ["bp"]

PER_PAGE = 20
PHOTO_SECONDS = 3600
STATUSES = list(AfterSaleStatus)
# Where the platform may step in (a request already decided by the platform is final).
DECIDABLE = frozenset({AfterSaleStatus.REQUESTED, AfterSaleStatus.REJECTED})


@layout_fact("platform", "aftersale_appeals")
def _aftersale_appeals(_actor):
    """The sidebar's count of rejected requests to look at."""
    return platform_waiting_query()


@bp.context_processor
def aftersale_context() -> dict:
    """The order page's requests."""
    if g.get("actor") is None:
        return {}
    return {
        "order_aftersales": aftersales_of_order,
        "aftersale_labels": AFTERSALE_MACHINE.labels,
        "aftersale_badges": BADGES,
        "aftersale_kinds": KIND_LABELS,
    }


@bp.get("/aftersales")
def aftersales():
    filters = PlatformAfterSaleFilterForm(request.args)
    valid = filters.validate()
    query = aftersale_list(
        g.actor,
        filters.status.data or "",
        filters.keyword,
        filters.store_id,
        appealable=filters.appeal.data == "1",
    )
    return render_page_or_block(
        "platform/aftersales.html",
        "aftersales_table",
        status=200 if valid else 422,
        filters=filters,
        page=paginate(query, PER_PAGE),
        statuses=STATUSES,
        counts=status_counts(g.actor),
        stores=all_stores(),
    )


def _load(aftersale_id: int) -> AfterSale:
    return aftersale_for(g.actor, aftersale_id) or abort(404)


def _detail(aftersale: AfterSale, status: int = 200, decide_form: DecideForm | None = None):
    order = aftersale.order
    return render_page_or_block(
        "platform/aftersale.html",
        "detail",
        status=status,
        aftersale=aftersale,
        order=order,
        view=order_view(order),
        answer_due=answer_due(aftersale),
        may_decide=aftersale.status in DECIDABLE and not aftersale.decided_by_platform,
        decisions=DECISIONS,
        decide_form=decide_form or DecideForm(formdata=None),
    )


@bp.get("/aftersales/<int:aftersale_id>")
def aftersale(aftersale_id: int):
    return _detail(_load(aftersale_id))


@bp.post("/aftersales/<int:aftersale_id>/decide")
def aftersale_decide(aftersale_id: int):
    aftersale = _load(aftersale_id)
    form = DecideForm()
    if not form.validate():
        return _detail(aftersale, 422, form)
    decide_by_platform(aftersale, g.actor, form.decision.data, form.remark.data)
    message = _("已同意该售后申请") if form.decision.data == APPROVE else _("已驳回该售后申请")
    if request.htmx:
        return _detail(aftersale)
    return see_other(url_for("platform.aftersale", aftersale_id=aftersale.id), message)


@bp.get("/aftersales/<int:aftersale_id>/photos/<int:n>")
def aftersale_photo(aftersale_id: int, n: int):
    key = photo_key(_load(aftersale_id), n - 1, thumb=request.args.get("size") == "thumb")
    if key is None:
        abort(404)
    return send_stored(key, mimetype="image/jpeg", max_age=PHOTO_SECONDS)
