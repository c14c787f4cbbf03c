"""What a SKU costs a member of a level (SPEC §3): the SKU's price for that level when the store
set one, else its base price. The storefront shows it and the cart charges it."""

from __future__ import annotations

from app.catalog.models import Sku


def level_price(sku: Sku, level_id: int | None) -> int:
    """Load `Sku.level_prices` with the SKUs (selectinload) when pricing many."""
    if level_id is not None:
        for price in sku.level_prices:
            if price.level_id == level_id:
                return price.price_fen
    return sku.price_fen
