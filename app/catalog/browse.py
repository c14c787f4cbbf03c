"""Reading the storefront's catalog: the category tree, product grids (category, brand, search,
the home page's 精选 strip) and one product for its detail page.

A grid page is one statement: the cards' columns, the store's name and kind joined, each card's
lowest and highest price for this viewer as correlated subqueries over its SKUs, and the capped
count of the shelf as an uncorrelated one. Prices are what `app.accounts.members.shown_price`
says this viewer sees, written in SQL (`_price_column`) for the cards, sorting and filtering.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import quote

from sqlalchemy import (
    ColumnElement,
    Integer,
    Row,
    Select,
    bindparam,
    case,
    func,
    null,
    select,
)
from sqlalchemy.orm import joinedload

from app.accounts.members import PriceViewer, shown_price
from app.catalog.models import AuditStatus, Brand, Category, OutsiderPrices, Product, Sku
from app.catalog.pricing import level_price_sql
from app.extensions import db
from app.i18n_markers import N_
from app.money import parse_yuan
from app.rows import read_rows
from app.sqltext import in_the_text
from app.stores.models import BusinessStatus, Store, StoreKind
from app.web.bounds import MAX_PAGE, int_arg
from app.web.paging import Page
from app.web.urls import url_pattern

PER_PAGE = 20
# A shelf counts its products up to here ("共 200+ 件商品", ten pages): a buyer pages or narrows
# the search, never reads the exact number of a big category, and counting stops after this many
# matches. Every page pays for the count: at 1,000 a search for 椰子 over 100,000 products spent
# 3.7 ms of PostgreSQL's time counting, more than the rest of the statement.
SHELF_COUNT_CAP = 200
PINNED_MAX = 10  # the home page's 精选 strip
HOT_CATEGORIES = 12  # the empty search page
MAX_PRICE_FEN = 100_000_000  # a price filter beyond ￥1,000,000 means "no limit"
LOW_STOCK = 10  # 库存紧张 below this many pieces (or three packs, whichever is more)
LOW_STOCK_PACKS = 3

SORTS = {
    "default": N_("综合"),
    "sales": N_("销量"),
    "price_asc": N_("价格↑"),
    "price_desc": N_("价格↓"),
    "new": N_("最新"),
}
DEFAULT_SORT = "default"

IN_STOCK, LOW, SOLD_OUT = "in_stock", "low", "sold_out"
STOCK_LABELS = {IN_STOCK: N_("有货"), LOW: N_("库存紧张"), SOLD_OUT: N_("已售罄")}


# ---- what buyers may see ----------------------------------------------------------------------


def _on_sale() -> tuple:
    """A product in the storefront's lists: listed, approved, not deleted, of an open store."""
    return (
        Product.listed.is_(True),
        Product.audit_status == AuditStatus.APPROVED,
        Product.deleted_at.is_(None),
        Store.deleted_at.is_(None),
        Store.business_status == BusinessStatus.OPEN,
    )


def _visible(product: Product | None, store: Store | None) -> bool:
    """The detail page: a resting or closed store's product still opens (with the store's
    message and no purchase); an unlisted, unapproved or deleted one is gone."""
    return (
        product is not None
        and store is not None
        and product.listed
        and product.audit_status == AuditStatus.APPROVED
        and product.deleted_at is None
        and store.deleted_at is None
    )


# ---- the category tree --------------------------------------------------------------------


@dataclass
class CategoryNode:
    id: int
    parent_id: int | None
    level: int
    name: str
    icon_key: str | None
    children: list[CategoryNode] = field(default_factory=list)


@dataclass
class CategoryTree:
    """The platform's three levels, read in one query (a library of a few hundred rows)."""

    nodes: dict[int, CategoryNode]
    roots: list[CategoryNode]

    def get(self, category_id: int | None) -> CategoryNode | None:
        return self.nodes.get(category_id) if category_id else None

    def below(self, category_id: int) -> list[int]:
        """The category and every category under it (products hang on the leaves)."""
        found, todo = [], [self.nodes[category_id]]
        while todo:
            node = todo.pop()
            found.append(node.id)
            todo.extend(node.children)
        return found

    def path(self, category_id: int) -> list[CategoryNode]:
        """From the level-1 category down to this one (the page's breadcrumbs)."""
        path, node = [], self.nodes.get(category_id)
        while node is not None and len(path) <= 3:
            path.insert(0, node)
            node = self.nodes.get(node.parent_id) if node.parent_id else None
        return path


