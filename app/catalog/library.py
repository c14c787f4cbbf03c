"""The platform's catalog library (SPEC §3, "what the platform owns"): three-level categories with
their icons and the product parameters each asks for, tags, brands with logo and intro, the spec
library (规格库: 口味, 规格, 颜色 with their values), the unit library, and the product-audit
switch. Stores choose from these and cannot create any of them.

Operators change the library; customer service reads it; anybody else is refused. Names are unique
(categories among their siblings, parameters within their category, spec values within their
spec); an add that races another with the same name is settled by the database's unique key
(`INSERT … ON CONFLICT DO NOTHING`) and refused with the same message, never a 500.

Something in use is not removed from under the products: a category with sub-categories or
products, a brand a product carries, a spec value a SKU stands for. A tag goes from the products
that carry it. Products the platform deleted (soft) do not count; they lose the reference.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from flask import current_app, url_for
from sqlalchemy import Select, delete, func, select, update

from app.accounts.actor import Actor
from app.accounts.models import Role
from app.catalog.models import (
    MAX_CATEGORY_LEVEL,
    AuditStatus,
    Brand,
    CatalogSettings,
    Category,
    CategoryParam,
    OutsiderPrices,
    Product,
    Sku,
    SpecName,
    SpecValue,
    Tag,
    Unit,
    product_tags,
)
from app.errors import DomainError, Forbidden, InvalidInput
from app.extensions import db
from app.i18n_markers import N_
from app.images import clean_photo, keep_photo, thumb_key
from app.messages import define
from app.stores.models import Store
from app.upsert import upsert_into

# ---- lengths (the model's columns) ---------------------------------------------------------

CATEGORY_NAME_MAX = 30
TAG_NAME_MAX = 20
BRAND_NAME_MAX = 50
BRAND_INTRO_MAX = 500
PARAM_NAME_MAX = 20
SPEC_NAME_MAX = 20
SPEC_VALUE_MAX = 30
UNIT_NAME_MAX = 10
SORT_MAX = 9_999

# What each name is called in a refusal ("请填写品牌名称").
CATEGORY_NAME = N_("类目名称")
TAG_NAME = N_("标签名称")
BRAND_NAME = N_("品牌名称")
BRAND_INTRO = N_("品牌介绍")
PARAM_NAME = N_("参数名称")
SPEC_NAME = N_("规格名称")
SPEC_VALUE = N_("规格值")
UNIT_NAME = N_("单位名称")
# ...and what each thing is ("已有标签「新品」").
TAG = N_("标签")
BRAND = N_("品牌")
SPEC = N_("规格")
UNIT = N_("单位")

# ---- refusals ------------------------------------------------------------------------------

OPERATORS_ONLY = define(
    "library_operators_only", N_("只有平台运营可以修改类目、品牌、标签、规格、单位和审核设置")
)
NAME_REQUIRED = define("library_name_required", N_("请填写%(what)s"), ("what",))
TOO_LONG = define("library_too_long", N_("%(what)s不能超过 %(max)s 个字"), ("what",))
NAME_TAKEN = define("library_name_taken", N_("已有%(what)s「%(name)s」"), ("what",))
BAD_SORT = define("library_bad_sort", N_("排序请填写 0 到 %(max)s 之间的整数"))
TOP_CATEGORY_TAKEN = define("top_category_taken", N_("已有一级类目「%(name)s」"))
SUB_CATEGORY_TAKEN = define("sub_category_taken", N_("「%(parent)s」下已有类目「%(name)s」"))
CATEGORY_TOO_DEEP = define(
    "category_too_deep", N_("类目最多三级：「%(name)s」已是三级类目，不能再添加下级类目")
)
NO_PARENT_CATEGORY = define("no_parent_category", N_("上级类目不存在，请刷新页面后重试"))
CATEGORY_HAS_CHILDREN = define(
    "category_has_children",
    N_("「%(name)s」下还有 %(count)s 个下级类目，不能删除，请先删除下级类目"),
)
CATEGORY_HAS_PRODUCTS = define(
    "category_has_products",
    N_("「%(name)s」下还有 %(count)s 个商品，不能删除，请先把这些商品改到其他类目"),
)
BRAND_IN_USE = define(
    "brand_in_use",
    N_("品牌「%(name)s」正被 %(count)s 个商品使用，不能删除，请先修改这些商品的品牌"),
)
PARAM_TAKEN = define("category_param_taken", N_("「%(category)s」已有参数「%(name)s」"))
SPEC_VALUE_TAKEN = define("spec_value_taken", N_("规格「%(spec)s」已有值「%(value)s」"))
SPEC_VALUE_IN_USE = define(
    "spec_value_in_use",
    N_("「%(spec)s：%(value)s」正被 %(count)s 个商品规格（SKU）使用，不能删除"),
)
SPEC_IN_USE = define(
    "spec_in_use",
    N_("规格「%(spec)s」正被 %(count)s 个商品规格（SKU）使用，不能删除"),
)
SPEC_RENAME_IN_USE = define(
    "spec_rename_in_use",
    N_("规格「%(spec)s」正被 %(count)s 个商品规格（SKU）使用，不能改名（商品里记的是原来的名称）"),
)

Upload = tuple[str, BinaryIO]  # (file name, stream) of a chosen picture


# ---- who may change it ---------------------------------------------------------------------


def may_manage_library(actor: Actor | None) -> bool:
    return actor is not None and actor.role == Role.OPERATOR


def operator_only(actor: Actor) -> None:
    """Refuse (403) anybody but an operator: views call it before reading a form."""
    if not may_manage_library(actor):
        raise Forbidden(OPERATORS_ONLY())


def _text(value: str | None, what: str, max_len: int, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise InvalidInput(NAME_REQUIRED(what=what))
    if len(value) > max_len:
        raise InvalidInput(TOO_LONG(what=what, max=max_len))
    return value


def _sort(value: int | None) -> int:
    if value is None or not 0 <= value <= SORT_MAX:
        raise InvalidInput(BAD_SORT(max=SORT_MAX))
    return value


def _next_sort(column, *where) -> int:
    top = db.session.scalar(select(func.max(column)).where(*where))
    return (top or 0) + 1


def _insert_unique(model, unique: list, taken, **values):
    """Add a row whose `unique` columns must be new: a twin that got there first (or a row that
    was there already) is refused with `taken`, in one statement."""
    new_id = db.session.execute(
        upsert_into(model)
        .values(**values)
        .on_conflict_do_nothing(index_elements=unique)
        .returning(model.id)
    ).scalar()
    if new_id is None:
        raise InvalidInput(taken)
    return db.session.get(model, new_id)


def _same_name(model, column, name: str, keep=None) -> bool:
    same = db.session.execute(select(model).where(column == name)).scalars().first()
    return same is not None and same is not keep


# ---- categories ----------------------------------------------------------------------------


@dataclass
class CategoryNode:
    """One category in the tree, its children, and the live products under it (all levels)."""

    category: Category
    children: list[CategoryNode] = field(default_factory=list)
    product_count: int = 0

    @property
    def level(self) -> int:
        return self.category.level


@dataclass(frozen=True)
class LeafCategory:
    """A third-level category with its path, for a product's category select."""

    category: Category
    path: str  # 食品饮料 / 饮料 / 果汁

    @property
    def id(self) -> int:
        return self.category.id


