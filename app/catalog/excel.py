"""A store's products with their SKUs to and from Excel: one row per SKU.

Export streams like app/stores/export.py (rows read `yield_per`, a write-only workbook on disk,
sent in chunks). Import reads the first sheet of an .xlsx in the same layout and checks every row
before anything is written; a file with errors imports nothing unless the store asks for the good
rows only. Rows with the same 货号 (or, without one, the same title) are one product:

- an existing product of the store with that 货号 (or, without 货号, the one product with that
  title and no 货号) is updated: its SKUs are matched by SKU编码, else by 规格; a row matching
  none adds a SKU; SKUs missing from the file stay as they are;
- otherwise a new product is created (pending audit, unlisted, when the platform audits products).

A blank 库存 leaves an existing SKU's stock alone (0 for a new SKU); a blank 零售价 or level price
means none. Every stock change is a movement ("Excel 导入") through the compare-and-set of
app/catalog/stock.py. Under product audit, title and price changes of a listed product wait in
`pending_changes` for the platform, like the editor's.
"""

from __future__ import annotations

import io
import os
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from openpyxl import Workbook, load_workbook
from sqlalchemy import select
from sqlalchemy.orm import contains_eager, selectinload

from app.accounts.actor import Actor
from app.accounts.models import MemberLevel, Role
from app.catalog.editor import LISTED, SUBMITTED, parse_pack_unit
from app.catalog.library import product_audit_on
from app.catalog.models import (
    AuditStatus,
    Brand,
    Category,
    Product,
    ProductEvent,
    Sku,
    SkuLevelPrice,
    Unit,
)
from app.catalog.search import product_search_line
from app.catalog.stock import MAX_STOCK, STOCK_IMPORTED, record_stock
from app.clock import utcnow
from app.errors import Forbidden, InvalidInput
from app.extensions import db
from app.i18n_markers import N_
from app.messages import Message, define
from app.money import format_fen, parse_yuan
from app.stores.export import FORMULA_STARTS, YIELD_PER
from app.web.bounds import MAX_QUANTITY

MAX_IMPORT_BYTES = 5 * 1024 * 1024
MAX_IMPORT_ROWS = 2_000
MAX_UNZIPPED_BYTES = 50 * 1024 * 1024  # a 5 MB zip that inflates beyond this is a zip bomb
MAX_COLUMNS = 64
MAX_PRICE_FEN = 99_999_999  # ￥999,999.99
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CATEGORY_SEPARATORS = ("／", ">", "＞")  # read as "/"

# (key, header) of the fixed columns, in file order; then one "价格-<level>" per member level
COLUMNS = (
    ("title", N_("商品标题")),
    ("item_no", N_("货号")),
    ("category", N_("类目")),
    ("brand", N_("品牌")),
    ("unit", N_("单位")),
    ("pack_unit", N_("包装单位")),
    ("min_order_qty", N_("起订量")),
    ("model", N_("型号")),
    ("specification", N_("规格说明")),
    ("spec", N_("规格")),
    ("code", N_("SKU编码")),
    ("price", N_("价格")),
    ("retail_price", N_("零售价")),
    ("stock", N_("库存")),
)
HEADERS = dict(COLUMNS)
LEVEL_PREFIX = N_("价格-")
REQUIRED_COLUMNS = ("title", "category", "price")
# the product's own fields: every row of one product must agree on them (blank agrees)
PRODUCT_FIELDS = (
    "category",
    "brand",
    "unit",
    "pack_unit",
    "min_order_qty",
    "model",
    "specification",
)
LENGTHS = {
    "title": 100,
    "item_no": 50,
    "unit": 20,
    "pack_unit": 20,
    "model": 50,
    "specification": 100,
    "spec": 100,
    "code": 50,
}

