"""Stores' products as the platform sees them (商品管理): the review queue and list with tabs and
filters, one product read-only with its trail, and what the platform may do with it: approve,
reject, list, unlist, pin, delete. The platform never edits a store's product."""

from __future__ import annotations

from flask import abort, g, request, url_for
from flask_babel import gettext as _

from app.catalog import deadlines as _catalog_deadlines  # noqa: F401  (registers 定时上架)
from app.catalog.audit import (
    AUDITORS,
    DELETERS,
    EVENT_LABELS,
    LIST_TABS,
    TAB_LABELS,
    approve_product,
    awaits_review,
    delete_product,
    filter_choices,
    level_names,
    pending_change_rows,
    pin,
    platform_list,
    platform_unlist,
    price_range,
    product_events,
    product_for,
    product_search,
    product_tab_counts,
    reject_product,
    scheduled_at,
    unpin,
)
from app.catalog.models import (
    AUDIT_STATUS_LABELS,
    LISTING_CHOICE_LABELS,
    AuditStatus,
    Product,
)
from app.extensions import db
from app.portals.platform.views import bp
from app.stores.models import Store
from app.web.paging import paginate
from app.web.rendering import render_page_or_block, see_other

from .product_forms import (
    DeleteProductForm,
    ProductActionForm,
    ProductFilterForm,
    RejectProductForm,
    UnlistProductForm,
)

__all__ = ["bp"]

PRODUCTS_PER_PAGE = 30
AUDIT_BADGES = {  # reuse the order badges' colours
    AuditStatus.PENDING: "pending_confirm",
    AuditStatus.APPROVED: "completed",
    AuditStatus.REJECTED: "cancelled",
}


# ---- the list ------------------------------------------------------------------------------


@bp.get("/products")
def products():
    form = ProductFilterForm(request.args)
    valid = form.validate()
    filter = form.to_filter()
    page = paginate(product_search(g.actor, filter), per_page=PRODUCTS_PER_PAGE, as_rows=True)
    stores, categories = filter_choices()
    return render_page_or_block(
        "platform/products.html",
        "products_table",
        status=200 if valid else 422,
        form=form,
        filter=filter,
        page=page,
        counts=product_tab_counts(g.actor, filter),
        tabs=[(tab, TAB_LABELS[tab]) for tab in LIST_TABS],
        stores=stores,
        categories=categories,
        audit_labels=AUDIT_STATUS_LABELS,
        badges=AUDIT_BADGES,
        price_range=price_range,
        awaits_review=awaits_review,
    )


# ---- one product ---------------------------------------------------------------------------


def _product_or_404(product_id: int) -> Product:
    product = product_for(g.actor, product_id)
    if product is None:
        abort(404)
    return product


def _product_page(product: Product, notice: str = "", **forms) -> dict:
    """Everything the product page shows, with what this person may do to it."""
    live = product.deleted_at is None
    staff = g.actor.role in AUDITORS
    return dict(
        product=product,
        store=db.session.get(Store, product.store_id),
        notice=notice,
        changes=pending_change_rows(product),
        events=product_events(product),
        event_labels=EVENT_LABELS,
        levels=level_names(),
        audit_labels=AUDIT_STATUS_LABELS,
        listing_labels=LISTING_CHOICE_LABELS,
        badges=AUDIT_BADGES,
        price_range=price_range(product),
        scheduled_at=scheduled_at(product),
        in_review=awaits_review(product),
        first_submission=product.audit_status == AuditStatus.PENDING
        and not product.pending_changes,
        may={
            "review": live and staff and awaits_review(product),
            "list": live
            and staff
            and not product.listed
            and product.audit_status == AuditStatus.APPROVED,
            "unlist": live and staff and (product.listed or scheduled_at(product) is not None),
            "pin": live and staff and product.pinned_at is None,
            "unpin": live and staff and product.pinned_at is not None,
            "delete": live and g.actor.role in DELETERS,
        },
        reject_form=forms.get("reject_form") or RejectProductForm(formdata=None),
        unlist_form=forms.get("unlist_form") or UnlistProductForm(formdata=None),
        delete_form=forms.get("delete_form") or DeleteProductForm(formdata=None),
    )


def _detail(product: Product, status: int = 200, notice: str = "", **forms):
    return render_page_or_block(
        "platform/product.html",
        "product_detail",
        status=status,
        **_product_page(product, notice, **forms),
    )


def _done(product: Product, message: str):
    """After an action: the fresh detail block for HTMX, else 303 to the product's page."""
    if request.htmx:
        return _detail(product, notice=message)
    return see_other(url_for(".product", product_id=product.id), message)


@bp.get("/products/<int:product_id>")
def product(product_id: int):
    return _detail(_product_or_404(product_id))


@bp.post("/products/<int:product_id>/approve")
def product_approve(product_id: int):
    product = _product_or_404(product_id)
    if not ProductActionForm().validate_on_submit():
        return _detail(product, 422)
    approve_product(product, g.actor)
    return _done(product, _("已审核通过"))


@bp.post("/products/<int:product_id>/reject")
def product_reject(product_id: int):
    product = _product_or_404(product_id)
    form = RejectProductForm()
    if not form.validate_on_submit():
        return _detail(product, 422, reject_form=form)
    reject_product(product, form.reason.data, g.actor)
    return _done(product, _("已拒绝，商家会看到拒绝原因"))


@bp.post("/products/<int:product_id>/list")
def product_list(product_id: int):
    product = _product_or_404(product_id)
    if not ProductActionForm().validate_on_submit():
        return _detail(product, 422)
    platform_list(product, g.actor)
    return _done(product, _("商品已上架"))


@bp.post("/products/<int:product_id>/unlist")
def product_unlist(product_id: int):
    product = _product_or_404(product_id)
    form = UnlistProductForm()
    if not form.validate_on_submit():
        return _detail(product, 422, unlist_form=form)
    platform_unlist(product, form.reason.data, g.actor)
    return _done(product, _("商品已下架"))


@bp.post("/products/<int:product_id>/pin")
def product_pin(product_id: int):
    product = _product_or_404(product_id)
    if not ProductActionForm().validate_on_submit():
        return _detail(product, 422)
    pin(product, g.actor)
    return _done(product, _("商品已置顶"))


@bp.post("/products/<int:product_id>/unpin")
def product_unpin(product_id: int):
    product = _product_or_404(product_id)
    if not ProductActionForm().validate_on_submit():
        return _detail(product, 422)
    unpin(product, g.actor)
    return _done(product, _("已取消置顶"))


@bp.post("/products/<int:product_id>/delete")
def product_delete(product_id: int):
    product = _product_or_404(product_id)
    form = DeleteProductForm()
    if not form.validate_on_submit():
        return _detail(product, 422, delete_form=form)
    delete_product(product, form.reason.data, g.actor)
    return see_other(url_for(".products"), _("商品「%(name)s」已删除", name=product.name))