def category_tree(with_counts: bool = False) -> list[CategoryNode]:
    """The first-level categories with their children, each level in its order (sort, then
    id), from one query (and one more for the product counts when asked)."""
    categories = db.session.execute(select(Category).order_by(Category.sort, Category.id)).scalars()
    counts = category_product_counts() if with_counts else {}
    nodes: dict[int, CategoryNode] = {}
    children: dict[int | None, list[CategoryNode]] = defaultdict(list)
    for category in categories:
        node = CategoryNode(category, product_count=counts.get(category.id, 0))
        nodes[category.id] = node
        children[category.parent_id].append(node)
    for category_id, node in nodes.items():
        node.children = children.get(category_id, [])
    roots = children.get(None, [])
    for root in roots:
        _add_up(root)
    return roots


def _add_up(node: CategoryNode) -> int:
    node.product_count += sum(_add_up(child) for child in node.children)
    return node.product_count


def walk(tree: list[CategoryNode]) -> Iterator[CategoryNode]:
    """The tree in display order: each category followed by its children."""
    for node in tree:
        yield node
        yield from walk(node.children)


def category_product_counts() -> dict[int, int]:
    """category id → the live (not deleted) products hanging on it directly."""
    rows = db.session.execute(
        select(Product.category_id, func.count())
        .where(Product.category_id.is_not(None), Product.deleted_at.is_(None))
        .group_by(Product.category_id)
    )
    return dict(rows.all())


