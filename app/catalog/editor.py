"""A store edits its products: the product editor's rules (商品编辑).

`save_product` checks every field, then creates or updates the product, its SKUs (one per
combination of the chosen spec values; none chosen: one SKU with spec ""), their member-level
prices and stock (each change a StockMovement), and puts it through the platform's audit when
CatalogSettings.product_audit is on. All or nothing: every field and photo is checked before
anything is stored; `ProductFieldError` names the form field to show the refusal at.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import nh3
from flask import current_app
from sqlalchemy import String, cast, delete, func, or_, select

from app.accounts.actor import Actor
from app.accounts.models import MemberLevel, Role
from app.catalog.library import product_audit_on
from app.catalog.models import (
    AuditStatus,
    Brand,
    Category,
    CategoryParam,
    ListingChoice,
    Product,
    ProductEvent,
    Sku,
    SkuLevelPrice,
    SpecName,
    SpecValue,
    StockMovement,
    Tag,
    Unit,
)
from app.catalog.search import product_search_line
from app.catalog.stock import record_stock
from app.clock import SHANGHAI, utcnow
from app.errors import AlreadyTaken, DomainError, Forbidden, InvalidInput
from app.extensions import db
from app.i18n_markers import N_
from app.images import clean_photo, keep_photo, thumb_key
from app.messages import Message, define
from app.money import parse_yuan
from app.ordering.models import CartItem, OrderItem
from app.stores.models import Store, StoreKind
from app.stores.profile import Upload

# Product.pending_changes, the edit of a listed product waiting for the platform's approval:
#   {"name": "新标题",                               (only the fields that changed)
#    "skus": {"<sku id>": {"price_fen": 650, "retail_price_fen": 800,
#                          "level_prices": {"<level id>": 600}}}}


def apply_pending_changes(product: Product) -> None:
    """The platform approved the edit: it becomes what is on sale (called by the audit)."""
    changes = product.pending_changes or {}
    if "name" in changes:
        product.name = changes["name"]
    skus = {sku.id: sku for sku in product.skus}
    for sku_id, values in (changes.get("skus") or {}).items():
        sku: Sku | None = skus.get(int(sku_id))
        if sku is None:
            continue
        if "price_fen" in values:
            sku.price_fen = int(values["price_fen"])
        if "retail_price_fen" in values:
            retail = values["retail_price_fen"]
            sku.retail_price_fen = None if retail is None else int(retail)
        if "level_prices" in values:
            sku.level_prices = [
                SkuLevelPrice(level_id=int(level_id), price_fen=int(price))
                for level_id, price in values["level_prices"].items()
            ]
    product.pending_changes = None
    product.updated_at = utcnow()
    db.session.flush()


# ---- limits and refusals ----------------------------------------------------------------------

MAX_IMAGES = 9
MAX_SKUS = 100  # combinations of spec values in one product
MAX_PRICE_FEN = 100_000_000  # ￥1,000,000.00 for one piece is a typo
MAX_STOCK = 9_999_999
MAX_PACK_SIZE = 9_999
MAX_DESCRIPTION = 20_000
MAX_PARAM = 100
STOCK_REASON = "编辑商品"  # StockMovement.reason for stock set in the editor
SUBMITTED = "submitted"  # ProductEvent.kind
LISTED = "listed"
UNLISTED = "unlisted"
LEAF_LEVEL = 3

NOT_FOUND_PRODUCT = define("editor_no_such_product", N_("没有找到这个商品"))
STAFF_ONLY = define("editor_store_staff_only", N_("只有店铺员工可以编辑商品"))
NAME_REQUIRED = define("editor_name_required", N_("请填写商品标题"))
FIELD_TOO_LONG = define("editor_field_too_long", N_("%(field)s不能超过 %(max)s 个字"), ("field",))
ITEM_NO_TAKEN = define("editor_item_no_taken", N_("货号已存在"))
CHOOSE_CATEGORY = define("editor_choose_category", N_("请选择商品分类"))
LEAF_CATEGORY_ONLY = define("editor_leaf_category_only", N_("请选择三级分类"))
NO_SUCH_BRAND = define("editor_no_such_brand", N_("请从品牌库中选择品牌"))
NO_SUCH_TAG = define("editor_no_such_tag", N_("请从标签库中选择标签"))
CHOOSE_UNIT = define("editor_choose_unit", N_("请从单位库中选择单位"))
BAD_PACK_UNIT = define("editor_bad_pack_unit", N_("包装请按「数量+单位/包装」填写，如 12瓶/箱"))
PACK_SIZE_RANGE = define("editor_pack_size_range", N_("包装数量须在 1 到 %(max)s 之间"), ())
BAD_PRICE = define("editor_bad_price", N_("请填写金额（元），最多两位小数，如 12.50"))
PRICE_REQUIRED = define("editor_price_required", N_("请填写价格"))
PRICE_RANGE = define("editor_price_range", N_("价格须在 0.01 到 1,000,000 元之间"))
BAD_STOCK = define("editor_bad_stock", N_("库存请填写 0 到 9,999,999 之间的整数"))
TOO_MANY_SKUS = define("editor_too_many_skus", N_("规格组合最多 %(max)s 个，请少选几个规格值"))
NO_SUCH_SPEC = define("editor_no_such_spec", N_("请从规格库中选择规格值"))
SKU_ORDERED = define(
    "editor_sku_ordered", N_("规格「%(spec)s」已有订单，不能删除；可以把它的库存改为 0")
)
TOO_MANY_IMAGES = define("editor_too_many_images", N_("商品图片最多 %(max)s 张"))
BAD_LIST_AT = define("editor_bad_list_at", N_("请填写上架时间，如 2026-12-01 10:00"))
LIST_AT_PAST = define("editor_list_at_past", N_("定时上架的时间须晚于现在"))
CHOOSE_LISTING = define("editor_choose_listing", N_("请选择审核通过后的上架方式"))
NOT_APPROVED = define("editor_not_approved", N_("商品审核通过后才能上架"))
DELETED_PRODUCT = define("editor_deleted_product", N_("该商品已被平台删除"))

# JSON None may be stored as SQL NULL or as the JSON text `null`: both mean "no pending edit".
HAS_PENDING_CHANGES = func.coalesce(cast(Product.pending_changes, String), "null") != "null"

FIELD_LABELS = {
    "name": N_("商品标题"),
    "item_no": N_("货号"),
    "model": N_("型号"),
    "specification": N_("规格"),
    "code": N_("SKU 编码"),
    "param": N_("参数"),
    "description": N_("商品详情"),
}

# What the description may hold (sanitised by nh3 on every save).
DESCRIPTION_TAGS = {"p", "br", "b", "strong", "i", "em", "ul", "ol", "li", "img", "a"}
DESCRIPTION_ATTRIBUTES = {"img": {"src", "alt"}, "a": {"href", "title"}}
_URL_ATTRIBUTES = {("img", "src"), ("a", "href")}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # never stored (PostgreSQL refuses NUL)
_PACK = re.compile(r"^\s*([0-9]+)\s*([^0-9\s].*)$")


class ProductFieldError(InvalidInput):
    """A field of the product editor that cannot be saved; `field` names the form field."""

    def __init__(self, field: str, message: Message):
        super().__init__(message)
        self.field = field


# ---- what the editor sends -------------------------------------------------------------------


@dataclass
class SkuInput:
    """One row of the SKU table as typed (yuan and counts as text; the service parses)."""

    key: str  # the row's key in the form (MatrixRow.key)
    price: str = ""
    retail_price: str = ""
    stock: str = "0"
    stock_was: str | None = None  # the stock the form showed (None: a new row)
    code: str = ""
    level_prices: dict[int, str] = field(default_factory=dict)  # level id -> yuan ("" = base)


@dataclass
class ProductInput:
    name: str = ""
    item_no: str = ""
    model: str = ""
    specification: str = ""
    unit: str = ""
    pack_unit: str = ""
    category_id: int | None = None
    brand_id: int | None = None
    tag_ids: list[int] = field(default_factory=list)
    params: dict[int, str] = field(default_factory=dict)  # CategoryParam id -> value
    description: str = ""
    spec_value_ids: list[int] = field(default_factory=list)  # the chosen 规格库 values
    skus: dict[str, SkuInput] = field(default_factory=dict)  # by MatrixRow.key
    listing_choice: str = ListingChoice.ON_APPROVAL
    list_at: str = ""  # datetime-local in Shanghai time, for ListingChoice.AT_TIME
    kept_images: list[str] = field(default_factory=list)  # existing keys, in the order wanted
    new_images: list[Upload] = field(default_factory=list)


@dataclass(frozen=True)
class MatrixRow:
    """One SKU row of the editor: a combination of spec values (or an existing legacy SKU)."""

    key: str
    spec_values: dict[str, str]
    spec: str
    sku_id: int | None = None  # a legacy SKU without spec values, kept as it is


# ---- reading for the editor ------------------------------------------------------------------


def ensure_store_staff(actor: Actor) -> int:
    if actor.role != Role.STORE_STAFF or not actor.store_id:
        raise Forbidden(STAFF_ONLY())
    return actor.store_id


def product_of(actor: Actor, product_id: int) -> Product | None:
    """The actor's own store's product (not deleted by the platform); None otherwise."""
    store_id = ensure_store_staff(actor)
    product = db.session.get(Product, product_id)
    if product is None or product.store_id != store_id or product.deleted_at is not None:
        return None
    return product


def leaf_categories() -> list[tuple[int, str]]:
    """Third-level categories as (id, "一级 / 二级 / 三级"), in the library's order."""
    rows = db.session.execute(select(Category).order_by(Category.sort, Category.id)).scalars()
    by_id = {category.id: category for category in rows}
    leaves = [c for c in by_id.values() if c.level == LEAF_LEVEL]
    labelled = [(c.id, " / ".join(_path_names(c)), _path_sort(c)) for c in leaves]
    return [(cid, label) for cid, label, _ in sorted(labelled, key=lambda row: row[2])]


