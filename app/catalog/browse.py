"""Reading the storefront's catalog: the category tree, product grids (category, brand, search,
the home page's 精选 strip) and one product for its detail page.

A grid page is one query for its products (the store's name and kind joined, the SKUs brought
by `selectinload`, their level prices only for a viewer who pays them), plus a capped count only
when there is more than one page. Prices are what `app.accounts.members.shown_price` says this
viewer sees; sorting and filtering by price use the same rule written in SQL (`_price_column`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import url_for
from sqlalchemy import Select, and_, case, func, null, select
from sqlalchemy.orm import aliased, load_only, selectinload

from app.accounts.members import PriceViewer, shown_price
from app.catalog.models import AuditStatus, Brand, Category, OutsiderPrices, Product, Sku
from app.catalog.models import SkuLevelPrice as LevelPrice
from app.extensions import db
from app.i18n_markers import N_
from app.money import parse_yuan
from app.stores.models import BusinessStatus, Store, StoreKind
from app.web.paging import Page, paginate

PER_PAGE = 20
# A shelf counts its products up to here ("共 1000+ 件商品"): a buyer pages, never reads the exact
# number of a big category, and counting stops after reading this many index entries.
SHELF_COUNT_CAP = 1000
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
    size = "thumb" if thumb else None
    return url_for("media.product_image", product_id=product_id, n=n + 1, size=size, v=version)


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


def _price_column(viewer: PriceViewer):
    """The lowest price this viewer sees of each product, in SQL (`shown_price`'s rule): same-city
    goods their price; wholesale goods approved members their level's price (else the base),
    others the retail price or nothing, per the platform's setting."""
    wholesale = Store.kind == StoreKind.WHOLESALE
    if viewer.wholesale:
        level = aliased(LevelPrice)
        price = case(
            (wholesale, func.coalesce(level.price_fen, Sku.price_fen)), else_=Sku.price_fen
        )
        skus = (
            select(func.min(price))
            .select_from(Sku)
            .outerjoin(level, and_(level.sku_id == Sku.id, level.level_id == viewer.level_id))
        )
    else:
        outsiders = (
            Sku.retail_price_fen if viewer.outsider_prices == OutsiderPrices.RETAIL else null()
        )
        skus = select(func.min(case((wholesale, outsiders), else_=Sku.price_fen)))
    return skus.where(Sku.product_id == Product.id).correlate(Product, Store).scalar_subquery()


def _ordered(query: Select, sort: str, viewer: PriceViewer) -> Select:
    if sort == "sales":
        return query.order_by(Product.sales_count.desc(), Product.id.desc())
    if sort in ("price_asc", "price_desc"):
        price = _price_column(viewer)
        price = price.asc() if sort == "price_asc" else price.desc()
        return query.order_by(price.nulls_last(), Product.id.desc())
    if sort == "new":  # ids grow with time: the primary key serves the newest first
        return query.order_by(Product.id.desc())
    # 综合: the platform's pins first (newest pin first), then what sells
    return query.order_by(
        Product.pinned_at.desc().nulls_last(), Product.sales_count.desc(), Product.id.desc()
    )


def _where(filter: ProductFilter, viewer: PriceViewer) -> list:
    where = list(_on_sale())
    if filter.category_ids is not None:
        where.append(Product.category_id.in_(filter.category_ids))
    if filter.brand_id:
        where.append(Product.brand_id == filter.brand_id)
    for word in filter.words:  # LIKE '%word%': PostgreSQL's trigram index serves it
        where.append(Product.search_text.contains(word, autoescape=True))
    if filter.min_fen is not None or filter.max_fen is not None:
        price = _price_column(viewer)
        if filter.min_fen is not None:
            where.append(price >= filter.min_fen)
        if filter.max_fen is not None:
            where.append(price <= filter.max_fen)
    return where


def _cards_query(viewer: PriceViewer) -> Select:
    skus = selectinload(Product.skus)
    if viewer.wholesale:  # only approved members pay level prices
        skus = skus.selectinload(Sku.level_prices)
    return (
        select(Product, Store.name, Store.kind)
        .join(Store, Store.id == Product.store_id)
        .options(
            load_only(
                Product.id,
                Product.name,
                Product.images,
                Product.unit,
                Product.sales_count,
                Product.store_id,
            ),
            skus,
        )
    )


def _card(product: Product, store_name: str, kind: str, viewer: PriceViewer) -> ProductCard:
    prices = {shown_price(sku, viewer, kind) for sku in product.skus} - {None}
    return ProductCard(
        id=product.id,
        name=product.name,
        store_name=store_name,
        thumb=product_image_url(product.id, product.images, thumb=True),
        price_fen=min(prices) if prices else None,
        several_prices=len(prices) > 1,
        retail=kind == StoreKind.WHOLESALE and not viewer.wholesale and bool(prices),
        unit=product.unit,
        sales_count=product.sales_count,
    )


def product_cards(filter: ProductFilter, viewer: PriceViewer, per_page: int = PER_PAGE) -> Page:
    """A page (?page=) of products on sale matching the filter, as cards for this viewer."""
    where = _where(filter, viewer)
    query = _ordered(_cards_query(viewer).where(*where), filter.sort, viewer)
    counted = select(Product.id).join(Store, Store.id == Product.store_id).where(*where)
    page = paginate(query, per_page, counted=counted, as_rows=True, cap=SHELF_COUNT_CAP)
    page.items = [_card(product, name, kind, viewer) for product, name, kind in page.items]
    return page


def pinned_cards(viewer: PriceViewer, limit: int = PINNED_MAX) -> list[ProductCard]:
    """精选: the platform's pinned products on sale, newest pin first."""
    query = (
        _cards_query(viewer)
        .where(*_on_sale(), Product.pinned_at.is_not(None))
        .order_by(Product.pinned_at.desc(), Product.id.desc())
        .limit(limit)
    )
    rows = db.session.execute(query).all()
    return [_card(product, name, kind, viewer) for product, name, kind in rows]


# ---- one product --------------------------------------------------------------------------


def product_for_sale(product_id: int) -> tuple[Product, Store] | None:
    """The product and its store for the detail page, with SKUs, level prices, brand and
    category; None when buyers may not see it (unlisted, unapproved, deleted, store deleted)."""
    query = (
        select(Product, Store)
        .join(Store, Store.id == Product.store_id)
        .where(Product.id == product_id)
        .options(
            selectinload(Product.skus).selectinload(Sku.level_prices),
            selectinload(Product.brand),
        )
    )
    row = db.session.execute(query).first()
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
