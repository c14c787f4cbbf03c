"""What the platform does with stores' products (SPEC §3): audit (approve / reject), list and
unlist, pin to the top, delete. The platform never edits a store's product.

Operators and customer service audit, list, unlist and pin; only operators delete (a deletion
cannot be undone, like a store's). Every verb is a compare-and-set on the row it changes, so of
two staff pressing at once one wins ("该商品已被他人审核") and a double tap is a no-op; every
change writes one `ProductEvent` with who and why.

A product waits for review when it is a first submission (`audit_status` pending) or when it is
an approved product whose edit waits in `pending_changes` (the approved version stays on sale
until the edit is approved; a rejection discards the edit and the product stays approved).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Select, String, and_, cast, func, or_, select, update
from sqlalchemy.orm import aliased, selectinload

from app.accounts.actor import SYSTEM, Actor
from app.accounts.models import MemberLevel, Role
from app.catalog.editor import apply_pending_changes
from app.catalog.models import (
    AuditStatus,
    Category,
    ListingChoice,
    Product,
    ProductEvent,
    Sku,
)
from app.clock import utcnow
from app.deadlines import cancel, schedule
from app.errors import AlreadyTaken, Forbidden, IllegalTransition, InvalidInput
from app.extensions import db
from app.i18n_markers import N_
from app.messages import define
from app.stores.models import Store

LIST_PRODUCT = "list_product"  # the deadline kind of 定时上架 (handled in app/catalog/deadlines.py)
REASON_MAX = 200

# Who may do what (decided here, said in the README's Decisions).
AUDITORS = (Role.OPERATOR, Role.SERVICE)  # review, list / unlist, pin
DELETERS = (Role.OPERATOR,)  # deletion cannot be undone

STAFF_MANAGES_PRODUCTS = define(
    "staff_manages_products", N_("只有平台运营或客服可以审核和管理商品")
)
OPERATOR_DELETES_PRODUCTS = define("operator_deletes_products", N_("只有平台运营可以删除商品"))
PRODUCT_REVIEWED_MEANWHILE = define("product_reviewed_meanwhile", N_("该商品已被他人审核"))
PRODUCT_DELETED = define("product_deleted", N_("该商品已删除"))
PRODUCT_NOT_APPROVED = define("product_not_approved", N_("商品审核通过后才能上架"))
PRODUCT_REASON_REQUIRED = define("product_reason_required", N_("请填写原因"))
PRODUCT_REASON_TOO_LONG = define("product_reason_too_long", N_("原因不能超过 %(max)s 字"))

# The trail: what each kind of ProductEvent is called (the editor adds its own kinds).
EVENT_LABELS = {
    "submitted": N_("提交审核"),
    "approved": N_("审核通过"),
    "changes_approved": N_("修改审核通过"),
    "rejected": N_("审核不通过"),
    "changes_rejected": N_("修改未通过审核，仍按原内容销售"),
    "listed": N_("上架"),
    "listed_on_time": N_("定时上架"),
    "unlisted": N_("下架"),
    "pinned": N_("已置顶"),
    "unpinned": N_("已取消置顶"),
    "deleted": N_("删除"),
}

# ---- what state a product is in --------------------------------------------------------------

# JSON None may be stored as SQL NULL or as the JSON text `null`: both mean "no pending edit".
HAS_PENDING_CHANGES: ColumnElement[bool] = (
    func.coalesce(cast(Product.pending_changes, String), "null") != "null"
)
AWAITING_REVIEW: ColumnElement[bool] = or_(
    Product.audit_status == AuditStatus.PENDING, HAS_PENDING_CHANGES
)
NOT_DELETED: ColumnElement[bool] = Product.deleted_at.is_(None)


def awaits_review(product: Product) -> bool:
    return product.deleted_at is None and (
        product.audit_status == AuditStatus.PENDING or bool(product.pending_changes)
    )


def on_sale(product: Product) -> bool:
    """What buyers may see and buy: listed and not deleted."""
    return product.listed and product.deleted_at is None


# ---- guards ----------------------------------------------------------------------------------


def _auditor(actor: Actor) -> None:
    if actor.role not in AUDITORS:
        raise Forbidden(STAFF_MANAGES_PRODUCTS())


def _reason(reason: str | None) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(PRODUCT_REASON_REQUIRED())
    if len(reason) > REASON_MAX:
        raise InvalidInput(PRODUCT_REASON_TOO_LONG(max=REASON_MAX))
    return reason


def _not_deleted(product: Product) -> None:
    if product.deleted_at is not None:
        raise IllegalTransition(PRODUCT_DELETED())


def _record(product: Product, actor: Actor, kind: str, reason: str = "") -> ProductEvent:
    event = ProductEvent(
        product_id=product.id,
        actor_id=actor.user_id,
        actor_name=actor.name[:50],
        actor_role=actor.role,
        kind=kind,
        reason=reason[:REASON_MAX],
    )
    db.session.add(event)
    db.session.flush()
    return event


def _compare_and_set(product: Product, *where: ColumnElement[bool], **values) -> bool:
    """UPDATE the product WHERE it is still as we read it; True if this call made the change."""
    values.setdefault("updated_at", utcnow())
    result = db.session.execute(
        update(Product)
        .where(Product.id == product.id, *where)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(product)
    return result.rowcount == 1


# ---- the audit ---------------------------------------------------------------------------------


def approve_product(product: Product, actor: Actor) -> None:
    """审核通过: a first submission is approved and listed as the store chose (now, never by
    itself, or at its time); an edit of an approved product becomes what is on sale."""
    _auditor(actor)
    _not_deleted(product)
    if not awaits_review(product):
        raise AlreadyTaken(PRODUCT_REVIEWED_MEANWHILE())
    had_changes = bool(product.pending_changes)
    first = product.audit_status != AuditStatus.APPROVED and not had_changes
    # The claim: still the row we read (updated_at) and still waiting; a twin finds it changed.
    claimed = _compare_and_set(
        product,
        Product.updated_at == product.updated_at,
        AWAITING_REVIEW,
        NOT_DELETED,
        audit_status=AuditStatus.APPROVED,
        audit_reason="",
    )
    if not claimed:
        raise AlreadyTaken(PRODUCT_REVIEWED_MEANWHILE())
    if had_changes:
        apply_pending_changes(product)
    _record(product, actor, "approved" if first else "changes_approved")
    if first:
        _list_as_chosen(product, actor)


def _list_as_chosen(product: Product, actor: Actor) -> None:
    choice = product.listing_choice
    if choice == ListingChoice.KEEP_UNLISTED:
        return
    if choice == ListingChoice.AT_TIME and product.list_at and product.list_at > utcnow():
        schedule(LIST_PRODUCT, product.id, product.list_at)
        return
    # on approval, or a set time that has passed already ("if approval comes later, list on
    # approval")
    if _compare_and_set(product, Product.listed.is_(False), NOT_DELETED, listed=True):
        _record(product, actor, "listed")


def reject_product(product: Product, reason: str, actor: Actor) -> None:
    """审核不通过 with a reason the store reads. A product on sale whose edit is refused keeps
    selling as approved (the edit is discarded); a first submission becomes 已拒绝."""
    _auditor(actor)
    reason = _reason(reason)
    _not_deleted(product)
    if not awaits_review(product):
        raise AlreadyTaken(PRODUCT_REVIEWED_MEANWHILE())
    if product.pending_changes and product.audit_status != AuditStatus.REJECTED:
        claimed = _compare_and_set(
            product,
            Product.updated_at == product.updated_at,
            AWAITING_REVIEW,
            NOT_DELETED,
            audit_status=AuditStatus.APPROVED,
            pending_changes=None,
        )
        kind = "changes_rejected"
    else:
        claimed = _compare_and_set(
            product,
            Product.updated_at == product.updated_at,
            AWAITING_REVIEW,
            NOT_DELETED,
            audit_status=AuditStatus.REJECTED,
            audit_reason=reason,
            listed=False,
            pending_changes=None,
        )
        kind = "rejected"
        cancel(LIST_PRODUCT, product.id)
    if not claimed:
        raise AlreadyTaken(PRODUCT_REVIEWED_MEANWHILE())
    _record(product, actor, kind, reason)


# ---- listing, pinning, deleting --------------------------------------------------------------


def platform_list(product: Product, actor: Actor) -> bool:
    """上架 by the platform (an approved product only). A double tap lists once; True if this
    call listed it."""
    _auditor(actor)
    _not_deleted(product)
    if product.audit_status != AuditStatus.APPROVED:
        raise IllegalTransition(PRODUCT_NOT_APPROVED())
    cancel(LIST_PRODUCT, product.id)  # listed now: the set time has nothing left to do
    listed = _compare_and_set(
        product,
        Product.listed.is_(False),
        Product.audit_status == AuditStatus.APPROVED,
        NOT_DELETED,
        listed=True,
    )
    if listed:
        _record(product, actor, "listed")
    return listed


def platform_unlist(product: Product, reason: str, actor: Actor) -> bool:
    """下架 by the platform with a reason the store reads; a set-time listing still waiting is
    called off too. Carts keep the line and say 已下架; checkout refuses it."""
    _auditor(actor)
    reason = _reason(reason)
    _not_deleted(product)
    scheduled = _scheduled_listing(product)
    cancel(LIST_PRODUCT, product.id)
    unlisted = _compare_and_set(product, Product.listed.is_(True), NOT_DELETED, listed=False)
    if unlisted or scheduled:
        _record(product, actor, "unlisted", reason)
    return unlisted or scheduled


def pin(product: Product, actor: Actor) -> bool:
    """置顶: pinned products come first, the newest pin first."""
    _auditor(actor)
    _not_deleted(product)
    pinned = _compare_and_set(product, Product.pinned_at.is_(None), NOT_DELETED, pinned_at=utcnow())
    if pinned:
        _record(product, actor, "pinned")
    return pinned


def unpin(product: Product, actor: Actor) -> bool:
    _auditor(actor)
    _not_deleted(product)
    unpinned = _compare_and_set(product, Product.pinned_at.is_not(None), pinned_at=None)
    if unpinned:
        _record(product, actor, "unpinned")
    return unpinned


def delete_product(product: Product, reason: str, actor: Actor) -> bool:
    """删除 (soft): gone from the mall, the store's lists and the platform's tabs; the row and
    its trail stay for the orders that sold it. Carts say 已下架 until the buyer removes it."""
    if actor.role not in DELETERS:
        raise Forbidden(OPERATOR_DELETES_PRODUCTS())
    reason = _reason(reason)
    deleted = _compare_and_set(
        product, NOT_DELETED, deleted_at=utcnow(), listed=False, pinned_at=None
    )
    if deleted:
        cancel(LIST_PRODUCT, product.id)
        _record(product, actor, "deleted", reason)
    return deleted


# ---- 定时上架 -----------------------------------------------------------------------------------


def _scheduled_listing(product: Product) -> bool:
    return (
        not product.listed
        and product.audit_status == AuditStatus.APPROVED
        and product.listing_choice == ListingChoice.AT_TIME
        and product.list_at is not None
        and product.list_at > utcnow()
    )


def list_when_due(product_id: int) -> None:
    """The set time came (the deadline sweep): list the product, unless it was deleted, is no
    longer approved, is listed already, or the platform took it off sale since its approval."""
    product = db.session.get(Product, product_id)
    if product is None or product.deleted_at is not None:
        return
    if product.audit_status != AuditStatus.APPROVED or product.listed:
        return
    if product.list_at is not None and product.list_at > utcnow():
        schedule(LIST_PRODUCT, product.id, product.list_at)  # the store moved it later
        return
    last = db.session.scalar(
        select(ProductEvent.kind)
        .where(
            ProductEvent.product_id == product.id,
            ProductEvent.kind.in_(("approved", "unlisted", "rejected", "deleted")),
        )
        .order_by(ProductEvent.id.desc())
        .limit(1)
    )
    if last == "unlisted":
        return  # the platform took it off sale after approving it: it stays off
    if _compare_and_set(
        product,
        Product.listed.is_(False),
        Product.audit_status == AuditStatus.APPROVED,
        NOT_DELETED,
        listed=True,
    ):
        _record(product, SYSTEM, "listed_on_time")


# ---- the platform's list ---------------------------------------------------------------------

LIST_TABS = ("pending", "listed", "unlisted", "rejected", "all")
TAB_LABELS = {
    "pending": N_("待审核"),
    "listed": N_("已上架"),
    "unlisted": N_("已下架"),
    "rejected": N_("已拒绝"),
    "all": N_("全部"),
}
TAB_CONDITIONS: dict[str, ColumnElement[bool] | None] = {
    "pending": AWAITING_REVIEW,
    "listed": Product.listed.is_(True),
    "unlisted": and_(Product.listed.is_(False), Product.audit_status == AuditStatus.APPROVED),
    "rejected": Product.audit_status == AuditStatus.REJECTED,
    "all": None,
}
Parent = aliased(Category)
Grandparent = aliased(Category)


@dataclass(frozen=True)
class ProductFilter:
    tab: str = "pending"
    store_id: int | None = None
    category_id: int | None = None  # a category of any level: its products and its children's
    q: str = ""  # title, 货号, brand or category name


def _filtered(query: Select, filter: ProductFilter) -> Select:
    query = query.where(NOT_DELETED)
    if filter.store_id is not None:
        query = query.where(Product.store_id == filter.store_id)
    if filter.category_id is not None:
        query = (
            query.outerjoin(Category, Category.id == Product.category_id)
            .outerjoin(Parent, Parent.id == Category.parent_id)
            .outerjoin(Grandparent, Grandparent.id == Parent.parent_id)
            .where(
                or_(
                    Category.id == filter.category_id,
                    Parent.id == filter.category_id,
                    Grandparent.id == filter.category_id,
                )
            )
        )
    if filter.q:
        query = query.where(
            or_(
                Product.name.contains(filter.q, autoescape=True),
                Product.item_no.contains(filter.q, autoescape=True),
                Product.search_text.contains(filter.q.lower(), autoescape=True),
            )
        )
    return query


def product_search(actor: Actor, filter: ProductFilter) -> Select:
    """Rows of (Product, store name, category name) for the platform's list: the review queue
    oldest first (first come, first reviewed), the other tabs pinned first, then newest."""
    _auditor(actor)
    query = (
        select(Product, Store.name.label("store_name"))
        .join(Store, Store.id == Product.store_id)
        .options(selectinload(Product.skus), selectinload(Product.category))
    )
    query = _filtered(query, filter)
    condition = TAB_CONDITIONS.get(filter.tab)
    if condition is not None:
        query = query.where(condition)
    if filter.tab == "pending":
        return query.order_by(Product.updated_at.asc(), Product.id)
    return query.order_by(
        Product.pinned_at.is_(None), Product.pinned_at.desc(), Product.updated_at.desc(), Product.id
    )


def product_tab_counts(actor: Actor, filter: ProductFilter) -> dict[str, int]:
    """How many products each tab holds under the same filters (one grouped query)."""
    _auditor(actor)
    query = _filtered(
        select(
            Product.audit_status,
            Product.listed,
            HAS_PENDING_CHANGES.label("changes"),
            func.count(),
        ),
        filter,
    ).group_by(Product.audit_status, Product.listed, HAS_PENDING_CHANGES)
    counts = dict.fromkeys(LIST_TABS, 0)
    for status, listed, changes, n in db.session.execute(query).all():
        counts["all"] += n
        if status == AuditStatus.PENDING or changes:
            counts["pending"] += n
        if listed:
            counts["listed"] += n
        elif status == AuditStatus.APPROVED:
            counts["unlisted"] += n
        if status == AuditStatus.REJECTED:
            counts["rejected"] += n
    return counts


def product_for(actor: Actor, product_id: int) -> Product | None:
    """A product as platform staff load it (deleted ones too: their trail); None (404) for
    anybody else or no such product."""
    if actor.role not in AUDITORS:
        return None
    return db.session.get(Product, product_id)


def product_events(product: Product) -> list[ProductEvent]:
    return list(
        db.session.scalars(
            select(ProductEvent)
            .where(ProductEvent.product_id == product.id)
            .order_by(ProductEvent.created_at.desc(), ProductEvent.id.desc())
        )
    )


def level_names() -> dict[int, str]:
    return dict(db.session.execute(select(MemberLevel.id, MemberLevel.name)).all())


@dataclass(frozen=True)
class Change:
    """One line of a pending edit: what is on sale now and what the store wants instead."""

    label: str  # a N_ label, or a spec name as typed
    spec: str
    old: object
    new: object
    money: bool


CHANGE_LABELS = {
    "name": N_("商品标题"),
    "price_fen": N_("价格"),
    "retail_price_fen": N_("零售价"),
}


def pending_change_rows(product: Product) -> list[Change]:
    """The edit waiting for approval, as old → new (title, and each SKU's prices)."""
    changes = product.pending_changes or {}
    rows: list[Change] = []
    if "name" in changes:
        rows.append(Change(CHANGE_LABELS["name"], "", product.name, changes["name"], False))
    skus: dict[int, Sku] = {sku.id: sku for sku in product.skus}
    levels = level_names()
    for sku_id, values in (changes.get("skus") or {}).items():
        sku = skus.get(int(sku_id))
        if sku is None:
            continue
        for field in ("price_fen", "retail_price_fen"):
            if field in values:
                old = getattr(sku, field)
                rows.append(Change(CHANGE_LABELS[field], sku.spec, old, values[field], True))
        if "level_prices" in values:
            current = {price.level_id: price.price_fen for price in sku.level_prices}
            for level_id, price in values["level_prices"].items():
                name = levels.get(int(level_id), str(level_id))
                rows.append(Change(name, sku.spec, current.get(int(level_id)), price, True))
    return rows


def price_range(product: Product) -> tuple[int, int] | None:
    prices = [sku.price_fen for sku in product.skus]
    return (min(prices), max(prices)) if prices else None


def scheduled_at(product: Product) -> datetime | None:
    """When a set-time listing will happen, if one is waiting."""
    return product.list_at if _scheduled_listing(product) else None


def filter_choices() -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """The list's filter choices: stores that have products, and every category by its path
    (食品饮料 / 饮料 / 果汁)."""
    stores = db.session.execute(
        select(Store.id, Store.name)
        .where(Store.id.in_(select(Product.store_id).where(NOT_DELETED)))
        .order_by(Store.name, Store.id)
    ).all()
    categories = {c.id: c for c in db.session.scalars(select(Category))}

    def path(category: Category) -> str:
        names, seen = [], set()
        while category is not None and category.id not in seen:
            seen.add(category.id)
            names.append(category.name)
            category = categories.get(category.parent_id) if category.parent_id else None
        return " / ".join(reversed(names))

    paths = sorted(((c.id, path(c)) for c in categories.values()), key=lambda row: row[1])
    return [(row.id, row.name) for row in stores], paths