def _path(category: Category) -> list[Category]:
    """The category and its parents, top level first (the session's identity map serves them)."""
    path, seen = [], set()
    current: Category | None = category
    while current is not None and current.id not in seen:
        seen.add(current.id)
        path.append(current)
        parent_id = current.parent_id
        current = db.session.get(Category, parent_id) if parent_id is not None else None
    return list(reversed(path))


def _path_names(category: Category) -> list[str]:
    return [c.name for c in _path(category)]


def _path_sort(category: Category) -> tuple:
    return tuple((c.sort, c.id) for c in _path(category))


def category_label(category: Category | None) -> str:
    return " / ".join(_path_names(category)) if category else ""


def category_params(category_id: int | None) -> list[CategoryParam]:
    if not category_id:
        return []
    return list(
        db.session.execute(
            select(CategoryParam)
            .where(CategoryParam.category_id == category_id)
            .order_by(CategoryParam.sort, CategoryParam.id)
        ).scalars()
    )


def spec_library() -> list[SpecName]:
    return list(db.session.execute(select(SpecName).order_by(SpecName.sort, SpecName.id)).scalars())


def unit_names() -> list[str]:
    names = list(db.session.execute(select(Unit.name).order_by(Unit.sort, Unit.id)).scalars())
    return names or ["份"]  # an empty library still leaves the column's default


