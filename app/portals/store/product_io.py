"""库存 and Excel: the store's stock list, one SKU's adjustment with its movements, and its
products to and from Excel (app/catalog/stock.py and app/catalog/excel.py own the rules)."""

from __future__ import annotations

from flask import Response, abort, g, request, url_for
from flask_babel import gettext as _
from werkzeug.datastructures import FileStorage

from app.catalog.excel import (
    COLUMNS,
    MAX_IMPORT_ROWS,
    XLSX_TYPE,
    import_products,
    read_upload,
    write_products_xlsx,
    write_template,
)
from app.catalog.stock import (
    adjust_stock,
    move_stock,
    reason_code,
    sku_for,
    stock_history,
    store_skus,
)
from app.errors import DomainError, InvalidInput
from app.portals.store.products import image_url
from app.portals.store.views import bp
from app.stores.export import file_chunks, remove_file
from app.stores.services import store_of
from app.web.db_connections import reads_in_a_transaction
from app.web.i18n import translate
from app.web.order_view import render_message
from app.web.paging import paginate
from app.web.rendering import render_page_or_block, see_other

from .product_io_forms import ADD, SET, ImportForm, StockAdjustForm, StockFilterForm

__all__ = ["bp"]

STOCK_PER_PAGE = 50


def _thumb_url(product) -> str | None:
    """The cover's thumbnail, served by the product pages' own picture route."""
    return image_url(product, 0, thumb=True)


def _movement_reason(movement) -> str:
    code = reason_code(movement)
    return render_message({"code": code}) if code else movement.reason


# ---- stock ------------------------------------------------------------------------------------


@bp.get("/stock")
def stock():
    store = store_of(g.actor)
    form = StockFilterForm(request.args)
    valid = form.validate()
    threshold = form.limit()
    query = store_skus(store.id, form.keyword(), threshold if form.low.data else None)
    return render_page_or_block(
        "store/stock.html",
        "stock_table",
        status=200 if valid else 422,
        form=form,
        page=paginate(query, STOCK_PER_PAGE),
        threshold=threshold,
        thumb_url=_thumb_url,
    )


def _adjust_page(sku, form: StockAdjustForm, status: int = 200, error: str = ""):
    return render_page_or_block(
        "store/stock_adjust.html",
        "adjust_form",
        status=status,
        sku=sku,
        product=sku.product,
        form=form,
        error=error,
        history=stock_history(sku),
        movement_reason=_movement_reason,
        thumb_url=_thumb_url,
    )


@bp.route("/stock/<int:sku_id>", methods=["GET", "POST"])
def stock_adjust(sku_id: int):
    sku = sku_for(g.actor, sku_id) or abort(404)
    form = StockAdjustForm()
    if not form.is_submitted():
        form.before.data = str(sku.stock)
    if not form.validate_on_submit():
        return _adjust_page(sku, form, 422 if form.is_submitted() else 200)
    amount, seen = form.amount.data, form.seen_stock()
    try:
        if form.mode.data == SET:
            movement = move_stock(sku, amount, form.reason.data, g.actor, before=seen)
        else:
            delta = amount if form.mode.data == ADD else -amount
            movement = adjust_stock(sku, delta, form.reason.data, g.actor, before=seen)
    except DomainError as error:  # a lost race re-read the stock: show it, ask again
        form.before.data = str(sku.stock)
        return _adjust_page(sku, form, error.status_code, error=render_message(error.msg))
    message = _("库存已更新：%(before)s → %(after)s", before=movement.before, after=movement.after)
    return see_other(url_for("store.stock_adjust", sku_id=sku.id), message)


# ---- Excel ------------------------------------------------------------------------------------


def _send_xlsx(path: str, filename: str) -> Response:
    response = Response(file_chunks(path), mimetype=XLSX_TYPE)
    response.call_on_close(lambda: remove_file(path))
    response.headers["Content-Disposition"] = f"attachment; filename={filename}"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/products/export.xlsx")
@reads_in_a_transaction
def products_export():
    """Every product of the store, one row per SKU, streamed from a write-only workbook."""
    store = store_of(g.actor)
    return _send_xlsx(write_products_xlsx(store.id, translate), "products.xlsx")


@bp.get("/products/import-template.xlsx")
def products_import_template():
    store_of(g.actor)
    return _send_xlsx(write_template(translate), "products-template.xlsx")


def _import_page(form: ImportForm, status: int = 200, **context):
    context.setdefault("report", None)
    context.setdefault("file_error", "")
    context.setdefault("done", "")
    return render_page_or_block(
        "store/product_import.html",
        "import_form",
        status=status,
        form=form,
        columns=COLUMNS,
        max_rows=MAX_IMPORT_ROWS,
        render_message=render_message,
        **context,
    )


@bp.route("/products/import", methods=["GET", "POST"])
def products_import():
    store = store_of(g.actor)
    form = ImportForm()
    if not form.validate_on_submit():
        return _import_page(form, 422 if form.is_submitted() else 200)
    upload = form.file.data
    if not isinstance(upload, FileStorage) or not upload.filename:
        form.file.errors = [_("请选择要导入的 Excel 文件")]
        return _import_page(form, 422)
    try:
        report = import_products(
            store.id, g.actor, read_upload(upload.stream), form.only_valid.data, translate
        )
    except InvalidInput as error:  # not a workbook, too big, missing columns: nothing written
        return _import_page(form, 422, file_error=render_message(error.msg))
    if not report.imported:
        return _import_page(form, 422, report=report)
    done = _(
        "导入完成：新增商品 %(new)s 个、更新商品 %(updated)s 个，新增规格 %(new_skus)s 个、更新规格 %(updated_skus)s 个",
        new=report.created_products,
        updated=report.updated_products,
        new_skus=report.created_skus,
        updated_skus=report.updated_skus,
    )
    if report.errors:  # the good rows are in; the page lists the rows left out
        return _import_page(ImportForm(formdata=None), report=report, done=done)
    return see_other(url_for("store.products_import"), done)
