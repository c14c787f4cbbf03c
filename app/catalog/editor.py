"""A store edits its products (being written: the product editor)."""

from __future__ import annotations

from app.catalog.models import Product, Sku, SkuLevelPrice
from app.clock import utcnow
from app.extensions import db

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
