"""商品: the store's product list, the product editor, listing and unlisting."""

from __future__ import annotations

from flask import abort, g, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.catalog.editor import (
    MAX_IMAGES,
    ProductFieldError,
    ProductFilter,
    build_matrix,
    category_choices,
    category_label,
    category_params,
    is_wholesale,
    leaf_categories,
    list_product,
    matching_sku,
    may_list,
    member_levels,
    price_range,
    product_image_key,
    product_of,
    save_product,
    spec_library,
    store_products_query,
    total_stock,
    unit_names,
    unlist_product,
)
from app.catalog.library import product_audit_on
from app.catalog.models import (
    AUDIT_STATUS_LABELS,
    AuditStatus,
    Brand,
    Product,
    Sku,
    Tag,
)
from app.errors import InvalidInput
from app.extensions import db
from app.portals.store.views import bp
from app.storage import send_stored
from app.web.order_view import render_message
from app.web.paging import paginate
from app.web.rendering import render_page_or_block, see_other

from .product_forms import (
    ACTION_MATRIX,
    ACTION_REFRESH,
    ProductForm,
    optional_id,
    posted_params,
    posted_spec_values,
    product_input,
    saved_rows,
    typed_rows,
)

__all__ = ["bp"]

PRODUCTS_PER_PAGE = 20
PRODUCT_IMAGE_SECONDS = 86_400  # the URL names the file (`v`): a new picture is a new URL


# ---- the list ---------------------------------------------------------------------------------


def _filters() -> ProductFilter:
    args = request.args
    return ProductFilter(
        audit=args.get("audit", "") if args.get("audit") in set(AuditStatus) else "",
        listed=args.get("listed", "") if args.get("listed") in ("yes", "no") else "",
        category_id=optional_id(args.get("category")),
        q=args.get("q", "").strip()[:50],
    )


def image_url(product: Product, n: int = 0, thumb: bool = False) -> str | None:
    """The n-th picture (from 0) of the store's own product, or None."""
    key = product_image_key(product, n)
    if key is None:
        return None
    version = key.rsplit("/", 1)[-1].removesuffix(".jpg")[:12]
    return url_for(
        "store.product_image",
        product_id=product.id,
        n=n + 1,
        size="thumb" if thumb else None,
        v=version,
    )


@bp.get("/products")
def products():
    filters = _filters()
    query = store_products_query(g.actor, filters).options(
        selectinload(Product.skus), selectinload(Product.category)
    )
    page = paginate(query, PRODUCTS_PER_PAGE)
    args = {
        "audit": filters.audit or None,
        "listed": filters.listed or None,
        "category": filters.category_id,
        "q": filters.q or None,
    }
    return render_page_or_block(
        "store/products.html",
        "table",
        page=page,
        filters=filters,
        args={k: v for k, v in args.items() if v},
        categories=category_choices(),
        audit_labels=AUDIT_STATUS_LABELS,
        audited=product_audit_on(),
        may_list=may_list,
        category_label=category_label,
        price_range=price_range,
        total_stock=total_stock,
        image_url=image_url,
    )


@bp.get("/products/<int:product_id>/images/<int:n>")
def product_image(product_id: int, n: int):
    """The n-th picture of the store's own product, counted from 1; ?size=thumb for its
    thumbnail."""
    product = product_of(g.actor, product_id) or abort(404)
    key = product_image_key(product, n - 1, thumb=request.args.get("size") == "thumb")
    if key is None:
        abort(404)
    return send_stored(key, mimetype="image/jpeg", max_age=PRODUCT_IMAGE_SECONDS)


# ---- the editor -------------------------------------------------------------------------------


def _rows(product: Product | None, spec_ids: list[int], posted: bool):
    """The SKU table: one row per combination, with the values to show in it."""
    matrix = build_matrix(spec_ids, product)
    _, saved = saved_rows(product)
    typed = typed_rows(request.form) if posted else {}
    rows = []
    for row in matrix:
        sku: Sku | None = matching_sku(product, row)
        values = typed.get(row.key)
        if values is None:
            values = saved.get(f"sku#{sku.id}", {}) if sku is not None else {}
        rows.append({"row": row, "sku": sku, "values": values})
    return rows


