"""The storefront: views.py defines the blueprint, the other modules add its pages."""

from app.portals.shop import addresses, apply, catalog, member, reviews, views

__all__ = ["addresses", "apply", "catalog", "member", "reviews", "views"]
