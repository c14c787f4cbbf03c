"""The store portal: views.py defines the blueprint, the other modules add its pages."""

from app.portals.store import (
    aftersales,
    coupons,
    couriers,
    finance,
    fulfilment,
    product_io,
    products,
    receipts,
    refunds,
    reviews,
    settings,
    staff,
    statements,
    views,
)

__all__ = [
    "aftersales",
    "coupons",
    "couriers",
    "finance",
    "fulfilment",
    "product_io",
    "products",
    "receipts",
    "refunds",
    "reviews",
    "settings",
    "staff",
    "statements",
    "views",
]
