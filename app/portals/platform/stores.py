"""Platform store management (desktop): list, search, export, a store's page with its status,
rating and deletion, and a read-only look at its back office."""

from __future__ import annotations

from flask import Response, abort, g, request, stream_with_context, url_for
from flask_babel import gettext as _

from app.accounts.models import User
from app.catalog.services import products_of
from app.errors import DomainError, Forbidden
from app.extensions import db
from app.ordering.search import OrderFilter
from app.ordering.states import ORDER_MACHINE
from app.portals.platform.views import bp
from app.stores.delivery_settings import delivery_rules_of, km_text
from app.stores.export import csv_lines, file_chunks, remove_file, store_search, write_xlsx
from app.stores.models import (
    BUSINESS_STATUS_LABELS,
    KIND_LABELS,
    BusinessStatus,
    Store,
    StoreKind,
)
from app.stores.profile import (
    DELETERS,
    RATING_SETTERS,
    STATUS_SETTERS,
    delete_store,
    set_business_status,
    set_rating,
    stars_label,
    store_image_url,
    store_timeline,
    unfinished_orders,
)
from app.web.db_connections import reads_in_a_transaction
from app.web.i18n import translate
from app.web.order_list import order_list
from app.web.order_view import render_message
from app.web.paging import paginate
from app.web.rendering import render_page_or_block, see_other

from .store_forms import (
    STARS,
    STATUS_FILTERS,
    DeleteStoreForm,
    StoreFilterForm,
    StoreRatingForm,
    StoreStatusForm,
)

__all__ = ["bp"]

STORES_PER_PAGE = 50
BACKOFFICE_ORDERS_PER_PAGE = 20
# The badge each status wears (classes of app.css); a deleted store wears "closed".
STATUS_BADGES = {
    BusinessStatus.OPEN: "completed",
    BusinessStatus.RESTING: "pending_confirm",
    BusinessStatus.CLOSED_TODAY: "shipped",
    BusinessStatus.SHUT: "closed",
}
EXPORT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


# ---- the list and its exports ---------------------------------------------------------------


@bp.get("/stores")
def stores():
    form = StoreFilterForm(request.args)
    valid = form.validate()
    page = paginate(store_search(form.to_filter()), STORES_PER_PAGE, as_rows=True)
    return render_page_or_block(
        "platform/stores.html",
        "stores_table",
        status=200 if valid else 422,
        form=form,
        page=page,
        kinds=KIND_LABELS,
        statuses=STATUS_FILTERS,
        badges=STATUS_BADGES,
        stars=stars_label,
    )


@bp.get("/stores/export.<any(csv, xlsx):fmt>")
@reads_in_a_transaction
def stores_export(fmt: str):
    """The filtered list as a file, streamed: 10,000 stores cost no more memory than 100."""
    form = StoreFilterForm(request.args)
    form.validate()
    found = form.to_filter()
    filename = f"stores.{fmt}"
    if fmt == "csv":
        body = stream_with_context(csv_lines(found, translate))
        response = Response(body, mimetype=EXPORT_TYPES[fmt])
    else:
        path = write_xlsx(found, translate)
        response = Response(file_chunks(path), mimetype=EXPORT_TYPES[fmt])
        response.call_on_close(lambda: remove_file(path))
    response.headers["Content-Disposition"] = f"attachment; filename={filename}"
    response.headers["Cache-Control"] = "private, no-store"
    return response


# ---- one store ------------------------------------------------------------------------------


def _store_or_404(store_id: int) -> Store:
    store = db.session.get(Store, store_id)
    if store is None:
        abort(404)
    return store