def _paths(tree: list[CategoryNode], above: str = "") -> Iterator[tuple[CategoryNode, str]]:
    for node in tree:
        path = f"{above} / {node.category.name}" if above else node.category.name
        yield node, path
        yield from _paths(node.children, path)


def leaf_categories() -> list[LeafCategory]:
    """The third-level categories in tree order with their paths (products hang on these)."""
    return [
        LeafCategory(node.category, path)
        for node, path in _paths(category_tree())
        if node.level == MAX_CATEGORY_LEVEL
    ]


def category_path(category: Category) -> str:
    """ "食品饮料 / 饮料 / 果汁": the category's ancestors and itself."""
    names = []
    current: Category | None = category
    while current is not None and len(names) < MAX_CATEGORY_LEVEL:
        names.append(current.name)
        current = current.parent
    return " / ".join(reversed(names))


def _category_name(name: str, parent: Category | None, keep: Category | None = None) -> str:
    name = _text(name, CATEGORY_NAME, CATEGORY_NAME_MAX)
    parent_id = parent.id if parent else None
    siblings = select(Category).where(Category.name == name)
    siblings = siblings.where(
        Category.parent_id == parent_id if parent_id else Category.parent_id.is_(None)
    )
    same = db.session.execute(siblings).scalars().first()
    if same is not None and same is not keep:
        if parent is None:
            raise InvalidInput(TOP_CATEGORY_TAKEN(name=name))
        raise InvalidInput(SUB_CATEGORY_TAKEN(parent=parent.name, name=name))
    return name


def add_category(name: str, parent_id: int | None, actor: Actor) -> Category:
    """A first-level category (no parent), or one level below its parent; a category under a
    third-level one is refused (three levels at most). It goes last among its siblings."""
    operator_only(actor)
    parent = None
    if parent_id is not None:
        parent = db.session.get(Category, parent_id)
        if parent is None:
            raise InvalidInput(NO_PARENT_CATEGORY())
        if parent.level >= MAX_CATEGORY_LEVEL:
            raise InvalidInput(CATEGORY_TOO_DEEP(name=parent.name))
    name = _category_name(name, parent)
    siblings = (
        Category.parent_id == parent.id if parent is not None else Category.parent_id.is_(None)
    )
    category = Category(
        name=name,
        parent_id=parent.id if parent else None,
        level=parent.level + 1 if parent else 1,
        sort=_next_sort(Category.sort, siblings),
    )
    db.session.add(category)
    db.session.flush()
    return category


def update_category(category: Category, name: str, sort: int | None, actor: Actor) -> None:
    """Rename and reorder (smaller sort first among its siblings)."""
    operator_only(actor)
    category.name = _category_name(name, category.parent, keep=category)
    category.sort = _sort(sort)
    db.session.flush()


def set_category_icon(category: Category, upload: Upload, actor: Actor) -> None:
    """A new icon: checked and re-encoded before anything is stored (a file that is no picture
    is refused and nothing changes); the stored file goes again if the request rolls back."""
    operator_only(actor)
    image = clean_photo(upload[1], upload[0], current_app.config["MAX_PHOTO_BYTES"])
    category.icon_key = keep_photo(f"categories/{category.id}", image)
    db.session.flush()


def remove_category_icon(category: Category, actor: Actor) -> None:
    operator_only(actor)
    category.icon_key = None
    db.session.flush()


def delete_category(category: Category, actor: Actor) -> None:
    """Only a category without sub-categories and without products; the refusal says how many
    are in the way. Its parameters go with it."""
    operator_only(actor)
    children = db.session.scalar(select(func.count()).where(Category.parent_id == category.id))
    if children:
        raise DomainError(CATEGORY_HAS_CHILDREN(name=category.name, count=children))
    products = db.session.scalar(
        select(func.count()).where(Product.category_id == category.id, Product.deleted_at.is_(None))
    )
    if products:
        raise DomainError(CATEGORY_HAS_PRODUCTS(name=category.name, count=products))
    db.session.execute(
        update(Product).where(Product.category_id == category.id).values(category_id=None)
    )
    db.session.execute(delete(CategoryParam).where(CategoryParam.category_id == category.id))
    db.session.delete(category)
    db.session.flush()


