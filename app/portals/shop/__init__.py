"""The storefront: views.py defines the blueprint, the other modules add its pages."""

from app.portals.shop import addresses, apply, catalog, checkout, member, orders, reviews, views

__all__ = [
    "addresses",
    "apply",
    "catalog",
    "checkout",
    "member",
    "orders",
    "reviews",
    "views",
]