def _store_page(store: Store, notice: str = "", errors: dict | None = None, **forms) -> dict:
    """Everything the store page shows, with what this person may change."""
    role, live = g.actor.role, store.deleted_at is None
    status_form = forms.get("status_form") or StoreStatusForm(
        formdata=None, status=store.business_status
    )
    rating_form = forms.get("rating_form") or StoreRatingForm(formdata=None, stars=store.rating)
    return dict(
        store=store,
        owner=db.session.get(User, store.owner_id) if store.owner_id else None,
        notice=notice,
        errors=errors or {},
        kinds=KIND_LABELS,
        statuses=BUSINESS_STATUS_LABELS,
        badges=STATUS_BADGES,
        stars=stars_label,
        star_choices=STARS,
        image_url=store_image_url,
        timeline=store_timeline(store),
        # 同城配送规则, read only (the store sets them on its 店铺设置)
        delivery=delivery_rules_of(store) if store.kind == StoreKind.SAME_CITY else None,
        km=km_text,
        unfinished=unfinished_orders(store),
        confirm_delete=request.args.get("delete") == "1",
        may={
            "status": live and role in STATUS_SETTERS,
            "rating": live and role in RATING_SETTERS,
            "delete": live and role in DELETERS,
        },
        status_form=status_form,
        rating_form=rating_form,
        delete_form=DeleteStoreForm(formdata=None),
    )


def _done(store: Store, message: str):
    """After a change: the fresh page block for HTMX, else 303 to the store's page."""
    if request.htmx:
        return render_page_or_block(
            "platform/store.html", "store_detail", **_store_page(store, message)
        )
    return see_other(url_for(".store", store_id=store.id), message)


def _refused(store: Store, where: str, error: DomainError, **forms):
    """A refusal shown next to the form it answers (a 403 is the error layer's)."""
    if isinstance(error, Forbidden):
        raise error
    errors = {where: render_message(error.msg)}
    return render_page_or_block(
        "platform/store.html",
        "store_detail",
        status=error.status_code,
        **_store_page(store, errors=errors, **forms),
    )


@bp.get("/stores/<int:store_id>")
def store(store_id: int):
    return render_page_or_block(
        "platform/store.html", "store_detail", **_store_page(_store_or_404(store_id))
    )


@bp.post("/stores/<int:store_id>/status")
def store_status(store_id: int):
    store = _store_or_404(store_id)
    form = StoreStatusForm()
    if not form.validate_on_submit():
        return _refused_form(store, status_form=form)
    try:
        set_business_status(store, form.status.data, form.reason.data, g.actor, form.shown.data)
    except DomainError as error:
        return _refused(store, "status", error, status_form=form)
    label = translate(BUSINESS_STATUS_LABELS[BusinessStatus(store.business_status)])
    return _done(store, _("营业状态已改为「%(status)s」", status=label))


@bp.post("/stores/<int:store_id>/rating")
def store_rating(store_id: int):
    store = _store_or_404(store_id)
    form = StoreRatingForm()
    if not form.validate_on_submit():
        return _refused_form(store, rating_form=form)
    try:
        set_rating(store, form.stars.data, form.reason.data, g.actor, form.shown.data)
    except DomainError as error:
        return _refused(store, "rating", error, rating_form=form)
    return _done(store, _("星级已改为 %(stars)s 星", stars=store.rating))


def _refused_form(store: Store, **forms):
    return render_page_or_block(
        "platform/store.html", "store_detail", status=422, **_store_page(store, **forms)
    )


@bp.post("/stores/<int:store_id>/delete")
def store_delete(store_id: int):
    store = _store_or_404(store_id)
    if not DeleteStoreForm().validate_on_submit():
        return _refused_form(store)
    try:
        delete_store(store, g.actor)
    except DomainError as error:
        return _refused(store, "delete", error)
    return see_other(url_for(".stores"), _("店铺「%(name)s」已删除", name=store.name))


# ---- the store's back office, read only -----------------------------------------------------


@bp.get("/stores/<int:store_id>/backoffice")
def store_backoffice(store_id: int):
    """The store's orders and products as its back office lists them, with nothing to press."""
    store = _store_or_404(store_id)
    view = request.args.get("view", "orders")
    if view not in ("orders", "products"):
        view = "orders"
    status = request.args.get("status", "")
    if status not in ORDER_MACHINE.labels:
        status = ""
    page = products = None
    if view == "orders":
        where = OrderFilter(store_id=store.id, status=status or None)
        page = order_list(g.actor, where, BACKOFFICE_ORDERS_PER_PAGE, items=True)
    else:
        products = products_of(store)
    return render_page_or_block(
        "platform/store_backoffice.html",
        "backoffice",
        store=store,
        view=view,
        shown_status=status,
        statuses=ORDER_MACHINE.labels,
        page=page,
        products=products,
    )