def category_icon_key(category: Category, thumb: bool = False) -> str | None:
    if category.icon_key is None:
        return None
    return thumb_key(category.icon_key) if thumb else category.icon_key


def _version(key: str) -> str:
    return key.rsplit("/", 1)[-1].removesuffix(".jpg")[:12]


def category_icon_url(category: Category, thumb: bool = False) -> str | None:
    """Where a page finds the category's icon (public); None when it has none. The URL names the
    file, so a new icon is a new URL."""
    if category.icon_key is None:
        return None
    return url_for(
        "media.category_icon",
        category_id=category.id,
        size="thumb" if thumb else None,
        v=_version(category.icon_key),
    )


# ---- category parameters -------------------------------------------------------------------


def params_by_category() -> dict[int, list[CategoryParam]]:
    """category id → its own parameters in order, for the parameters page."""
    grouped: dict[int, list[CategoryParam]] = defaultdict(list)
    rows = db.session.execute(
        select(CategoryParam).order_by(CategoryParam.sort, CategoryParam.id)
    ).scalars()
    for param in rows:
        grouped[param.category_id].append(param)
    return grouped


def params_for(category: Category) -> list[str]:
    """The parameter names a product of this category fills in: its ancestors' first (a
    parameter of 饮料 applies to 果汁), then its own; each name once."""
    chain: list[int] = []
    current: Category | None = category
    while current is not None and len(chain) < MAX_CATEGORY_LEVEL:
        chain.insert(0, current.id)
        current = current.parent
    rows = db.session.execute(
        select(CategoryParam).where(CategoryParam.category_id.in_(chain))
    ).scalars()
    ordered = sorted(rows, key=lambda p: (chain.index(p.category_id), p.sort, p.id))
    return list(dict.fromkeys(param.name for param in ordered))


def add_param(category: Category, name: str, actor: Actor) -> CategoryParam:
    operator_only(actor)
    name = _text(name, PARAM_NAME, PARAM_NAME_MAX)
    taken = PARAM_TAKEN(category=category.name, name=name)
    same = select(CategoryParam.id).where(
        CategoryParam.category_id == category.id, CategoryParam.name == name
    )
    if db.session.execute(same).first() is not None:
        raise InvalidInput(taken)
    return _insert_unique(
        CategoryParam,
        [CategoryParam.category_id, CategoryParam.name],
        taken,
        category_id=category.id,
        name=name,
        sort=_next_sort(CategoryParam.sort, CategoryParam.category_id == category.id),
    )


def remove_param(param: CategoryParam, actor: Actor) -> None:
    """Products keep the values they were given; new products no longer ask for it."""
    operator_only(actor)
    db.session.delete(param)
    db.session.flush()


# ---- tags ----------------------------------------------------------------------------------


def tags() -> list[Tag]:
    return list(db.session.execute(select(Tag).order_by(Tag.sort, Tag.id)).scalars())


def tag_product_counts() -> dict[int, int]:
    rows = db.session.execute(
        select(product_tags.c.tag_id, func.count())
        .join(Product, Product.id == product_tags.c.product_id)
        .where(Product.deleted_at.is_(None))
        .group_by(product_tags.c.tag_id)
    )
    return dict(rows.all())


def add_tag(name: str, actor: Actor) -> Tag:
    operator_only(actor)
    name = _text(name, TAG_NAME, TAG_NAME_MAX)
    taken = NAME_TAKEN(what=TAG, name=name)
    if _same_name(Tag, Tag.name, name):
        raise InvalidInput(taken)
    return _insert_unique(Tag, [Tag.name], taken, name=name, sort=_next_sort(Tag.sort))


def rename_tag(tag: Tag, name: str, actor: Actor) -> None:
    operator_only(actor)
    name = _text(name, TAG_NAME, TAG_NAME_MAX)
    if _same_name(Tag, Tag.name, name, keep=tag):
        raise InvalidInput(NAME_TAKEN(what=TAG, name=name))
    tag.name = name
    db.session.flush()


