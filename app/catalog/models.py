"""The catalog: the platform's library (categories, tags, brands, parameters, specs, units), the
stores' products with their SKUs and member-level prices, stock movements, the audit trail, and
buyers' reviews. A product belongs to one store; each SKU (spec) has its own price and stock."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    JSON,
    Column,
    ForeignKey,
    Index,
    String,
    Table,
    Text,
    UniqueConstraint,
    event,
    text,
)
from sqlalchemy.orm import Mapped, ORMExecuteState, Session, mapped_column, relationship

from app.clock import utcnow
from app.extensions import db
from app.i18n_markers import N_

# ---- the platform's library (stores cannot create any of these) -----------------------------


class Category(db.Model):
    """Three levels: 一级 (食品饮料) > 二级 (饮料) > 三级 (果汁); products hang on a third-level
    (leaf) category."""

    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"), index=True)
    level: Mapped[int] = mapped_column(default=1)  # 1, 2 or 3
    name: Mapped[str] = mapped_column(String(30))
    icon_key: Mapped[str | None] = mapped_column(String(255))  # a stored picture (storage key)
    sort: Mapped[int] = mapped_column(default=0)  # smaller first
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    parent: Mapped[Category | None] = relationship(remote_side="Category.id")


MAX_CATEGORY_LEVEL = 3


class Tag(db.Model):
    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(20), unique=True)
    sort: Mapped[int] = mapped_column(default=0)


class Brand(db.Model):
    __tablename__ = "brands"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50), unique=True)
    logo_key: Mapped[str | None] = mapped_column(String(255))
    intro: Mapped[str] = mapped_column(String(500), default="")
    sort: Mapped[int] = mapped_column(default=0)


class CategoryParam(db.Model):
    """A product parameter a category asks for (饮料: 产地, 保质期, 净含量)."""

    __tablename__ = "category_params"
    __table_args__ = (UniqueConstraint("category_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"), index=True)
    name: Mapped[str] = mapped_column(String(20))
    sort: Mapped[int] = mapped_column(default=0)


class SpecName(db.Model):
    """A spec dimension of the 规格库 (口味, 规格, 颜色) with its values."""

    __tablename__ = "spec_names"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(20), unique=True)
    sort: Mapped[int] = mapped_column(default=0)

    values: Mapped[list[SpecValue]] = relationship(
        order_by="SpecValue.sort, SpecValue.id", cascade="all, delete-orphan"
    )


class SpecValue(db.Model):
    __tablename__ = "spec_values"
    __table_args__ = (UniqueConstraint("spec_id", "value"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    spec_id: Mapped[int] = mapped_column(ForeignKey("spec_names.id"), index=True)
    value: Mapped[str] = mapped_column(String(30))
    sort: Mapped[int] = mapped_column(default=0)


class Unit(db.Model):
    """The unit library (件, 箱, 瓶, 份)."""

    __tablename__ = "units"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(10), unique=True)
    sort: Mapped[int] = mapped_column(default=0)


# ---- products ---------------------------------------------------------------------------------


class AuditStatus(StrEnum):
    PENDING = "pending"  # 待审核
    APPROVED = "approved"  # 已通过
    REJECTED = "rejected"  # 已拒绝 (the reason is in audit_reason)


AUDIT_STATUS_LABELS = {
    AuditStatus.PENDING: N_("待审核"),
    AuditStatus.APPROVED: N_("已通过"),
    AuditStatus.REJECTED: N_("已拒绝"),
}


class ListingChoice(StrEnum):
    """What happens when the platform approves a product (with product audit on)."""

    ON_APPROVAL = "on_approval"  # 审核通过后上架
    KEEP_UNLISTED = "keep_unlisted"  # 暂不上架
    AT_TIME = "at_time"  # 定时上架 at list_at (on approval if that comes later)


LISTING_CHOICE_LABELS = {
    ListingChoice.ON_APPROVAL: N_("审核通过后立即上架"),
    ListingChoice.KEEP_UNLISTED: N_("暂不上架"),
    ListingChoice.AT_TIME: N_("定时上架"),
}

product_tags = Table(
    "product_tags",
    db.metadata,
    Column("product_id", ForeignKey("products.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True),
)


# A product on sale, written exactly as the storefront's queries write it (`browse._on_sale`), so
# PostgreSQL can prove its partial indexes serve them.
SHELF_PREDICATE = "listed IS TRUE AND deleted_at IS NULL AND audit_status = 'approved'"


class Product(db.Model):
    __tablename__ = "products"
    __table_args__ = (
        # 货号 is unique within a store (when given)
        Index(
            "uq_products_store_item_no",
            "store_id",
            "item_no",
            unique=True,
            postgresql_where=text("item_no <> ''"),
            sqlite_where=text("item_no <> ''"),
        ),
        # substring search on PostgreSQL (pg_trgm; SQLite scans, which suits its sizes)
        Index(
            "ix_products_search_trgm",
            "search_text",
            postgresql_using="gin",
            postgresql_ops={"search_text": "gin_trgm_ops"},
        ).ddl_if(dialect="postgresql"),
        # the storefront's shelves in their 综合 order (pins first, then what sells), only the
        # products on sale: a grid page reads its 20 cards straight off the index and stops
        Index(
            "ix_products_shelf_category",
            "category_id",
            text("pinned_at DESC NULLS LAST"),
            text("sales_count DESC"),
            text("id DESC"),
            postgresql_where=text(SHELF_PREDICATE),
        ).ddl_if(dialect="postgresql"),
        Index(
            "ix_products_shelf",
            text("pinned_at DESC NULLS LAST"),
            text("sales_count DESC"),
            text("id DESC"),
            postgresql_where=text(SHELF_PREDICATE),
        ).ddl_if(dialect="postgresql"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))  # the title
    item_no: Mapped[str] = mapped_column(String(50), default="")  # 货号
    model: Mapped[str] = mapped_column(String(50), default="")  # 型号
    specification: Mapped[str] = mapped_column(String(100), default="")  # 规格 (one line)
    unit: Mapped[str] = mapped_column(String(20), default="份")
    pack_unit: Mapped[str] = mapped_column(String(20), default="")  # e.g. "12瓶/箱"
    min_order_qty: Mapped[int] = mapped_column(default=1)  # 最低起订数; steps are multiples
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"), index=True)
    brand_id: Mapped[int | None] = mapped_column(ForeignKey("brands.id"), index=True)
    images: Mapped[list] = mapped_column(JSON, default=list)  # storage keys, first is the cover
    params: Mapped[dict] = mapped_column(JSON, default=dict)  # parameter name -> value
    description: Mapped[str] = mapped_column(Text, default="")  # sanitised HTML (nh3)
    listed: Mapped[bool] = mapped_column(default=True)
    audit_status: Mapped[str] = mapped_column(String(10), default=AuditStatus.APPROVED)
    audit_reason: Mapped[str] = mapped_column(String(200), default="")
    listing_choice: Mapped[str] = mapped_column(String(20), default=ListingChoice.ON_APPROVAL)
    list_at: Mapped[datetime | None]  # for ListingChoice.AT_TIME
    # A listed product whose title or prices were edited under audit keeps selling the approved
    # version; the edit waits here until the platform approves it (then it is applied).
    pending_changes: Mapped[dict | None] = mapped_column(JSON)
    pinned_at: Mapped[
        datetime | None
    ]  # 置顶 by the platform: pinned products first, newest pin first
    sales_count: Mapped[int] = mapped_column(default=0)  # pieces sold (completed orders)
    # title, item number, brand and category names in one lower-cased line (search; PostgreSQL
    # serves substring matches from a pg_trgm GIN index on it)
    search_text: Mapped[str] = mapped_column(Text, default="")
    deleted_at: Mapped[datetime | None]  # deleted by the platform: gone everywhere
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    skus: Mapped[list[Sku]] = relationship(back_populates="product", order_by="Sku.id")
    category: Mapped[Category | None] = relationship()
    brand: Mapped[Brand | None] = relationship()
    tags: Mapped[list[Tag]] = relationship(secondary=product_tags, order_by="Tag.sort, Tag.id")


class Sku(db.Model):
    __tablename__ = "skus"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    spec: Mapped[str] = mapped_column(String(100), default="")  # shown: "原味 / 1L"
    # the spec values it stands for, in the product's dimension order: {"口味": "原味", "规格": "1L"}
    spec_values: Mapped[dict] = mapped_column(JSON, default=dict)
    code: Mapped[str] = mapped_column(String(50), default="")  # SKU 编码
    price_fen: Mapped[int]  # the base price; for a wholesale store what approved members pay
    # the retail price shown to visitors and members not approved, when the platform's setting
    # says they see one (CatalogSettings.outsider_prices); None: they see no price
    retail_price_fen: Mapped[int | None]
    stock: Mapped[int] = mapped_column(default=0)

    product: Mapped[Product] = relationship(back_populates="skus")
    level_prices: Mapped[list[SkuLevelPrice]] = relationship(
        cascade="all, delete-orphan", order_by="SkuLevelPrice.level_id"
    )


class SkuLevelPrice(db.Model):
    """What members of one level pay for one SKU (a blank price: the level pays the base)."""

    __tablename__ = "sku_level_prices"

    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id", ondelete="CASCADE"), primary_key=True)
    level_id: Mapped[int] = mapped_column(
        ForeignKey("member_levels.id", ondelete="CASCADE"), primary_key=True
    )
    price_fen: Mapped[int]


class StockMovement(db.Model):
    """Every change of a SKU's stock: who, why, before and after; never a silent overwrite."""

    __tablename__ = "stock_movements"

    id: Mapped[int] = mapped_column(primary_key=True)
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_name: Mapped[str] = mapped_column(String(50), default="")
    reason: Mapped[str] = mapped_column(String(200), default="")  # typed, or a message code
    before: Mapped[int]
    after: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ProductEvent(db.Model):
    """The product's trail: submitted, approved, rejected, listed, unlisted, pinned, deleted."""

    __tablename__ = "product_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_name: Mapped[str] = mapped_column(String(50), default="")
    actor_role: Mapped[str] = mapped_column(String(20), default="")
    kind: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Review(db.Model):
    """A buyer's review of one item of a completed order (once per item)."""

    __tablename__ = "reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_item_id: Mapped[int] = mapped_column(ForeignKey("order_items.id"), unique=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"), index=True)
    buyer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    stars: Mapped[int]  # 1-5
    text: Mapped[str] = mapped_column(String(500), default="")
    photos: Mapped[list] = mapped_column(JSON, default=list)  # storage keys, at most 6
    reply: Mapped[str] = mapped_column(String(500), default="")  # the store's answer
    replied_at: Mapped[datetime | None]
    deleted_at: Mapped[datetime | None]
    deleted_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# ---- settings --------------------------------------------------------------------------------


