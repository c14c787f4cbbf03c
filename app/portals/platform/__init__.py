"""The platform portal: views.py defines the blueprint, the other modules add its pages."""

from app.portals.platform import (
    aftersales,
    catalog,
    coupons,
    finance,
    members,
    merchants,
    order_settings,
    payments,
    people,
    products,
    receipts,
    reviews,
    statements,
    stores,
    views,
)

__all__ = [
    "aftersales",
    "catalog",
    "coupons",
    "finance",
    "members",
    "merchants",
    "order_settings",
    "payments",
    "people",
    "products",
    "receipts",
    "reviews",
    "statements",
    "stores",
    "views",
]