def category_tree() -> CategoryTree:
    rows = db.session.execute(
        select(
            Category.id, Category.parent_id, Category.level, Category.name, Category.icon_key
        ).order_by(Category.level, Category.sort, Category.id)
    )
    nodes = {row.id: CategoryNode(*row) for row in rows}
    roots = []
    for node in nodes.values():
        parent = nodes.get(node.parent_id) if node.parent_id else None
        (parent.children if parent else roots).append(node)
    return CategoryTree(nodes, roots)


def brands() -> list[tuple[int, str]]:
    """Every brand's id and name, for the filter menus."""
    query = select(Brand.id, Brand.name).order_by(Brand.sort, Brand.name)
    return list(db.session.execute(query).all())


def hot_categories(tree: CategoryTree, limit: int = HOT_CATEGORIES) -> list[CategoryNode]:
    """The categories that sell most (the empty search page); level-1 ones while nothing sold."""
    sold = func.sum(Product.sales_count)
    query = (
        select(Product.category_id)
        .join(Store, Store.id == Product.store_id)
        .where(*_on_sale(), Product.category_id.is_not(None))
        .group_by(Product.category_id)
        .having(sold > 0)
        .order_by(sold.desc(), Product.category_id)
        .limit(limit)
    )
    hot = [tree.nodes[i] for i in db.session.scalars(query) if i in tree.nodes]
    return hot or tree.roots[:limit]


# ---- pictures -----------------------------------------------------------------------------


def product_image_url(product_id: int, images: list, n: int = 0, thumb: bool = False):
    """Where a page finds the product's n-th picture (from 0), None when it has none. The URL
    names the file (`v`), so a changed picture is a new URL."""
    if not images or n >= len(images):
        return None
    version = str(images[n]).rsplit("/", 1)[-1].removesuffix(".jpg")[:12]
    size = {"size": "thumb"} if thumb else {}
    return url_pattern("media.product_image", "product_id", "n", "v", **size).format(
        product_id, n + 1, quote(version, safe="")
    )


# ---- grids --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProductFilter:
    category_ids: tuple[int, ...] | None = None  # None: any category
    brand_id: int | None = None
    min_fen: int | None = None
    max_fen: int | None = None
    words: tuple[str, ...] = ()  # search words, each must appear (lower case)
    sort: str = DEFAULT_SORT


@dataclass(frozen=True)
class ProductCard:
    """One product in a grid, as this viewer sees it."""

    id: int
    name: str
    store_name: str
    thumb: str | None
    price_fen: int | None  # the lowest price shown; None: no price for this viewer
    several_prices: bool  # "起": its specs cost different amounts
    retail: bool  # a wholesale store's retail price shown to someone not approved
    unit: str
    sales_count: int


def price_fen_arg(text: str | None) -> int | None:
    """A price typed in yuan ("12", "12.5") as fen; anything else, or out of range, is None."""
    try:
        fen = parse_yuan(text or "")
    except ValueError:
        return None
    return fen if 0 <= fen <= MAX_PRICE_FEN else None


# A grid's statement depends on the viewer's kind, the sort and which filters are set, never on
# their values (bound parameters): each shape is built once per process, which saves building
# and cache-keying a statement of a dozen subqueries on every request.
_LEVEL = bindparam("level_id", type_=Integer)


def _price_column(viewer: PriceViewer, aggregate=func.min):
    """The lowest (or with `func.max` the highest) price this viewer sees of each product, in SQL
    (`shown_price`'s rule): same-city goods their price; wholesale goods approved members their
    level's price (:level_id, else the base), others the retail price or nothing, per the
    platform's setting. A correlated subquery of the product's SKUs."""
    wholesale = Store.kind == StoreKind.WHOLESALE
    if viewer.wholesale:
        priced = level_price_sql(_LEVEL)
        skus = (
            select(aggregate(priced.price))
            .select_from(Sku)
            .outerjoin(priced.level, priced.onclause)
        )
    else:
        outsiders = (
            Sku.retail_price_fen if viewer.outsider_prices == OutsiderPrices.RETAIL else null()
        )
        skus = select(aggregate(case((wholesale, outsiders), else_=Sku.price_fen)))
    return skus.where(Sku.product_id == Product.id).correlate(Product, Store).scalar_subquery()