def delete_tag(tag: Tag, actor: Actor) -> None:
    """The tag goes, and with it from every product that carried it."""
    operator_only(actor)
    db.session.execute(delete(product_tags).where(product_tags.c.tag_id == tag.id))
    db.session.delete(tag)
    db.session.flush()


# ---- brands --------------------------------------------------------------------------------


def brands() -> list[Brand]:
    return list(db.session.execute(select(Brand).order_by(Brand.sort, Brand.id)).scalars())


def brand_product_counts() -> dict[int, int]:
    rows = db.session.execute(
        select(Product.brand_id, func.count())
        .where(Product.brand_id.is_not(None), Product.deleted_at.is_(None))
        .group_by(Product.brand_id)
    )
    return dict(rows.all())


def brand_products(brand: Brand) -> Select:
    """The brand page's products: listed, approved, not deleted, of stores not deleted; best
    sellers first. A Select, so the page can paginate it (add the SKUs with selectinload)."""
    return (
        select(Product)
        .join(Store, Store.id == Product.store_id)
        .where(
            Product.brand_id == brand.id,
            Product.listed.is_(True),
            Product.audit_status == AuditStatus.APPROVED,
            Product.deleted_at.is_(None),
            Store.deleted_at.is_(None),
        )
        .order_by(Product.sales_count.desc(), Product.id.desc())
    )


def _brand_fields(name: str, intro: str, keep: Brand | None = None) -> tuple[str, str]:
    name = _text(name, BRAND_NAME, BRAND_NAME_MAX)
    intro = _text(intro, BRAND_INTRO, BRAND_INTRO_MAX, required=False)
    if _same_name(Brand, Brand.name, name, keep=keep):
        raise InvalidInput(NAME_TAKEN(what=BRAND, name=name))
    return name, intro


def _clean_logo(logo: Upload | None):
    if logo is None or not logo[0]:
        return None
    return clean_photo(logo[1], logo[0], current_app.config["MAX_PHOTO_BYTES"])


def add_brand(name: str, intro: str, logo: Upload | None, actor: Actor) -> Brand:
    """A brand with its intro and (optional) logo; the logo is checked before anything is kept."""
    operator_only(actor)
    name, intro = _brand_fields(name, intro)
    image = _clean_logo(logo)
    brand = _insert_unique(
        Brand,
        [Brand.name],
        NAME_TAKEN(what=BRAND, name=name),
        name=name,
        intro=intro,
        sort=_next_sort(Brand.sort),
    )
    if image is not None:
        brand.logo_key = keep_photo(f"brands/{brand.id}", image)
    db.session.flush()
    return brand


def update_brand(
    brand: Brand,
    name: str,
    intro: str,
    logo: Upload | None,
    actor: Actor,
    remove_logo: bool = False,
) -> None:
    """Name, intro, and a new logo (or none); all checked before anything changes."""
    operator_only(actor)
    name, intro = _brand_fields(name, intro, keep=brand)
    image = _clean_logo(logo)
    brand.name, brand.intro = name, intro
    if image is not None:
        brand.logo_key = keep_photo(f"brands/{brand.id}", image)
    elif remove_logo:
        brand.logo_key = None
    db.session.flush()


def delete_brand(brand: Brand, actor: Actor) -> None:
    """Only a brand no product carries; the refusal says how many do."""
    operator_only(actor)
    used = db.session.scalar(
        select(func.count()).where(Product.brand_id == brand.id, Product.deleted_at.is_(None))
    )
    if used:
        raise DomainError(BRAND_IN_USE(name=brand.name, count=used))
    db.session.execute(update(Product).where(Product.brand_id == brand.id).values(brand_id=None))
    db.session.delete(brand)
    db.session.flush()


def brand_logo_key(brand: Brand, thumb: bool = False) -> str | None:
    if brand.logo_key is None:
        return None
    return thumb_key(brand.logo_key) if thumb else brand.logo_key


