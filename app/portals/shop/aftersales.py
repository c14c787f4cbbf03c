"""售后 for the buyer (phone): ask for a refund or a return from the order page, follow the
request, send the goods back with a tracking number, withdraw it.

Requests are addressed by their random number (like orders); another buyer's answers 404."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask import abort, g, request, url_for
from flask_babel import gettext as _
from werkzeug.datastructures import FileStorage

from app.errors import AlreadyTaken, IllegalTransition, InvalidInput
from app.ordering.aftersale_states import (
    BADGES,
    KIND_LABELS,
    OPEN,
    REASONS,
    AfterSaleKind,
    AfterSaleStatus,
    buyer_label,
)
from app.ordering.aftersales import (
    MAX_DESCRIPTION,
    MAX_PHOTOS,
    aftersale_kinds,
    aftersale_numbered,
    aftersales_of_order,
    aftersales_visible_to,
    cancel_by_buyer,
    choices,
    enter_return_tracking,
    photo_key,
    refusal,
    request_aftersale,
    window_end,
)
from app.ordering.models import AfterSale, Order
from app.ordering.scope import order_numbered
from app.ordering.states import OrderStatus
from app.portals.shop.views import bp
from app.storage import send_stored
from app.web.access import actor_required
from app.web.order_view import order_view, render_message
from app.web.paging import paginate
from app.web.rendering import render_page_or_block, see_other
from app.web.unit_of_work import discard_work

from .aftersale_forms import (
    AfterSaleForm,
    CancelForm,
    TrackingForm,
    quantity_field,
    read_quantities,
)

__all__ = ["bp"]

PER_PAGE = 10
PHOTO_SECONDS = 3600


@dataclass
class Panel:
    """What the order page shows about after-sales: may the buyer ask, the requests so far."""

    kinds: tuple[str, ...]
    requests: list[AfterSale] = field(default_factory=list)
    until: datetime | None = None


def aftersale_panel(order: Order) -> Panel:
    until = window_end(order) if order.status == OrderStatus.COMPLETED else None
    return Panel(aftersale_kinds(order, g.get("actor")), aftersales_of_order(order), until)


@bp.context_processor
def aftersale_context() -> dict:
    """Shop templates ask `aftersale_panel(order)`, and show statuses in the buyer's words."""
    return {
        "aftersale_panel": aftersale_panel,
        "aftersale_label": buyer_label,
        "aftersale_badges": BADGES,
        "aftersale_kinds": KIND_LABELS,
    }


# ---- asking ------------------------------------------------------------------------------------


def _form_page(order: Order, form: AfterSaleForm, status: int = 200, error: str = "", qty=None):
    return render_page_or_block(
        "shop/aftersale_form.html",
        "aftersale_form",
        status=status,
        order=order,
        form=form,
        kinds=aftersale_kinds(order, g.actor),
        refused=render_message(refusal(order, g.actor)) if status == 200 else "",
        choices=choices(order),
        quantities=qty or {},
        quantity_field=quantity_field,
        reasons=REASONS,
        kind_labels=KIND_LABELS,
        max_photos=MAX_PHOTOS,
        max_description=MAX_DESCRIPTION,
        error=error,
    )


@bp.route("/orders/<string(maxlength=32):no>/aftersale", methods=["GET", "POST"])
@actor_required
def aftersale_new(no: str):
    order = order_numbered(g.actor, no) or abort(404)
    form = AfterSaleForm()
    kinds = aftersale_kinds(order, g.actor)
    if not form.is_submitted():
        wanted = request.args.get("kind")
        form.kind.data = wanted if wanted in kinds else (kinds[0] if len(kinds) == 1 else None)
        return _form_page(order, form)
    typed = {key: value[:12] for key, value in request.form.items() if key.startswith("qty-")}
    if not form.validate():
        return _form_page(order, form, 422, qty=typed)
    photos = [f for f in form.photos.data or [] if isinstance(f, FileStorage)]
    try:
        quantities = read_quantities(order, request.form)
        aftersale = request_aftersale(
            order,
            g.actor,
            form.kind.data,
            quantities,
            form.reason.data,
            form.description.data,
            photos,
        )
    except (InvalidInput, IllegalTransition, AlreadyTaken) as refused:
        discard_work()  # nothing reserved, no photo kept
        status = 422 if isinstance(refused, InvalidInput) else 409
        order = order_numbered(g.actor, no) or abort(404)
        return _form_page(order, form, status, render_message(refused.msg), typed)
    return see_other(
        url_for("shop.aftersale", aftersale_no=aftersale.no), _("售后申请已提交，请等待商家处理")
    )


