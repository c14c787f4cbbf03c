"""A store's stock: set or adjusted by hand (with a reason), by an Excel import, and always with a
movement row saying who, why, before and after.

Checkout reserves stock with `UPDATE … SET stock = stock - n WHERE stock >= n`
(app/ordering/services.py). A manual change is a compare-and-set from the stock the person saw
(`… WHERE id = :id AND stock = :before`): a reservation that came in between makes the change
fail with "库存已变化" instead of being overwritten.
"""

from __future__ import annotations

from sqlalchemy import Select, or_, select, update
from sqlalchemy.orm import contains_eager
from sqlalchemy.orm.attributes import set_committed_value

from app.accounts.actor import Actor
from app.accounts.models import Role
from app.catalog.models import Product, Sku, StockMovement
from app.errors import AlreadyTaken, Forbidden, InvalidInput
from app.extensions import db
from app.i18n_markers import N_
from app.messages import KINDS, define
from app.stores.models import Store

MAX_REASON = 200
MAX_STOCK = 9_999_999  # as the product editor's
LOW_STOCK_THRESHOLD = 10

STOCK_CHANGED = define("stock_changed_meanwhile", N_("库存已变化，请刷新后再试"))
STOCK_BELOW_ZERO = define("stock_below_zero", N_("库存不能小于 0（当前库存 %(stock)s）"))
STOCK_TOO_LARGE = define("stock_too_large", N_("库存不能超过 %(max)s"))
STOCK_REASON_REQUIRED = define("stock_reason_required", N_("请填写调整库存的原因"))
STOCK_REASON_TOO_LONG = define("stock_reason_too_long", N_("原因不能超过 200 字"))
STOCK_OWN_STORE_ONLY = define("stock_own_store_only", N_("只能调整自己店铺的商品库存"))
# Reasons the system writes (stored as the code, shown in the reader's language)
STOCK_IMPORTED = define("stock_imported", N_("Excel 导入"))
SYSTEM_REASONS = frozenset({STOCK_IMPORTED.code})


def _check_actor(sku: Sku, actor: Actor) -> None:
    """Only the store's own staff change its stock (the platform does not edit products)."""
    if actor.role != Role.STORE_STAFF or actor.store_id != sku.product.store_id:
        raise Forbidden(STOCK_OWN_STORE_ONLY())


def _typed_reason(reason: str | None) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(STOCK_REASON_REQUIRED())
    if len(reason) > MAX_REASON:
        raise InvalidInput(STOCK_REASON_TOO_LONG())
    return reason


def _check_amount(before: int, after: int) -> None:
    if after < 0:
        raise InvalidInput(STOCK_BELOW_ZERO(stock=before))
    if after > MAX_STOCK:
        raise InvalidInput(STOCK_TOO_LARGE(max=MAX_STOCK))


def record_stock(sku: Sku, before: int, after: int, reason: str, actor: Actor) -> StockMovement:
    """Compare-and-set the SKU's stock from `before` to `after` and write the movement.

    Losing the race (a checkout or another person changed the stock since `before` was read)
    re-reads the stock and refuses: the person looks again instead of overwriting a reservation."""
    result = db.session.execute(
        update(Sku)
        .where(Sku.id == sku.id, Sku.stock == before)
        .values(stock=after)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.refresh(sku, ["stock"])
        raise AlreadyTaken(STOCK_CHANGED())
    set_committed_value(sku, "stock", after)  # what the row holds now; nothing left to flush
    movement = StockMovement(
        sku_id=sku.id,
        actor_id=actor.user_id,
        actor_name=actor.name[:50],
        reason=reason[:MAX_REASON],
        before=before,
        after=after,
    )
    db.session.add(movement)
    db.session.flush()
    return movement


def move_stock(
    sku: Sku, new_stock: int, reason: str, actor: Actor, before: int | None = None
) -> StockMovement:
    """Set the stock to `new_stock` (盘点). `before` is the stock the person saw (the form
    carries it); without it, the stock as loaded."""
    _check_actor(sku, actor)
    reason = _typed_reason(reason)
    before = sku.stock if before is None else before
    _check_amount(before, new_stock)
    return record_stock(sku, before, new_stock, reason, actor)


def adjust_stock(
    sku: Sku, delta: int, reason: str, actor: Actor, before: int | None = None
) -> StockMovement:
    """Add (or with a negative delta take away) stock from what the person saw."""
    _check_actor(sku, actor)
    reason = _typed_reason(reason)
    before = sku.stock if before is None else before
    _check_amount(before, before + delta)
    return record_stock(sku, before, before + delta, reason, actor)


def stock_history(sku: Sku, limit: int = 200) -> list[StockMovement]:
    """The SKU's movements, newest first."""
    return list(
        db.session.execute(
            select(StockMovement)
            .where(StockMovement.sku_id == sku.id)
            .order_by(StockMovement.created_at.desc(), StockMovement.id.desc())
            .limit(limit)
        ).scalars()
    )


def reason_code(movement: StockMovement) -> str | None:
    """The message code of a reason the system wrote, or None for a person's own words."""
    return (
        movement.reason if movement.reason in SYSTEM_REASONS and movement.reason in KINDS else None
    )


# ---- reading: the store's SKUs ----------------------------------------------------------------


def sku_for(actor: Actor, sku_id: int) -> Sku | None:
    """One SKU of the actor's store (another store's, or a deleted product's: None, a 404)."""
    if actor.store_id is None:
        return None
    return db.session.execute(
        select(Sku)
        .join(Sku.product)
        .where(
            Sku.id == sku_id,
            Product.store_id == actor.store_id,
            Product.deleted_at.is_(None),
        )
        .options(contains_eager(Sku.product))
    ).scalar_one_or_none()


def store_skus(store_id: int, keyword: str = "", at_most: int | None = None) -> Select:
    """The store's SKUs with their products, by product then SKU; `keyword` matches title, 货号,
    spec or SKU code; `at_most` keeps SKUs whose stock is at most that (低库存)."""
    query = (
        select(Sku)
        .join(Sku.product)
        .where(Product.store_id == store_id, Product.deleted_at.is_(None))
        .options(contains_eager(Sku.product))
        .order_by(Product.id.desc(), Sku.id)
    )
    if keyword:
        query = query.where(
            or_(
                Product.name.contains(keyword, autoescape=True),
                Product.item_no.contains(keyword, autoescape=True),
                Sku.spec.contains(keyword, autoescape=True),
                Sku.code.contains(keyword, autoescape=True),
            )
        )
    if at_most is not None:
        query = query.where(Sku.stock <= at_most)
    return query


def low_stock_skus(store: Store, threshold: int = LOW_STOCK_THRESHOLD) -> list[Sku]:
    """The store's SKUs with stock at or below the threshold, the emptiest first."""
    query = store_skus(store.id, at_most=threshold).order_by(None).order_by(Sku.stock, Sku.id)
    return list(db.session.execute(query).scalars())