def member_levels() -> list[MemberLevel]:
    return list(db.session.execute(select(MemberLevel).order_by(MemberLevel.rank)).scalars())


def is_wholesale(store_id: int) -> bool:
    store = db.session.get(Store, store_id)
    return store is not None and store.kind == StoreKind.WHOLESALE


def chosen_spec_values(product: Product) -> list[int]:
    """The 规格库 value ids a product's SKUs stand for (to draw its editor)."""
    wanted = {(name, value) for sku in product.skus for name, value in sku.spec_values.items()}
    if not wanted:
        return []
    rows = db.session.execute(
        select(SpecValue.id, SpecName.name, SpecValue.value).join(
            SpecName, SpecName.id == SpecValue.spec_id
        )
    ).all()
    return [vid for vid, name, value in rows if (name, value) in wanted]


def build_matrix(value_ids: Iterable[int], product: Product | None = None) -> list[MatrixRow]:
    """One row per combination of the chosen values, dimensions in the library's order.

    No values chosen: one row, or for a product whose SKUs predate spec values (spec text
    only) one row per such SKU. Unknown ids are refused (NO_SUCH_SPEC, at "specs")."""
    ids = {int(v) for v in value_ids}
    if ids:
        values = list(
            db.session.execute(
                select(SpecValue, SpecName)
                .join(SpecName, SpecName.id == SpecValue.spec_id)
                .where(SpecValue.id.in_(ids))
                .order_by(SpecName.sort, SpecName.id, SpecValue.sort, SpecValue.id)
            ).all()
        )
        if len(values) != len(ids):
            raise ProductFieldError("specs", NO_SUCH_SPEC())
        dimensions: dict[str, list[SpecValue]] = {}
        for value, spec in values:
            dimensions.setdefault(spec.name, []).append(value)
        count = 1
        for chosen in dimensions.values():
            count *= len(chosen)
        if count > MAX_SKUS:
            raise ProductFieldError("specs", TOO_MANY_SKUS(max=MAX_SKUS))
        names = list(dimensions)
        return [
            MatrixRow(
                key="-".join(str(v.id) for v in combo),
                spec_values={name: v.value for name, v in zip(names, combo, strict=True)},
                spec=" / ".join(v.value for v in combo),
            )
            for combo in itertools.product(*dimensions.values())
        ]
    legacy = [sku for sku in (product.skus if product else []) if not sku.spec_values]
    if len(legacy) > 1 or (legacy and legacy[0].spec):
        return [MatrixRow(f"s{sku.id}", {}, sku.spec, sku.id) for sku in legacy]
    return [MatrixRow("0", {}, "")]


