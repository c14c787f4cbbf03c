"""The storefront: views.py defines the blueprint, the other modules add its pages."""

from app.portals.shop import (
    addresses,
    aftersales,
    apply,
    catalog,
    checkout,
    coupons,
    member,
    orders,
    pay,
    reviews,
    statements,
    views,
)

__all__ = [
    "addresses",
    "aftersales",
    "apply",
    "catalog",
    "checkout",
    "coupons",
    "member",
    "orders",
    "pay",
    "reviews",
    "statements",
    "views",
]
