"""Commission rates and an order's commission (SPEC §9).

The platform's default rate (basis points, finance settings), a store's own rate instead of it,
and a category's rate for every store, which wins over both (the nearest category up the tree
that has one). The commission is charged on what the store sells the goods for: each line's
amount less the store's own coupon share (platform coupons and points are the platform's cost
and do not lower it). The delivery fee carries no commission.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from app.catalog.models import Category, Product, Sku
from app.errors import InvalidInput
from app.extensions import db
from app.finance.models import CategoryCommissionRate, StoreCommissionRate
from app.finance.settings import finance_settings
from app.i18n_markers import N_
from app.messages import define
from app.ordering.models import OrderItem
from app.ordering.proration import largest_remainder

RATE_OUT_OF_RANGE = define(
    "rate_out_of_range", N_("佣金比例须为 0 到 100 之间的百分数，最多两位小数")
)
FULL = 10_000  # basis points in 100 %


@dataclass(frozen=True)
class LineCommission:
    item_id: int
    base_fen: int  # the line less the store's own discount
    bp: int
    commission_fen: int


def parse_percent(text: str) -> int:
    """ "5" or "5.25" (percent) into basis points; refuses negatives, >100 and 3 decimals."""
    text = (text or "").strip().rstrip("%").strip()
    whole, _, frac = text.partition(".")
    if not whole.isdigit() or (frac and (not frac.isdigit() or len(frac) > 2)):
        raise InvalidInput(RATE_OUT_OF_RANGE())
    bp = int(whole) * 100 + int((frac + "00")[:2])
    if bp > FULL:
        raise InvalidInput(RATE_OUT_OF_RANGE())
    return bp


def check_bp(bp: int) -> int:
    if not isinstance(bp, int) or not 0 <= bp <= FULL:
        raise InvalidInput(RATE_OUT_OF_RANGE())
    return bp


def store_rate(store_id: int) -> int:
    own = db.session.get(StoreCommissionRate, store_id)
    return own.bp if own is not None else finance_settings().commission_bp


def _category_rate(category_id: int | None, rates: dict[int, int]) -> int | None:
    seen = set()
    while category_id is not None and category_id not in seen:
        if category_id in rates:
            return rates[category_id]
        seen.add(category_id)
        category_id = db.session.execute(
            select(Category.parent_id).where(Category.id == category_id)
        ).scalar()
    return None


def order_commission(order) -> list[LineCommission]:
    """Each line's commission; the order's commission is their sum, rounded once (half up) and
    split over the lines by the largest-remainder method, so the parts sum exactly."""
    rows = db.session.execute(
        select(
            OrderItem.id,
            OrderItem.line_fen - (OrderItem.discount_fen - OrderItem.platform_discount_fen),
            Product.category_id,
        )
        .join(Sku, Sku.id == OrderItem.sku_id)
        .join(Product, Product.id == Sku.product_id)
        .where(OrderItem.order_id == order.id)
        .order_by(OrderItem.id)
    ).all()
    if not rows:
        return []
    rates = dict(
        db.session.execute(
            select(CategoryCommissionRate.category_id, CategoryCommissionRate.bp)
        ).all()
    )
    default = store_rate(order.store_id)
    lines = []
    for item_id, base, category_id in rows:
        bp = _category_rate(category_id, rates) if rates else None
        lines.append((item_id, max(int(base), 0), default if bp is None else bp))
    weights = [base * bp for _, base, bp in lines]
    total = (sum(weights) * 2 + FULL) // (2 * FULL)  # half up, once for the order
    parts = largest_remainder(total, weights) if sum(weights) else [0] * len(lines)
    return [
        LineCommission(item_id, base, bp, part)
        for (item_id, base, bp), part in zip(lines, parts, strict=True)
    ]