def matching_sku(product: Product | None, row: MatrixRow) -> Sku | None:
    if product is None:
        return None
    for sku in product.skus:
        if row.sku_id is not None:
            if sku.id == row.sku_id:
                return sku
        elif sku.spec_values == row.spec_values and (row.spec_values or not sku.spec):
            return sku
    if row.key == "0" and len(product.skus) == 1 and not product.skus[0].spec_values:
        return product.skus[0]
    return None


def product_image_key(product: Product, n: int, thumb: bool = False) -> str | None:
    """The storage key of the product's n-th image (from 0), or of its thumbnail."""
    images = product.images or []
    if not 0 <= n < len(images):
        return None
    return thumb_key(images[n]) if thumb else images[n]


def shown_prices(product: Product) -> dict:
    """What the editor shows: the pending edit when there is one, else what is on sale."""
    pending = product.pending_changes or {}
    skus = {}
    for sku in product.skus:
        values = (pending.get("skus") or {}).get(str(sku.id), {})
        levels = {lp.level_id: lp.price_fen for lp in sku.level_prices}
        if "level_prices" in values:
            levels = {int(k): int(v) for k, v in values["level_prices"].items()}
        skus[sku.id] = {
            "price_fen": values.get("price_fen", sku.price_fen),
            "retail_price_fen": values.get("retail_price_fen", sku.retail_price_fen),
            "level_prices": levels,
        }
    return {"name": pending.get("name", product.name), "skus": skus}


# ---- checking ---------------------------------------------------------------------------------


def sanitise_description(html: str) -> str:
    """Basic formatting only: no scripts, no event handlers, links and pictures over http(s)."""
    return nh3.clean(
        html or "",
        tags=DESCRIPTION_TAGS,
        attributes=DESCRIPTION_ATTRIBUTES,
        attribute_filter=_only_web_urls,
        url_schemes={"http", "https"},
        clean_content_tags={"script", "style"},
        link_rel="noopener noreferrer nofollow",
    ).strip()


def _only_web_urls(tag: str, attribute: str, value: str) -> str | None:
    if (tag, attribute) in _URL_ATTRIBUTES:
        lowered = value.strip().lower()
        if not (lowered.startswith("http://") or lowered.startswith("https://")):
            return None
    return value


def plain(value: str | None) -> str:
    """Typed text without control characters (tabs and line breaks stay)."""
    return _CONTROL.sub("", value or "")


def _text(value: str, name: str, max_len: int, label_key: str | None = None) -> str:
    value = plain(value).strip()
    if len(value) > max_len:
        label = FIELD_LABELS[label_key or name]
        raise ProductFieldError(name, FIELD_TOO_LONG(field=label, max=max_len))
    return value


