"""The storefront: views.py defines the blueprint, the other modules add its pages."""

from app.portals.shop import addresses, apply, member, views

__all__ = ["addresses", "apply", "member", "views"]