def brand_logo_url(brand: Brand, thumb: bool = False) -> str | None:
    """Where a page finds the brand's logo (public); None when it has none."""
    if brand.logo_key is None:
        return None
    return url_for(
        "media.brand_logo",
        brand_id=brand.id,
        size="thumb" if thumb else None,
        v=_version(brand.logo_key),
    )


# ---- the spec library ----------------------------------------------------------------------


def spec_library() -> list[SpecName]:
    """The specs in order, each with its values (loaded with them)."""
    return list(db.session.execute(select(SpecName).order_by(SpecName.sort, SpecName.id)).scalars())


def spec_usage() -> dict[str, Counter]:
    """spec name → value → how many SKUs of live products stand for it (read from the SKUs'
    `spec_values`, the words the product was saved with)."""
    usage: dict[str, Counter] = defaultdict(Counter)
    rows = db.session.execute(
        select(Sku.spec_values)
        .join(Product, Product.id == Sku.product_id)
        .where(Product.deleted_at.is_(None))
    ).scalars()
    for values in rows:
        if isinstance(values, dict):
            for spec, value in values.items():
                usage[str(spec)][str(value)] += 1
    return usage


def add_spec(name: str, actor: Actor) -> SpecName:
    operator_only(actor)
    name = _text(name, SPEC_NAME, SPEC_NAME_MAX)
    taken = NAME_TAKEN(what=SPEC, name=name)
    if _same_name(SpecName, SpecName.name, name):
        raise InvalidInput(taken)
    return _insert_unique(
        SpecName, [SpecName.name], taken, name=name, sort=_next_sort(SpecName.sort)
    )


def rename_spec(spec: SpecName, name: str, actor: Actor) -> None:
    """Only a spec no SKU stands for yet: products keep the name they were saved with."""
    operator_only(actor)
    name = _text(name, SPEC_NAME, SPEC_NAME_MAX)
    if name == spec.name:
        return
    if _same_name(SpecName, SpecName.name, name, keep=spec):
        raise InvalidInput(NAME_TAKEN(what=SPEC, name=name))
    used = sum(spec_usage().get(spec.name, Counter()).values())
    if used:
        raise DomainError(SPEC_RENAME_IN_USE(spec=spec.name, count=used))
    spec.name = name
    db.session.flush()


def delete_spec(spec: SpecName, actor: Actor) -> None:
    """Only a spec no SKU stands for; its values go with it."""
    operator_only(actor)
    used = sum(spec_usage().get(spec.name, Counter()).values())
    if used:
        raise DomainError(SPEC_IN_USE(spec=spec.name, count=used))
    db.session.delete(spec)
    db.session.flush()


def add_spec_value(spec: SpecName, value: str, actor: Actor) -> SpecValue:
    operator_only(actor)
    value = _text(value, SPEC_VALUE, SPEC_VALUE_MAX)
    taken = SPEC_VALUE_TAKEN(spec=spec.name, value=value)
    if value in {each.value for each in spec.values}:
        raise InvalidInput(taken)
    row = _insert_unique(
        SpecValue,
        [SpecValue.spec_id, SpecValue.value],
        taken,
        spec_id=spec.id,
        value=value,
        sort=_next_sort(SpecValue.sort, SpecValue.spec_id == spec.id),
    )
    db.session.expire(spec, ["values"])
    return row


def remove_spec_value(value: SpecValue, actor: Actor) -> None:
    """Only a value no SKU stands for (a SKU saved as {"口味": "原味"} keeps 原味)."""
    operator_only(actor)
    spec = db.session.get(SpecName, value.spec_id)
    used = spec_usage().get(spec.name, Counter()).get(value.value, 0)
    if used:
        raise DomainError(SPEC_VALUE_IN_USE(spec=spec.name, value=value.value, count=used))
    db.session.delete(value)
    db.session.flush()
    db.session.expire(spec, ["values"])


# ---- units ---------------------------------------------------------------------------------


def units() -> list[Unit]:
    return list(db.session.execute(select(Unit).order_by(Unit.sort, Unit.id)).scalars())


def add_unit(name: str, actor: Actor) -> Unit:
    operator_only(actor)
    name = _text(name, UNIT_NAME, UNIT_NAME_MAX)
    taken = NAME_TAKEN(what=UNIT, name=name)
    if _same_name(Unit, Unit.name, name):
        raise InvalidInput(taken)
    return _insert_unique(Unit, [Unit.name], taken, name=name, sort=_next_sort(Unit.sort))