def parse_pack_unit(pack_unit: str) -> tuple[str, int]:
    """ "12瓶/箱" → ("12瓶/箱", 12): the leading number is the minimum order quantity (and the
    step). Blank: ("", 1)."""
    text = plain(pack_unit).strip()
    if not text:
        return "", 1
    if len(text) > 20:
        raise ProductFieldError("pack_unit", BAD_PACK_UNIT())
    match = _PACK.match(text)
    if not match:
        raise ProductFieldError("pack_unit", BAD_PACK_UNIT())
    size = int(match.group(1))
    if not 1 <= size <= MAX_PACK_SIZE:
        raise ProductFieldError("pack_unit", PACK_SIZE_RANGE(max=MAX_PACK_SIZE))
    return text, size


def parse_price(text: str | None, name: str, required: bool) -> int | None:
    text = (text or "").strip()
    if not text:
        if required:
            raise ProductFieldError(name, PRICE_REQUIRED())
        return None
    try:
        fen = parse_yuan(text)
    except ValueError:
        raise ProductFieldError(name, BAD_PRICE()) from None
    if not 1 <= fen <= MAX_PRICE_FEN:
        raise ProductFieldError(name, PRICE_RANGE())
    return fen


def parse_stock(text: str | None, name: str) -> int:
    text = (text or "").strip() or "0"
    if not text.isascii() or not text.isdigit() or int(text) > MAX_STOCK:
        raise ProductFieldError(name, BAD_STOCK())
    return int(text)


def _list_at(data: ProductInput) -> datetime | None:
    if data.listing_choice != ListingChoice.AT_TIME:
        return None
    text = (data.list_at or "").strip()
    try:
        local = datetime.fromisoformat(text)
        if local.tzinfo is None:
            local = local.replace(tzinfo=SHANGHAI)
        when = local.astimezone(UTC).replace(tzinfo=None)
    except (ValueError, OverflowError):
        raise ProductFieldError("list_at", BAD_LIST_AT()) from None
    if when <= utcnow():
        raise ProductFieldError("list_at", LIST_AT_PAST())
    return when


@dataclass
class _CleanSku:
    row: MatrixRow
    price_fen: int
    retail_price_fen: int | None
    stock: int
    stock_was: int | None
    code: str
    level_prices: dict[int, int]


@dataclass
class _Clean:
    values: dict
    category: Category
    brand: Brand | None
    tags: list[Tag]
    params: dict[str, str]
    list_at: datetime | None
    skus: list[_CleanSku]


def _clean(store_id: int, product: Product | None, data: ProductInput) -> _Clean:
    """Every field checked, in the order of the page; the first refusal names its field."""
    name = _text(data.name, "name", 100)
    if not name:
        raise ProductFieldError("name", NAME_REQUIRED())
    item_no = _text(data.item_no, "item_no", 50)
    if item_no and _item_no_taken(store_id, item_no, product):
        raise ProductFieldError("item_no", ITEM_NO_TAKEN())
    category = db.session.get(Category, data.category_id) if data.category_id else None
    if category is None:
        raise ProductFieldError("category_id", CHOOSE_CATEGORY())
    if category.level != LEAF_LEVEL:
        raise ProductFieldError("category_id", LEAF_CATEGORY_ONLY())
    brand = None
    if data.brand_id:
        brand = db.session.get(Brand, data.brand_id)
        if brand is None:
            raise ProductFieldError("brand_id", NO_SUCH_BRAND())
    tags = []
    if data.tag_ids:
        wanted = set(data.tag_ids)
        tags = list(
            db.session.execute(
                select(Tag).where(Tag.id.in_(wanted)).order_by(Tag.sort, Tag.id)
            ).scalars()
        )
        if len(tags) != len(wanted):
            raise ProductFieldError("tag_ids", NO_SUCH_TAG())
    model = _text(data.model, "model", 50)
    specification = _text(data.specification, "specification", 100)
    unit = (data.unit or "").strip()
    if unit not in unit_names():
        raise ProductFieldError("unit", CHOOSE_UNIT())
    pack_unit, min_order_qty = parse_pack_unit(data.pack_unit)
    params = {}
    for param in category_params(category.id):
        value = _text(data.params.get(param.id, ""), f"param-{param.id}", MAX_PARAM, "param")
        if value:
            params[param.name] = value
    raw_description = plain(data.description)
    if len(raw_description) > MAX_DESCRIPTION:
        raise ProductFieldError(
            "description", FIELD_TOO_LONG(field=FIELD_LABELS["description"], max=MAX_DESCRIPTION)
        )
    description = sanitise_description(raw_description)
    skus = _clean_skus(store_id, product, data)
    if data.listing_choice not in set(ListingChoice):
        raise ProductFieldError("listing_choice", CHOOSE_LISTING())
    list_at = _list_at(data)
    values = {
        "name": name,
        "item_no": item_no,
        "model": model,
        "specification": specification,
        "unit": unit,
        "pack_unit": pack_unit,
        "min_order_qty": min_order_qty,
        "description": description,
    }
    return _Clean(values, category, brand, tags, params, list_at, skus)