IMPORT_NOT_EXCEL = define(
    "import_not_excel", N_("无法读取该文件：请上传 Excel 工作簿（.xlsx），可先下载导入模板")
)
IMPORT_TOO_BIG = define("import_too_big", N_("文件不能超过 %(mb)s MB"))
IMPORT_TOO_MANY_ROWS = define(
    "import_too_many_rows", N_("一次最多导入 %(max)s 行，请拆分成几个文件分批导入")
)
IMPORT_EMPTY = define("import_empty", N_("文件里没有商品行"))
IMPORT_MISSING_COLUMN = define(
    "import_missing_column", N_("缺少「%(column)s」列，请使用导入模板"), labels=("column",)
)
IMPORT_UNKNOWN_LEVEL = define("import_unknown_level", N_("没有名为「%(level)s」的会员等级"))
IMPORT_OWN_STORE = define("import_own_store", N_("只能导入到自己的店铺"))
ROW_REQUIRED = define("import_cell_required", N_("必填"))
ROW_TOO_LONG = define("import_cell_too_long", N_("不能超过 %(max)s 个字"))
ROW_CATEGORY_UNKNOWN = define(
    "import_category_unknown",
    N_("没有类目「%(path)s」：请填写平台的三级类目，如「食品饮料/饮料/果汁」"),
)
ROW_BRAND_UNKNOWN = define("import_brand_unknown", N_("品牌库中没有「%(name)s」"))
ROW_UNIT_UNKNOWN = define("import_unit_unknown", N_("单位库中没有「%(name)s」"))
ROW_BAD_PRICE = define(
    "import_bad_price", N_("「%(value)s」不是有效金额：以元为单位，最多两位小数，不小于 0")
)
ROW_BAD_STOCK = define("import_bad_stock", N_("须为 0 到 %(max)s 的整数"))
ROW_BAD_MIN_ORDER = define("import_bad_min_order", N_("须为 1 到 %(max)s 的整数"))
ROW_DUPLICATE_SPEC = define("import_duplicate_spec", N_("与第 %(row)s 行是同一商品的同一规格"))
ROW_DUPLICATE_CODE = define("import_duplicate_code", N_("与第 %(row)s 行的 SKU编码 相同"))
ROW_DIFFERS = define("import_differs", N_("与第 %(row)s 行（同一商品）不一致"))
ROW_SAME_SKU = define("import_same_sku", N_("与第 %(row)s 行对应店铺里的同一个 SKU"))
ROW_DELETED_ITEM_NO = define(
    "import_deleted_item_no", N_("货号「%(item_no)s」属于已被平台删除的商品，请换一个货号")
)


# ---- export ---------------------------------------------------------------------------------


def _text(value: str) -> str:
    """A text cell that Excel never reads as a formula."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def _yuan(fen: int | None) -> str | None:
    return None if fen is None else format_fen(fen, symbol="").replace(",", "")


def _levels() -> list[MemberLevel]:
    return list(
        db.session.execute(select(MemberLevel).order_by(MemberLevel.rank, MemberLevel.id)).scalars()
    )


def _category_paths() -> dict[int, str]:
    """Every level-3 category as "一级/二级/三级" (the platform has a few hundred at most)."""
    categories = {c.id: c for c in db.session.execute(select(Category)).scalars()}
    paths = {}
    for category in categories.values():
        if category.level != 3:
            continue
        names, current = [], category
        while current is not None and len(names) < 3:
            names.append(current.name)
            current = categories.get(current.parent_id) if current.parent_id else None
        if len(names) == 3 and current is None:
            paths[category.id] = "/".join(reversed(names))
    return paths


def headers(levels: list[MemberLevel], translate: Callable[[str], str] = str) -> list[str]:
    return [translate(header) for _, header in COLUMNS] + [
        translate(LEVEL_PREFIX) + level.name for level in levels
    ]


def export_rows(store_id: int, translate: Callable[[str], str] = str) -> Iterator[list[Any]]:
    """The header, then each SKU of the store's products as one row, YIELD_PER at a time."""
    levels = _levels()
    paths = _category_paths()
    brands = dict(db.session.execute(select(Brand.id, Brand.name)).all())
    yield headers(levels, translate)
    query = (
        select(Sku)
        .join(Sku.product)
        .where(Product.store_id == store_id, Product.deleted_at.is_(None))
        .options(contains_eager(Sku.product), selectinload(Sku.level_prices))
        .order_by(Product.id, Sku.id)
        .execution_options(yield_per=YIELD_PER)
    )
    for sku in db.session.execute(query).scalars():
        product = sku.product
        level_prices = {lp.level_id: lp.price_fen for lp in sku.level_prices}
        yield [
            _text(product.name),
            _text(product.item_no),
            paths.get(product.category_id or 0, ""),
            _text(brands.get(product.brand_id or 0, "")),
            _text(product.unit),
            _text(product.pack_unit),
            product.min_order_qty,
            _text(product.model),
            _text(product.specification),
            _text(sku.spec),
            _text(sku.code),
            _yuan(sku.price_fen),
            _yuan(sku.retail_price_fen),
            sku.stock,
            *(_yuan(level_prices.get(level.id)) for level in levels),
        ]