# ---- following a request -----------------------------------------------------------------------


def _own(no: str) -> AfterSale:
    return aftersale_numbered(g.actor, no) or abort(404)


def _detail(aftersale: AfterSale, status: int = 200, **forms):
    order = aftersale.order
    timeline = [e for e in order_view(order).timeline if e.machine == "aftersale"]
    waiting_return = (
        aftersale.kind == AfterSaleKind.RETURN and aftersale.status == AfterSaleStatus.APPROVED
    )
    return render_page_or_block(
        "shop/aftersale.html",
        "detail",
        status=status,
        aftersale=aftersale,
        order=order,
        label=buyer_label(aftersale.status),
        badge=BADGES.get(aftersale.status, ""),
        kind=KIND_LABELS.get(aftersale.kind, aftersale.kind),
        timeline=timeline,
        waiting_return=waiting_return,
        waiting_store=aftersale.status == AfterSaleStatus.REQUESTED,
        rejected=aftersale.status == AfterSaleStatus.REJECTED,
        refunding=aftersale.status == AfterSaleStatus.REFUNDING,
        may_cancel=aftersale.status == AfterSaleStatus.REQUESTED or waiting_return,
        # not while the buyer types the return's tracking number: a refresh would wipe it
        live=aftersale.status in OPEN and not waiting_return,
        tracking_form=forms.get("tracking_form") or TrackingForm(formdata=None),
        cancel_form=forms.get("cancel_form") or CancelForm(formdata=None),
    )


@bp.get("/aftersales")
@actor_required
def aftersales():
    page = paginate(aftersales_visible_to(g.actor), per_page=PER_PAGE)
    return render_page_or_block("shop/aftersales.html", page=page)


@bp.get("/aftersales/<string(maxlength=32):aftersale_no>")
@actor_required
def aftersale(aftersale_no: str):
    return _detail(_own(aftersale_no))


def _done(aftersale: AfterSale, message: str):
    if request.htmx:
        return _detail(aftersale)
    return see_other(url_for("shop.aftersale", aftersale_no=aftersale.no), message)


@bp.post("/aftersales/<string(maxlength=32):aftersale_no>/tracking")
@actor_required
def aftersale_tracking(aftersale_no: str):
    aftersale = _own(aftersale_no)
    form = TrackingForm()
    if not form.validate():
        return _detail(aftersale, 422, tracking_form=form)
    try:
        enter_return_tracking(aftersale, g.actor, form.carrier.data, form.tracking_no.data)
    except InvalidInput as refused:
        discard_work()
        form.tracking_no.errors = [render_message(refused.msg)]
        return _detail(_own(aftersale_no), 422, tracking_form=form)
    return _done(aftersale, _("已提交退货单号，等待商家收货"))


@bp.post("/aftersales/<string(maxlength=32):aftersale_no>/cancel")
@actor_required
def aftersale_cancel(aftersale_no: str):
    aftersale = _own(aftersale_no)
    form = CancelForm()
    if not form.validate():
        return _detail(aftersale, 422, cancel_form=form)
    cancel_by_buyer(aftersale, g.actor)
    return _done(aftersale, _("售后申请已撤销"))


@bp.get("/aftersales/<string(maxlength=32):aftersale_no>/photos/<int:n>")
@actor_required
def aftersale_photo(aftersale_no: str, n: int):
    """The n-th photo of the request, counted from 1; ?size=thumb for its thumbnail."""
    key = photo_key(_own(aftersale_no), n - 1, thumb=request.args.get("size") == "thumb")
    if key is None:
        abort(404)
    return send_stored(key, mimetype="image/jpeg", max_age=PHOTO_SECONDS)