def _item_no_taken(store_id: int, item_no: str, product: Product | None) -> bool:
    query = select(Product.id).where(Product.store_id == store_id, Product.item_no == item_no)
    if product is not None and product.id is not None:
        query = query.where(Product.id != product.id)
    return db.session.scalar(query.limit(1)) is not None


def _clean_skus(store_id: int, product: Product | None, data: ProductInput) -> list[_CleanSku]:
    rows = build_matrix(data.spec_value_ids, product)
    wholesale = is_wholesale(store_id)
    level_ids = [level.id for level in member_levels()] if wholesale else []
    cleaned = []
    for row in rows:
        typed = data.skus.get(row.key) or SkuInput(key=row.key)
        prefix = f"sku-{row.key}-"
        price = parse_price(typed.price, prefix + "price", required=True)
        retail = parse_price(typed.retail_price, prefix + "retail", False) if wholesale else None
        stock = parse_stock(typed.stock, prefix + "stock")
        stock_was = None
        if typed.stock_was is not None and typed.stock_was.strip().isdigit():
            stock_was = int(typed.stock_was.strip())
        code = _text(typed.code, prefix + "code", 50, "code")
        levels = {}
        for level_id in level_ids:
            fen = parse_price(typed.level_prices.get(level_id), f"{prefix}level-{level_id}", False)
            if fen is not None:
                levels[level_id] = fen
        assert price is not None
        cleaned.append(_CleanSku(row, price, retail, stock, stock_was, code, levels))
    return cleaned


def _clean_images(product: Product | None, data: ProductInput) -> tuple[list[str], list]:
    current = list(product.images or []) if product else []
    kept = []
    for key in data.kept_images:
        if key in current and key not in kept:
            kept.append(key)
    uploads = [upload for upload in data.new_images if upload.filename]
    if len(kept) + len(uploads) > MAX_IMAGES:
        raise ProductFieldError("images", TOO_MANY_IMAGES(max=MAX_IMAGES))
    max_bytes = current_app.config["MAX_PHOTO_BYTES"]
    try:  # one photo at a time, each decoded small; nothing stored unless every one passed
        cleaned = [clean_photo(u.stream, u.filename, max_bytes) for u in uploads]
    except InvalidInput as error:
        raise ProductFieldError("images", error.msg) from None
    return kept, cleaned


# ---- saving -------------------------------------------------------------------------------------


def save_product(actor: Actor, product: Product | None, data: ProductInput) -> Product:
    """Create (product None) or update the actor's store's product from the editor.

    With the platform's product audit on: a new product is submitted (pending, not listed); a
    listed product keeps selling its approved title and prices while an edit of them waits in
    `pending_changes`; an unlisted one is re-submitted when its title or prices change. Other
    fields and stock always save at once. With audit off everything applies at once."""
    store_id = ensure_store_staff(actor)
    if product is not None and (product.store_id != store_id or product.deleted_at):
        raise DomainError(NOT_FOUND_PRODUCT())
    clean = _clean(store_id, product, data)
    kept, photos = _clean_images(product, data)
    audited = product_audit_on()
    now = utcnow()

    is_new = product is None
    name = clean.values.pop("name")
    if product is None:
        product = Product(
            store_id=store_id, name=name, images=[], params={}, created_at=now, listed=False
        )
        db.session.add(product)
    on_sale = not is_new and product.listed and audited
    audited_change = False
    for column, value in clean.values.items():
        setattr(product, column, value)
    product.category = clean.category
    product.brand = clean.brand
    product.tags = clean.tags
    product.params = clean.params
    product.listing_choice = data.listing_choice
    product.list_at = clean.list_at
    db.session.flush()  # the product's id: photos and SKUs hang on it

    product.images = kept + [keep_photo(f"products/{store_id}", photo) for photo in photos]

    changes: dict = {}
    if on_sale:
        if name != product.name:
            changes["name"] = name
    else:
        audited_change = name != product.name
        product.name = name
    price_changed = _save_skus(actor, product, clean.skus, on_sale, changes)

    if not audited:
        product.audit_status = AuditStatus.APPROVED
        product.audit_reason = ""
        product.pending_changes = None
        if is_new and data.listing_choice != ListingChoice.KEEP_UNLISTED:
            product.listed = True
            _event(product, actor, LISTED)
    elif on_sale:
        # The approved version stays on sale (and approved); the edit waits for the platform.
        product.pending_changes = changes or None
        if changes:
            _event(product, actor, SUBMITTED)
    else:
        product.pending_changes = None
        if (
            is_new
            or product.audit_status != AuditStatus.APPROVED
            or audited_change
            or price_changed
        ):
            product.audit_status = AuditStatus.PENDING
            product.audit_reason = ""
            product.listed = False
            _event(product, actor, SUBMITTED)
    product.search_text = search_text_of(product)
    product.updated_at = now
    db.session.flush()
    return product