def _save(workbook: Workbook, prefix: str) -> str:
    handle, path = tempfile.mkstemp(prefix=prefix, suffix=".xlsx")
    os.close(handle)
    try:
        workbook.save(path)
    except BaseException:
        os.unlink(path)
        raise
    return path


def write_products_xlsx(store_id: int, translate: Callable[[str], str] = str) -> str:
    """The store's products as an .xlsx file on disk (write-only workbook); the caller removes
    it (app.stores.export.file_chunks)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(translate(N_("商品")))
    for cells in export_rows(store_id, translate):
        sheet.append(cells)
    return _save(workbook, "products-")


TEMPLATE_NOTES = (
    N_(
        "每行一个 SKU（规格）；货号相同的行是同一个商品的多个规格，没有货号时按商品标题归为一个商品。"
    ),
    N_(
        "店铺里已有的货号：更新该商品，按 SKU编码（没有编码时按规格）找到对应的 SKU，找不到则新增规格。"
    ),
    N_("类目填写平台的三级类目，用 / 分隔，如：食品饮料/饮料/果汁；品牌、单位须是平台库中已有的。"),
    N_("价格、零售价、会员价以元为单位，最多两位小数；零售价、会员价可留空。"),
    N_("库存为整数；已有 SKU 的库存留空表示不修改。起订量留空为 1。"),
    N_("每个文件最多 2000 行、5 MB。"),
)


def write_template(translate: Callable[[str], str] = str) -> str:
    """An empty workbook in the import layout, with a sheet of notes."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(translate(N_("商品")))
    sheet.append(headers(_levels(), translate))
    notes = workbook.create_sheet(translate(N_("填写说明")))
    for note in TEMPLATE_NOTES:
        notes.append([translate(note)])
    return _save(workbook, "products-template-")


# ---- import: reading and checking -------------------------------------------------------------


@dataclass(frozen=True)
class RowError:
    row: int  # the Excel row number (the header is row 1)
    column: str  # the header msgid of the cell, or "" for the whole row
    message: Message


@dataclass
class ImportRow:
    number: int
    cells: dict[str, Any]  # checked values: see _check_row
    level_prices: dict[int, int | None] = field(default_factory=dict)


@dataclass
class ImportReport:
    rows: int = 0  # product rows read
    errors: list[RowError] = field(default_factory=list)
    imported: bool = False
    created_products: int = 0
    updated_products: int = 0
    created_skus: int = 0
    updated_skus: int = 0
    skipped_rows: int = 0

    @property
    def bad_rows(self) -> int:
        return len({error.row for error in self.errors})


