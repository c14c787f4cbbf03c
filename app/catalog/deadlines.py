"""The catalog's deadlines: 定时上架, a product approved to go on sale at the store's set time.

`approve_product` schedules the deadline (`LIST_PRODUCT`); the sweep calls this handler when the
time comes, and `list_when_due` checks that listing still applies (not deleted, still approved,
not taken off sale by the platform meanwhile), so applying it twice lists once.
"""

from __future__ import annotations

from app.catalog.audit import LIST_PRODUCT, list_when_due
from app.deadlines import on_due


@on_due(LIST_PRODUCT)
def list_product_when_due(product_id: int) -> None:
    list_when_due(product_id)