def _save_skus(
    actor: Actor, product: Product, rows: list[_CleanSku], on_sale: bool, changes: dict
) -> bool:
    """Update, add and remove SKUs; True when a price of an existing SKU changed (applied, or
    put into `changes` for a product on sale)."""
    existing = list(product.skus)
    kept_ids = set()
    price_changed = False
    movements: list[tuple[_CleanSku, Sku, int]] = []
    for clean in rows:
        sku = matching_sku(product, clean.row) if existing else None
        if sku is not None and sku.id in kept_ids:
            sku = None
        if sku is None:
            sku = Sku(price_fen=clean.price_fen, stock=0)
            product.skus.append(sku)
            sku.retail_price_fen = clean.retail_price_fen
            sku.level_prices = [
                SkuLevelPrice(level_id=level_id, price_fen=fen)
                for level_id, fen in sorted(clean.level_prices.items())
            ]
            before = 0
        else:
            kept_ids.add(sku.id)
            # from the stock the person saw: a sale in between is not overwritten
            before = sku.stock if clean.stock_was is None else clean.stock_was
            price_changed |= _update_prices(sku, clean, on_sale, changes)
        if not clean.row.sku_id:
            sku.spec = clean.row.spec
        sku.spec_values = dict(clean.row.spec_values)
        sku.code = clean.code
        if clean.stock != before:
            movements.append((clean, sku, before))
    for sku in existing:
        if sku.id not in kept_ids:
            _remove_sku(product, sku)
    db.session.flush()
    for clean, sku, before in movements:
        try:
            record_stock(sku, before, clean.stock, STOCK_REASON, actor)
        except AlreadyTaken as error:
            raise ProductFieldError(f"sku-{clean.row.key}-stock", error.msg) from None
    return price_changed


def _update_prices(sku: Sku, clean: _CleanSku, on_sale: bool, changes: dict) -> bool:
    levels_now = {lp.level_id: lp.price_fen for lp in sku.level_prices}
    diff: dict = {}
    if clean.price_fen != sku.price_fen:
        diff["price_fen"] = clean.price_fen
    if clean.retail_price_fen != sku.retail_price_fen:
        diff["retail_price_fen"] = clean.retail_price_fen
    if clean.level_prices != levels_now:
        diff["level_prices"] = {str(k): v for k, v in sorted(clean.level_prices.items())}
    if not diff:
        return False
    if on_sale:
        changes.setdefault("skus", {})[str(sku.id)] = diff
        return True
    sku.price_fen = clean.price_fen
    sku.retail_price_fen = clean.retail_price_fen
    if "level_prices" in diff:
        sku.level_prices = [
            SkuLevelPrice(level_id=level_id, price_fen=fen)
            for level_id, fen in sorted(clean.level_prices.items())
        ]
    return True


def _remove_sku(product: Product, sku: Sku) -> None:
    ordered = db.session.scalar(select(OrderItem.id).where(OrderItem.sku_id == sku.id).limit(1))
    if ordered is not None:
        raise ProductFieldError("specs", SKU_ORDERED(spec=sku.spec or product.name))
    db.session.execute(delete(CartItem).where(CartItem.sku_id == sku.id))
    db.session.execute(delete(StockMovement).where(StockMovement.sku_id == sku.id))
    product.skus.remove(sku)
    db.session.delete(sku)