def read_upload(stream: IO[bytes]) -> bytes:
    """The uploaded file's bytes, refused beyond MAX_IMPORT_BYTES without reading further."""
    data = stream.read(MAX_IMPORT_BYTES + 1)
    if len(data) > MAX_IMPORT_BYTES:
        raise InvalidInput(IMPORT_TOO_BIG(mb=MAX_IMPORT_BYTES // (1024 * 1024)))
    return data


def _open_sheet(data: bytes):
    """The first sheet of the workbook; anything that is not a readable .xlsx is refused."""
    if not data.startswith(b"PK\x03\x04"):
        raise InvalidInput(IMPORT_NOT_EXCEL())
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(info.file_size for info in archive.infolist()) > MAX_UNZIPPED_BYTES:
                raise InvalidInput(IMPORT_TOO_BIG(mb=MAX_IMPORT_BYTES // (1024 * 1024)))
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        return workbook, workbook.worksheets[0]
    except InvalidInput:
        raise
    except Exception:  # whatever the parser says about a broken file: it is not a workbook
        raise InvalidInput(IMPORT_NOT_EXCEL()) from None


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    if text.startswith("'") and text[1:2] in FORMULA_STARTS:
        text = text[1:]  # the quote our export puts before = + - @
    return text


def _fen(value: Any) -> int | None:
    """A price cell in yuan → fen; raises ValueError."""
    if isinstance(value, bool):
        raise ValueError(value)
    text = repr(value) if isinstance(value, float) and not value.is_integer() else _cell_text(value)
    fen = parse_yuan(text)
    if fen < 0 or fen > MAX_PRICE_FEN:
        raise ValueError(text)
    return fen


def _integer(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError(value)
    text = _cell_text(value)
    if not text.isdigit() or not text.isascii():
        raise ValueError(text)
    return int(text)


@dataclass
class _Library:
    categories: dict[tuple[str, ...], int]
    brands: dict[str, int]
    units: set[str]


def _library() -> _Library:
    paths = _category_paths()
    return _Library(
        categories={tuple(path.split("/")): category_id for category_id, path in paths.items()},
        brands={name: id_ for id_, name in db.session.execute(select(Brand.id, Brand.name))},
        units=set(db.session.execute(select(Unit.name)).scalars()),
    )


def _category_key(text: str) -> tuple[str, ...]:
    for separator in CATEGORY_SEPARATORS:
        text = text.replace(separator, "/")
    return tuple(part.strip() for part in text.split("/"))


def _check_row(
    number: int, raw: dict[str, Any], library: _Library
) -> tuple[ImportRow, list[RowError]]:
    errors: list[RowError] = []
    cells: dict[str, Any] = {}

    def fail(key: str, message: Message) -> None:
        errors.append(RowError(number, HEADERS[key], message))

    for key, max_length in LENGTHS.items():
        text = _cell_text(raw.get(key))
        cells[key] = text
        if len(text) > max_length:
            fail(key, ROW_TOO_LONG(max=max_length))
    if not cells["title"]:
        fail("title", ROW_REQUIRED())

    category = _cell_text(raw.get("category"))
    cells["category"] = None
    if not category:
        fail("category", ROW_REQUIRED())
    elif _category_key(category) not in library.categories:
        fail("category", ROW_CATEGORY_UNKNOWN(path=category[:100]))
    else:
        cells["category"] = library.categories[_category_key(category)]

    brand = _cell_text(raw.get("brand"))
    cells["brand"] = library.brands.get(brand) if brand else None
    if brand and cells["brand"] is None:
        fail("brand", ROW_BRAND_UNKNOWN(name=brand[:50]))
    if cells["unit"] and cells["unit"] not in library.units:
        fail("unit", ROW_UNIT_UNKNOWN(name=cells["unit"][:20]))

    pack_size = 1
    if cells["pack_unit"] and len(cells["pack_unit"]) <= LENGTHS["pack_unit"]:
        try:
            cells["pack_unit"], pack_size = parse_pack_unit(cells["pack_unit"])
        except InvalidInput as error:  # the editor's rule: "12瓶/箱"
            fail("pack_unit", error.msg)
    cells["pack_size"] = pack_size
    cells["min_order_qty"] = None  # blank: the pack size (1 without a pack unit)
    if _cell_text(raw.get("min_order_qty")):
        try:
            cells["min_order_qty"] = _integer(raw["min_order_qty"])
            if not 1 <= cells["min_order_qty"] <= MAX_QUANTITY:
                raise ValueError
        except ValueError:
            fail("min_order_qty", ROW_BAD_MIN_ORDER(max=MAX_QUANTITY))

    cells["stock"] = None
    if _cell_text(raw.get("stock")):
        try:
            cells["stock"] = _integer(raw["stock"])
            if cells["stock"] > MAX_STOCK:
                raise ValueError
        except ValueError:
            fail("stock", ROW_BAD_STOCK(max=MAX_STOCK))

    for key in ("price", "retail_price"):
        cells[key] = None
        if not _cell_text(raw.get(key)):
            if key == "price":
                fail(key, ROW_REQUIRED())
            continue
        try:
            cells[key] = _fen(raw[key])
        except ValueError:
            fail(key, ROW_BAD_PRICE(value=_cell_text(raw[key])[:30]))

    row = ImportRow(number, cells)
    for level_id, (header, value) in raw.get("levels", {}).items():
        if not _cell_text(value):
            row.level_prices[level_id] = None
            continue
        try:
            row.level_prices[level_id] = _fen(value)
        except ValueError:
            errors.append(RowError(number, header, ROW_BAD_PRICE(value=_cell_text(value)[:30])))
    return row, errors


def _header_map(
    header_cells, translate: Callable[[str], str]
) -> tuple[dict[str, int], dict[int, tuple[str, int]]]:
    """Where each column is: fixed columns by key, level columns by level id."""
    names = {}
    for key, header in COLUMNS:
        names[header] = key
        names[translate(header)] = key
    prefixes = {LEVEL_PREFIX, translate(LEVEL_PREFIX)}
    levels = {level.name: level.id for level in _levels()}
    fixed: dict[str, int] = {}
    level_columns: dict[int, tuple[str, int]] = {}
    for index, value in enumerate(header_cells):
        text = _cell_text(value)
        if not text:
            continue
        if text in names:
            fixed.setdefault(names[text], index)
            continue
        prefix = next((p for p in prefixes if text.startswith(p)), None)
        if prefix is None:
            continue  # a column of the store's own: ignored
        name = text[len(prefix) :].strip()
        if name not in levels:
            raise InvalidInput(IMPORT_UNKNOWN_LEVEL(level=name[:20]))
        level_columns[levels[name]] = (text, index)
    for key in REQUIRED_COLUMNS:
        if key not in fixed:
            raise InvalidInput(IMPORT_MISSING_COLUMN(column=HEADERS[key]))
    return fixed, level_columns


def read_rows(
    data: bytes, translate: Callable[[str], str] = str
) -> tuple[list[ImportRow], list[RowError], set[str]]:
    """Every product row of the file, checked cell by cell; the columns the file has."""
    workbook, sheet = _open_sheet(data)
    try:
        lines = sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS)
        header = next(lines, None)
        if header is None:
            raise InvalidInput(IMPORT_EMPTY())
        fixed, level_columns = _header_map(header, translate)
        library = _library()
        rows: list[ImportRow] = []
        errors: list[RowError] = []
        for number, values in enumerate(lines, start=2):
            if number > 2 * MAX_IMPORT_ROWS:  # empty lines count too: no endless sheet
                raise InvalidInput(IMPORT_TOO_MANY_ROWS(max=MAX_IMPORT_ROWS))
            if not any(_cell_text(v) for v in values):
                continue
            if len(rows) >= MAX_IMPORT_ROWS:
                raise InvalidInput(IMPORT_TOO_MANY_ROWS(max=MAX_IMPORT_ROWS))
            raw: dict[str, Any] = {
                key: values[index] if index < len(values) else None for key, index in fixed.items()
            }
            raw["levels"] = {
                level_id: (header_text, values[index] if index < len(values) else None)
                for level_id, (header_text, index) in level_columns.items()
            }
            row, row_errors = _check_row(number, raw, library)
            rows.append(row)
            errors.extend(row_errors)
    finally:
        workbook.close()
    if not rows:
        raise InvalidInput(IMPORT_EMPTY())
    return rows, errors, set(fixed)


def _group_key(row: ImportRow) -> tuple[str, str]:
    item_no = row.cells["item_no"]
    return ("item_no", item_no) if item_no else ("title", row.cells["title"])


def _check_groups(
    rows: list[ImportRow], bad: set[int]
) -> tuple[dict[tuple[str, str], list[ImportRow]], list[RowError]]:
    """The good rows by product; rows that contradict their product's first row are errors."""
    groups: dict[tuple[str, str], list[ImportRow]] = {}
    errors: list[RowError] = []
    for row in rows:
        if row.number in bad:
            continue
        group = groups.setdefault(_group_key(row), [])
        problem = None
        for earlier in group:
            for key in ("title", *PRODUCT_FIELDS):
                if (
                    row.cells[key] != earlier.cells[key]
                    and row.cells[key] not in ("", None)
                    and earlier.cells[key] not in ("", None)
                ):
                    problem = RowError(row.number, HEADERS[key], ROW_DIFFERS(row=earlier.number))
                    break
            if problem is None and row.cells["spec"] == earlier.cells["spec"]:
                problem = RowError(
                    row.number, HEADERS["spec"], ROW_DUPLICATE_SPEC(row=earlier.number)
                )
            if problem is None and row.cells["code"] and row.cells["code"] == earlier.cells["code"]:
                problem = RowError(
                    row.number, HEADERS["code"], ROW_DUPLICATE_CODE(row=earlier.number)
                )
            if problem is not None:
                break
        if problem is None:
            group.append(row)
        else:
            errors.append(problem)
    return {key: group for key, group in groups.items() if group}, errors


@dataclass
class _Plan:
    product: Product | None
    rows: list[tuple[ImportRow, Sku | None]]


def _existing_products(store_id: int) -> tuple[dict[str, Product], dict[str, list[Product]]]:
    products = db.session.execute(
        select(Product)
        .where(Product.store_id == store_id)
        .options(selectinload(Product.skus).selectinload(Sku.level_prices))
    ).scalars()
    by_item_no: dict[str, Product] = {}
    by_title: dict[str, list[Product]] = {}
    for product in products:
        if product.item_no:
            by_item_no[product.item_no] = product
        elif product.deleted_at is None:
            by_title.setdefault(product.name, []).append(product)
    return by_item_no, by_title


def _plan(
    store_id: int, groups: dict[tuple[str, str], list[ImportRow]]
) -> tuple[list[_Plan], list[RowError]]:
    """Which existing product and SKU each group and row updates (None: a new one)."""
    by_item_no, by_title = _existing_products(store_id)
    plans: list[_Plan] = []
    errors: list[RowError] = []
    for (kind, key), rows in groups.items():
        if kind == "item_no":
            product = by_item_no.get(key)
            if product is not None and product.deleted_at is not None:
                errors.extend(
                    RowError(row.number, HEADERS["item_no"], ROW_DELETED_ITEM_NO(item_no=key))
                    for row in rows
                )
                continue
        else:
            same_title = by_title.get(key, [])
            product = same_title[0] if len(same_title) == 1 else None
        plan = _Plan(product, [])
        taken: dict[int, int] = {}  # existing SKU id → the row that updates it
        for row in rows:
            sku = None
            if product is not None:
                code, spec = row.cells["code"], row.cells["spec"]
                sku = next((s for s in product.skus if code and s.code == code), None) or next(
                    (s for s in product.skus if s.spec == spec), None
                )
            if sku is not None and sku.id in taken:
                errors.append(RowError(row.number, "", ROW_SAME_SKU(row=taken[sku.id])))
                continue
            if sku is not None:
                taken[sku.id] = row.number
            plan.rows.append((row, sku))
        if plan.rows:
            plans.append(plan)
    return plans, errors


# ---- import: writing --------------------------------------------------------------------------


def search_text_of(product: Product) -> str:
    """Title, 货号, brand and category names, lower-cased (the editor's line, from ids: the
    relationships of a product just changed here may not be loaded)."""
    brand = db.session.get(Brand, product.brand_id) if product.brand_id else None
    names: list[str] = []
    category = db.session.get(Category, product.category_id) if product.category_id else None
    while category is not None and len(names) < 3:
        names.insert(0, category.name)
        category = db.session.get(Category, category.parent_id) if category.parent_id else None
    return product_search_line(product, brand.name if brand else "", names)


def _set_level_prices(sku: Sku, prices: dict[int, int | None]) -> None:
    current = {lp.level_id: lp for lp in sku.level_prices}
    for level_id, price in prices.items():
        if price is None:
            if level_id in current:
                sku.level_prices.remove(current[level_id])
        elif level_id in current:
            current[level_id].price_fen = price
        else:
            sku.level_prices.append(SkuLevelPrice(level_id=level_id, price_fen=price))


def _set_product_fields(product: Product, cells: dict[str, Any], columns: set[str]) -> None:
    """The product's own fields the file has a column for (the title is handled apart)."""
    if "item_no" in columns:
        product.item_no = cells["item_no"]
    if "category" in columns:
        product.category_id = cells["category"]
    if "brand" in columns:
        product.brand_id = cells["brand"]
    if "unit" in columns:
        product.unit = cells["unit"] or "份"
    if "min_order_qty" in columns:
        product.min_order_qty = cells["min_order_qty"] or cells.get("pack_size") or 1
    for key in ("pack_unit", "model", "specification"):
        if key in columns:
            setattr(product, key, cells[key])


def _event(product: Product, actor: Actor, kind: str) -> None:
    db.session.add(
        ProductEvent(
            product_id=product.id,
            actor_id=actor.user_id,
            actor_name=actor.name[:50],
            actor_role=actor.role,
            kind=kind,
        )
    )


def _product_cells(plan: _Plan) -> dict[str, Any]:
    """The product's fields from its rows: each from the first row that gives it (they agree)."""
    first = plan.rows[0][0].cells
    given = {
        key: next(
            (r.cells[key] for r, _ in plan.rows if r.cells[key] not in ("", None)), first[key]
        )
        for key in PRODUCT_FIELDS
    }
    return {**first, **given}


def _new_product(
    store_id: int, plan: _Plan, columns: set[str], audit: bool, actor: Actor, report: ImportReport
) -> None:
    first = plan.rows[0][0].cells
    product = Product(
        store_id=store_id,
        name=first["title"],
        images=[],
        params={},
        description="",
        listed=not audit,
        audit_status=AuditStatus.PENDING if audit else AuditStatus.APPROVED,
    )
    # every row of a product agrees on its fields (blank agrees): take the first one given
    merged = _product_cells(plan)
    _set_product_fields(product, merged, set(HEADERS))
    product.search_text = search_text_of(product)
    db.session.add(product)
    db.session.flush()
    _event(product, actor, SUBMITTED if audit else LISTED)
    report.created_products += 1
    for row, _ in plan.rows:
        _new_sku(product, row, actor, report)


def _new_sku(product: Product, row: ImportRow, actor: Actor, report: ImportReport) -> None:
    cells = row.cells
    sku = Sku(
        product_id=product.id,
        spec=cells["spec"],
        spec_values={},
        code=cells["code"],
        price_fen=cells["price"],
        retail_price_fen=cells["retail_price"],
        stock=0,
    )
    db.session.add(sku)
    db.session.flush()
    _set_level_prices(sku, {k: v for k, v in row.level_prices.items() if v is not None})
    if cells["stock"]:
        record_stock(sku, 0, cells["stock"], STOCK_IMPORTED.code, actor)
    report.created_skus += 1


def _update_product(
    plan: _Plan, columns: set[str], audit: bool, actor: Actor, report: ImportReport
) -> None:
    product = plan.product
    assert product is not None
    first = plan.rows[0][0].cells
    merged = _product_cells(plan)
    _set_product_fields(product, merged, columns - {"item_no"})
    # a listed product under audit keeps selling what was approved: the edit waits
    waits = audit and product.listed and product.audit_status == AuditStatus.APPROVED
    pending: dict[str, Any] = dict(product.pending_changes or {})
    pending_skus: dict[str, Any] = dict(pending.get("skus") or {})
    changed = first["title"] != product.name  # a title or price change: audited
    if changed:
        if waits:
            pending["name"] = first["title"]
        else:
            product.name = first["title"]
    for row, sku in plan.rows:
        if sku is None:
            _new_sku(product, row, actor, report)
            continue
        cells = row.cells
        sku.spec = cells["spec"]
        if "code" in columns:
            sku.code = cells["code"]
        prices = {"price_fen": cells["price"]}
        if "retail_price" in columns:
            prices["retail_price_fen"] = cells["retail_price"]
        if waits:
            levels = {lp.level_id: lp.price_fen for lp in sku.level_prices}
            levels.update(row.level_prices)
            changes = {
                **{k: v for k, v in prices.items() if getattr(sku, k) != v},
                "level_prices": {str(k): v for k, v in levels.items() if v is not None},
            }
            if changes["level_prices"] == {
                str(lp.level_id): lp.price_fen for lp in sku.level_prices
            }:
                del changes["level_prices"]
            if changes:
                pending_skus[str(sku.id)] = {**pending_skus.get(str(sku.id), {}), **changes}
        else:
            levels_before = {lp.level_id: lp.price_fen for lp in sku.level_prices}
            changed |= any(getattr(sku, key) != value for key, value in prices.items())
            for key, value in prices.items():
                setattr(sku, key, value)
            _set_level_prices(sku, row.level_prices)
            changed |= levels_before != {lp.level_id: lp.price_fen for lp in sku.level_prices}
        if cells["stock"] is not None and cells["stock"] != sku.stock:
            record_stock(sku, sku.stock, cells["stock"], STOCK_IMPORTED.code, actor)
        report.updated_skus += 1
    if pending_skus:
        pending["skus"] = pending_skus
    if pending != (product.pending_changes or {}):
        product.pending_changes = pending
        _event(product, actor, SUBMITTED)
    elif audit and not waits and changed:
        # like the editor: an unlisted product whose title or prices changed is audited again
        product.audit_status = AuditStatus.PENDING
        product.audit_reason = ""
        product.listed = False
        _event(product, actor, SUBMITTED)
    product.search_text = search_text_of(product)
    product.updated_at = utcnow()
    report.updated_products += 1


def import_products(
    store_id: int,
    actor: Actor,
    data: bytes,
    only_valid: bool = False,
    translate: Callable[[str], str] = str,
) -> ImportReport:
    """Check the workbook row by row; write it when it has no errors, or only its good rows
    when `only_valid`. A file that cannot be read is refused (InvalidInput), nothing written."""
    if actor.role != Role.STORE_STAFF or actor.store_id != store_id:
        raise Forbidden(IMPORT_OWN_STORE())
    rows, errors, columns = read_rows(data, translate)
    groups, group_errors = _check_groups(rows, {error.row for error in errors})
    plans, plan_errors = _plan(store_id, groups)
    report = ImportReport(rows=len(rows))
    report.errors = sorted([*errors, *group_errors, *plan_errors], key=lambda e: e.row)
    if report.errors and not only_valid:
        return report
    audit = product_audit_on()
    for plan in plans:
        if plan.product is None:
            _new_product(store_id, plan, columns, audit, actor, report)
        else:
            _update_product(plan, columns, audit, actor, report)
    db.session.flush()
    report.skipped_rows = report.bad_rows
    report.imported = True
    return report