def delete_unit(unit: Unit, actor: Actor) -> None:
    """Products keep the unit they were saved with (it is their own words); new products no
    longer offer it."""
    operator_only(actor)
    db.session.delete(unit)
    db.session.flush()


# ---- product audit -------------------------------------------------------------------------


def product_audit_on() -> bool:
    """Whether stores' new and edited products wait for the platform's approval."""
    settings = db.session.get(CatalogSettings, 1)
    return bool(settings and settings.product_audit)


def set_product_audit(on: bool, actor: Actor) -> None:
    operator_only(actor)
    settings = db.session.get(CatalogSettings, 1)
    if settings is None:
        settings = CatalogSettings(id=1, outsider_prices=OutsiderPrices.NONE)
        db.session.add(settings)
    settings.product_audit = bool(on)
    db.session.flush()


# ---- demo data -----------------------------------------------------------------------------

DEMO_CATEGORIES = {
    "食品饮料": {"饮料": ["果汁", "矿泉水", "茶饮"], "休闲零食": ["坚果"]},
    "餐饮外卖": {"中式快餐": ["盖饭", "粉面"], "甜品饮品": ["糖水"]},
    "日用百货": {"餐具": ["一次性餐盒"]},
}
DEMO_BRANDS = ("椰树", "怡宝", "农夫山泉", "春光")
DEMO_TAGS = ("新品", "热销", "海南特产")
DEMO_SPECS = {"口味": ("原味", "无糖"), "规格": ("250ml", "1L", "550ml"), "颜色": ("白色", "黑色")}
DEMO_UNITS = ("件", "箱", "瓶", "份", "碗", "个", "扎")
DEMO_PARAMS = {("食品饮料", "饮料", "果汁"): ("产地", "保质期", "净含量")}


def _demo_category(name: str, parent: Category | None, sort: int) -> Category:
    query = select(Category).where(Category.name == name)
    query = query.where(Category.parent_id == parent.id if parent else Category.parent_id.is_(None))
    category = db.session.execute(query).scalars().first()
    if category is None:
        category = Category(
            name=name,
            parent_id=parent.id if parent else None,
            level=parent.level + 1 if parent else 1,
            sort=sort,
        )
        db.session.add(category)
        db.session.flush()
    return category


def _demo_named(model, column, name: str, sort: int, **extra):
    row = db.session.execute(select(model).where(column == name)).scalars().first()
    if row is None:
        row = model(sort=sort, **{column.key: name}, **extra)
        db.session.add(row)
        db.session.flush()
    return row


def install_demo_library() -> None:
    """The demo data's library (get-or-create by name: running it twice changes nothing)."""
    made: dict[tuple[str, ...], Category] = {}
    for i, (top, seconds) in enumerate(DEMO_CATEGORIES.items(), start=1):
        first = made[(top,)] = _demo_category(top, None, i)
        for j, (second, thirds) in enumerate(seconds.items(), start=1):
            middle = made[(top, second)] = _demo_category(second, first, j)
            for k, third in enumerate(thirds, start=1):
                made[(top, second, third)] = _demo_category(third, middle, k)
    for i, name in enumerate(DEMO_BRANDS, start=1):
        _demo_named(Brand, Brand.name, name, i, intro="")
    for i, name in enumerate(DEMO_TAGS, start=1):
        _demo_named(Tag, Tag.name, name, i)
    for i, (name, values) in enumerate(DEMO_SPECS.items(), start=1):
        spec = _demo_named(SpecName, SpecName.name, name, i)
        have = {each.value for each in spec.values}
        for j, value in enumerate(values, start=1):
            if value not in have:
                spec.values.append(SpecValue(value=value, sort=j))
    for i, name in enumerate(DEMO_UNITS, start=1):
        _demo_named(Unit, Unit.name, name, i)
    for path, names in DEMO_PARAMS.items():
        category = made[path]
        have = {p.name for p in params_by_category().get(category.id, [])}
        for i, name in enumerate(names, start=1):
            if name not in have:
                db.session.add(CategoryParam(category_id=category.id, name=name, sort=i))
    db.session.flush()