class OutsiderPrices(StrEnum):
    RETAIL = "retail"  # visitors and members not approved see the retail price
    NONE = "none"  # they see no price ("审核通过后可见")


def new_library_version() -> str:
    """A fresh stamp: random, so two databases (or a database emptied and refilled) never share
    one with different contents."""
    return uuid.uuid4().hex


class CatalogSettings(db.Model):
    """The platform's catalog rules (one row, made by the migration)."""

    __tablename__ = "catalog_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    # what people who may not buy wholesale see on a wholesale store's products
    outsider_prices: Mapped[str] = mapped_column(String(10), default=OutsiderPrices.NONE)
    product_audit: Mapped[bool] = mapped_column(default=False)  # stores' products need approval
    # renewed by every change of a category or brand (app.catalog.cached_library): processes
    # keep the storefront's tree and brand list while it stays the same; None: keep nothing
    library_version: Mapped[str | None] = mapped_column(String(32), default=new_library_version)


# ---- the library's version ---------------------------------------------------------------------
# Any change of a category or brand made through the ORM (a unit of work, or an INSERT / UPDATE /
# DELETE statement on their tables run by a session) renews `CatalogSettings.library_version` in
# the same transaction, so the caches of every process see it with the commit. Raw SQL bypasses
# this: whoever writes categories or brands that way must renew the stamp too.

_LIBRARY = (Category, Brand)
_LIBRARY_TABLES = frozenset(model.__tablename__ for model in _LIBRARY)


def renew_library_version(session: Session) -> None:
    """A fresh stamp on the settings row (none there: no process keeps the library anyway)."""
    session.connection().execute(
        CatalogSettings.__table__.update()
        .where(CatalogSettings.__table__.c.id == 1)
        .values(library_version=new_library_version())
    )


@event.listens_for(Session, "before_flush")
def _library_edited_in_unit_of_work(session: Session, flush_context, instances) -> None:
    changed = (
        *(obj for obj in session.new if isinstance(obj, _LIBRARY)),
        *(obj for obj in session.deleted if isinstance(obj, _LIBRARY)),
        *(o for o in session.dirty if isinstance(o, _LIBRARY) and session.is_modified(o)),
    )
    if changed:
        renew_library_version(session)


@event.listens_for(Session, "do_orm_execute")
def _library_edited_by_statement(state: ORMExecuteState) -> None:
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    table = getattr(state.statement, "table", None)
    if getattr(table, "name", None) in _LIBRARY_TABLES:
        renew_library_version(state.session)
