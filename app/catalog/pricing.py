"""What a SKU costs a member of a level (SPEC §3): the SKU's price for that level when the store
set one, else its base price. The storefront shows it and the cart charges it."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, case, func
from sqlalchemy.orm import aliased

from app.catalog.models import Sku, SkuLevelPrice
from app.stores.models import Store, StoreKind


def level_price(sku: Sku, level_id: int | None) -> int:
    """Load `Sku.level_prices` with the SKUs (selectinload) when pricing many."""
    if level_id is not None:
        for price in sku.level_prices:
            if price.level_id == level_id:
                return price.price_fen
    return sku.price_fen


@dataclass(frozen=True)
class LevelPriceSQL:
    """`level_price` in SQL, for a statement over SKUs joined to their store: outer-join
    `level` on `onclause`, then `price` is what a piece costs a member of the level (their
    level's price at a wholesale store when the store set one, else the base price)."""

    level: object
    onclause: ColumnElement[bool]
    price: ColumnElement[int]


def level_price_sql(level_id) -> LevelPriceSQL:
    """`level_id`: a value, a bound parameter or a scalar subquery (the buyer's level)."""
    level = aliased(SkuLevelPrice)
    price = case(
        (Store.kind == StoreKind.WHOLESALE, func.coalesce(level.price_fen, Sku.price_fen)),
        else_=Sku.price_fen,
    )
    return LevelPriceSQL(level, and_(level.sku_id == Sku.id, level.level_id == level_id), price)