def _ordered(query: Select, sort: str, low_price) -> Select:
    """`low_price`: the card's lowest-price column (sorted by its label, computed once)."""
    if sort == "sales":
        return query.order_by(Product.sales_count.desc(), Product.id.desc())
    if sort in ("price_asc", "price_desc"):
        price = low_price.asc() if sort == "price_asc" else low_price.desc()
        return query.order_by(price.nulls_last(), Product.id.desc())
    if sort == "new":  # ids grow with time: the primary key serves the newest first
        return query.order_by(Product.id.desc())
    # 综合: the platform's pins first (newest pin first), then what sells
    return query.order_by(
        Product.pinned_at.desc().nulls_last(), Product.sales_count.desc(), Product.id.desc()
    )


def _like_escaped(word: str) -> str:
    """A search word as a literal inside LIKE … ESCAPE '/'."""
    return word.replace("/", "//").replace("%", "/%").replace("_", "/_")


def _where(filter: ProductFilter, viewer: PriceViewer) -> list:
    """The grid's conditions, values as bound parameters (`_values`)."""
    where = list(_on_sale())
    if filter.category_ids is not None:
        where.append(Product.category_id.in_(bindparam("category_ids", expanding=True)))
    if filter.brand_id:
        where.append(Product.brand_id == bindparam("brand_id", type_=Integer))
    for n in range(len(filter.words)):  # LIKE '%word%': PostgreSQL's trigram index serves it
        where.append(Product.search_text.contains(bindparam(f"word_{n}"), escape="/"))
    if filter.min_fen is not None or filter.max_fen is not None:
        price = _price_column(viewer)
        if filter.min_fen is not None:
            where.append(price >= bindparam("min_fen", type_=Integer))
        if filter.max_fen is not None:
            where.append(price <= bindparam("max_fen", type_=Integer))
    return where


def _values(filter: ProductFilter, viewer: PriceViewer) -> dict:
    values: dict = {"level_id": viewer.level_id} if viewer.wholesale else {}
    if filter.category_ids is not None:
        values["category_ids"] = list(filter.category_ids)
    if filter.brand_id:
        values["brand_id"] = filter.brand_id
    for n, word in enumerate(filter.words):
        values[f"word_{n}"] = _like_escaped(word)
    if filter.min_fen is not None:
        values["min_fen"] = filter.min_fen
    if filter.max_fen is not None:
        values["max_fen"] = filter.max_fen
    return values


def _cards_query(viewer: PriceViewer) -> tuple[Select, ColumnElement]:
    """A card's columns, its SKUs' lowest and highest price for this viewer among them (so a
    grid is one statement), and the lowest-price column for sorting."""
    low = _price_column(viewer).label("low_fen")
    high = _price_column(viewer, func.max).label("high_fen")
    query = select(
        Product.id,
        Product.name,
        Product.images,
        Product.unit,
        Product.sales_count,
        Store.name.label("store_name"),
        Store.kind,
        low,
        high,
    ).join(Store, Store.id == Product.store_id)
    return query, low


def _card(row: Row, viewer: PriceViewer) -> ProductCard:
    return ProductCard(
        id=row.id,
        name=row.name,
        store_name=row.store_name,
        thumb=product_image_url(row.id, row.images, thumb=True),
        price_fen=row.low_fen,
        several_prices=row.low_fen is not None and row.high_fen != row.low_fen,
        retail=row.kind == StoreKind.WHOLESALE and not viewer.wholesale and row.low_fen is not None,
        unit=row.unit,
        sales_count=row.sales_count,
    )


_grids: dict[tuple, tuple[Select, Select]] = {}


def _grid_statements(filter: ProductFilter, viewer: PriceViewer) -> tuple[Select, Select]:
    """The page's statement (the capped count riding along as an uncorrelated subquery, read
    once) and the count alone; :page_limit, :page_offset and :count_limit bound."""
    shape = (
        viewer.wholesale,
        viewer.outsider_prices == OutsiderPrices.RETAIL,
        filter.sort,
        filter.category_ids is not None,
        bool(filter.brand_id),
        filter.min_fen is not None,
        filter.max_fen is not None,
        len(filter.words),
    )
    found = _grids.get(shape)
    if found is None:
        where = _where(filter, viewer)
        query, low = _cards_query(viewer)
        counted = select(Product.id).join(Store, Store.id == Product.store_id).where(*where)
        counted = counted.limit(in_the_text("count_limit")).subquery()
        counted = select(func.count()).select_from(counted)
        query = _ordered(query.where(*where), filter.sort, low)
        query = query.add_columns(counted.scalar_subquery().label("shelf_total"))
        query = query.limit(in_the_text("page_limit"))
        query = query.offset(in_the_text("page_offset"))
        found = _grids[shape] = (query, counted)
    return found