def _event(product: Product, actor: Actor, kind: str, reason: str = "") -> None:
    db.session.add(
        ProductEvent(
            product_id=product.id,
            actor_id=actor.user_id,
            actor_name=(actor.name or "")[:50],
            actor_role=actor.role,
            kind=kind,
            reason=reason[:200],
            created_at=utcnow(),
        )
    )


def search_text_of(product: Product) -> str:
    """Title, item number, brand and category path names, lower-cased, in one line."""
    brand = product.brand.name if product.brand is not None else ""
    categories = _path_names(product.category) if product.category is not None else []
    return product_search_line(product, brand, categories)


# ---- listing ------------------------------------------------------------------------------------


def may_list(product: Product) -> bool:
    """With audit on, only an approved product is listed."""
    if product.deleted_at is not None or product.listed:
        return False
    return not product_audit_on() or product.audit_status == AuditStatus.APPROVED


def list_product(actor: Actor, product: Product) -> None:
    _own(actor, product)
    if product.listed:
        return  # a twin of this request already listed it
    if not may_list(product):
        raise InvalidInput(NOT_APPROVED())
    product.listed = True
    product.updated_at = utcnow()
    _event(product, actor, LISTED)
    db.session.flush()


def unlist_product(actor: Actor, product: Product) -> None:
    _own(actor, product)
    if not product.listed:
        return
    product.listed = False
    product.updated_at = utcnow()
    _event(product, actor, UNLISTED)
    db.session.flush()


def _own(actor: Actor, product: Product) -> None:
    store_id = ensure_store_staff(actor)
    if product.store_id != store_id:
        raise DomainError(NOT_FOUND_PRODUCT())
    if product.deleted_at is not None:
        raise DomainError(DELETED_PRODUCT())


# ---- the store's list -------------------------------------------------------------------------


@dataclass(frozen=True)
class ProductFilter:
    audit: str = ""  # an AuditStatus or ""
    listed: str = ""  # "yes", "no" or ""
    category_id: int | None = None  # a category of any level: its leaves count
    q: str = ""


def store_products_query(actor: Actor, filters: ProductFilter):
    """The actor's store's products (not deleted), newest first, filtered."""
    store_id = ensure_store_staff(actor)
    query = select(Product).where(Product.store_id == store_id, Product.deleted_at.is_(None))
    if filters.audit == AuditStatus.PENDING:  # a first submission, or an edit waiting
        query = query.where(or_(Product.audit_status == AuditStatus.PENDING, HAS_PENDING_CHANGES))
    elif filters.audit in set(AuditStatus):
        query = query.where(Product.audit_status == filters.audit)
    if filters.listed in ("yes", "no"):
        query = query.where(Product.listed.is_(filters.listed == "yes"))
    if filters.category_id:
        query = query.where(Product.category_id.in_(_leaf_ids_under(filters.category_id)))
    q = plain(filters.q).strip().lower()[:50]
    if q:
        escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(Product.search_text.like(f"%{escaped}%", escape="\\"))
    return query.order_by(Product.id.desc())


def _leaf_ids_under(category_id: int) -> list[int]:
    ids = [category_id]
    frontier = [category_id]
    for _ in range(LEAF_LEVEL):
        frontier = list(
            db.session.execute(
                select(Category.id).where(Category.parent_id.in_(frontier))
            ).scalars()
        )
        ids.extend(frontier)
        if not frontier:
            break
    return ids


def category_choices() -> list[tuple[int, str]]:
    """Every category, indented by level (the list filter)."""
    rows = list(db.session.execute(select(Category).order_by(Category.sort, Category.id)).scalars())
    ordered = sorted(rows, key=_path_sort)
    return [(c.id, "　" * (c.level - 1) + c.name) for c in ordered]


def total_stock(product: Product) -> int:
    return sum(sku.stock for sku in product.skus)


def price_range(product: Product) -> tuple[int, int] | None:
    prices = [sku.price_fen for sku in product.skus]
    return (min(prices), max(prices)) if prices else None