def _editor(
    product: Product | None,
    form: ProductForm,
    status: int = 200,
    block: str = "product_form",
    errors: dict | None = None,
):
    posted = request.method == "POST"
    errors = dict(errors or {})
    audited = product_audit_on()
    form.set_choices(
        unit_names(),
        leaf_categories(),
        db.session.execute(select(Brand).order_by(Brand.sort, Brand.id)).scalars(),
        db.session.execute(select(Tag).order_by(Tag.sort, Tag.id)).scalars(),
        audited,
    )
    spec_ids = posted_spec_values(request.form) if posted else saved_rows(product)[0]
    try:
        rows = _rows(product, spec_ids, posted)
    except ProductFieldError as error:  # values not in the library: show the plain table
        errors.setdefault(error.field, render_message(error.msg))
        spec_ids = []
        rows = _rows(product, [], posted)
    params = category_params(form.category_id.data)
    if posted:
        sent = posted_params(request.form)
        param_values = {p.id: sent.get(p.id, "") for p in params}
    else:
        saved_params = product.params if product else {}
        param_values = {p.id: saved_params.get(p.name, "") for p in params}
    wholesale = is_wholesale(g.actor.store_id)
    return render_page_or_block(
        "store/product_form.html",
        block,
        status=status,
        product=product,
        form=form,
        errors=errors,
        audited=audited,
        specs=spec_library(),
        spec_ids=set(spec_ids),
        rows=rows,
        params=params,
        param_values=param_values,
        wholesale=wholesale,
        levels=member_levels() if wholesale else [],
        image_url=image_url,
        max_images=MAX_IMAGES,
        audit_labels=AUDIT_STATUS_LABELS,
    )


def _saved_message(product: Product) -> str:
    if product.pending_changes:
        return _("修改已提交审核：审核通过前，买家看到的仍是原标题和价格")
    if product.audit_status == AuditStatus.PENDING:
        return _("商品已提交审核")
    return _("商品已保存")


def _edit(product: Product | None):
    form = ProductForm.of(product)
    if request.method == "GET":
        return _editor(product, form)
    action = request.form.get("action")
    if action in (ACTION_MATRIX, ACTION_REFRESH):  # redraw only; nothing is saved
        block = "sku_matrix" if action == ACTION_MATRIX else "params"
        return _editor(product, form, block=block if request.htmx else "product_form")
    if not form.validate_on_submit():
        return _editor(product, form, 422)
    data = product_input(form, request.form, request.files.getlist("images"))
    try:
        saved = save_product(g.actor, product, data)
    except ProductFieldError as error:
        return _editor(product, form, 422, errors={error.field: render_message(error.msg)})
    return see_other(url_for("store.products"), _saved_message(saved))


@bp.route("/products/new", methods=["GET", "POST"])
def product_new():
    return _edit(None)


@bp.route("/products/<int:product_id>/edit", methods=["GET", "POST"])
def product_edit(product_id: int):
    return _edit(product_of(g.actor, product_id) or abort(404))


@bp.post("/products/<int:product_id>/list")
def list_for_sale(product_id: int):
    product = product_of(g.actor, product_id) or abort(404)
    back = request.referrer if _same_list(request.referrer) else url_for("store.products")
    try:
        list_product(g.actor, product)
    except InvalidInput as error:
        return see_other(back, render_message(error.msg), "error")
    return see_other(back, _("「%(name)s」已上架", name=product.name))


@bp.post("/products/<int:product_id>/unlist")
def unlist_from_sale(product_id: int):
    product = product_of(g.actor, product_id) or abort(404)
    back = request.referrer if _same_list(request.referrer) else url_for("store.products")
    unlist_product(g.actor, product)
    return see_other(back, _("「%(name)s」已下架", name=product.name))


def _same_list(url: str | None) -> bool:
    """Go back to the list page with its filters, only when that is where the button was."""
    base = request.host_url.rstrip("/") + url_for("store.products")
    return bool(url) and (url == base or url.startswith(base + "?"))