def product_cards(
    filter: ProductFilter, viewer: PriceViewer, per_page: int = PER_PAGE, count: bool = True
) -> Page:
    """A page (?page=) of products on sale matching the filter, as cards for this viewer, in one
    statement: one row more than a page tells whether there is a next one, and the capped count
    (SHELF_COUNT_CAP) comes along. Without `count` (加载更多 shows no total) the count stops at
    once and `total` is only what is known: the rows so far."""
    number = int_arg("page", 1, low=1, high=MAX_PAGE)
    offset = (number - 1) * per_page
    query, counted = _grid_statements(filter, viewer)
    values = _values(filter, viewer)
    values["count_limit"] = SHELF_COUNT_CAP + 1 if count else 0
    page_values = {**values, "page_limit": per_page + 1, "page_offset": offset}
    rows = read_rows(query, page_values).all()
    has_next = len(rows) > per_page
    rows = rows[:per_page]
    if count and has_next:
        total = rows[0].shelf_total
    elif count and not rows and number > 1:  # past the end: no row brought the count
        total = read_rows(counted, values).scalar() or 0
    else:  # the last page tells the total by itself
        total = offset + len(rows) + has_next
    capped = total > SHELF_COUNT_CAP
    cards = [_card(row, viewer) for row in rows]
    return Page(cards, number, per_page, min(total, SHELF_COUNT_CAP), capped, has_next)


def pinned_cards(viewer: PriceViewer, limit: int = PINNED_MAX) -> list[ProductCard]:
    """精选: the platform's pinned products on sale, newest pin first."""
    query, _low = _cards_query(viewer)
    query = (
        query.where(*_on_sale(), Product.pinned_at.is_not(None))
        .order_by(Product.pinned_at.desc(), Product.id.desc())
        .limit(limit)
    )
    values = {"level_id": viewer.level_id} if viewer.wholesale else {}
    return [_card(row, viewer) for row in read_rows(query, values)]


# ---- one product --------------------------------------------------------------------------


def _product_query(level_prices: bool) -> Select:
    skus = joinedload(Product.skus)
    if level_prices:
        skus = skus.joinedload(Sku.level_prices)
    return (
        select(Product, Store)
        .join(Store, Store.id == Product.store_id)
        .where(Product.id == bindparam("product_id", type_=Integer))
        .options(skus)
    )


# built once, with and without the level prices; the product id bound
_PRODUCT = {level_prices: _product_query(level_prices) for level_prices in (True, False)}


def product_for_sale(product_id: int, level_prices: bool = True) -> tuple[Product, Store] | None:
    """The product and its store for the detail page, with its SKUs and (unless not needed:
    nobody looking pays them) their level prices, in one statement; None when buyers may not see
    it (unlisted, unapproved, deleted, store deleted). The brand's name is the cached library's
    (`app.catalog.cached_library`)."""
    query = _PRODUCT[level_prices]
    row = db.session.execute(query, {"product_id": product_id}).unique().first()
    if row is None or not _visible(*row):
        return None
    return row[0], row[1]


def pack_step(product: Product) -> int:
    """The pack size: quantities are whole multiples of it (最低起订数)."""
    return max(product.min_order_qty or 1, 1)


def whole_packs(product: Product, quantity: int) -> int:
    """A typed quantity rounded up to a whole number of packs (never below one pack)."""
    step = pack_step(product)
    return max(-(-quantity // step), 1) * step


def stock_state(sku: Sku, step: int) -> str:
    if sku.stock < step:
        return SOLD_OUT
    if sku.stock < max(LOW_STOCK, LOW_STOCK_PACKS * step):
        return LOW
    return IN_STOCK


def spec_label(sku: Sku) -> str:
    """What the spec selector says: the SKU's spec, else its spec values."""
    return sku.spec or " / ".join(str(v) for v in (sku.spec_values or {}).values())


@dataclass(frozen=True)
class SkuChoice:
    sku: Sku
    label: str
    price_fen: int | None
    state: str


def sku_choices(product: Product, viewer: PriceViewer, kind: str) -> list[SkuChoice]:
    step = pack_step(product)
    return [
        SkuChoice(sku, spec_label(sku), shown_price(sku, viewer, kind), stock_state(sku, step))
        for sku in product.skus
    ]


def category_path(product: Product, tree: CategoryTree | None = None) -> list[CategoryNode]:
    if product.category_id is None:
        return []
    return (tree or category_tree()).path(product.category_id)
