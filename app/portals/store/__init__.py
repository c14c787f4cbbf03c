"""The store portal: views.py defines the blueprint, the other modules add its pages."""

from app.portals.store import product_io, products, reviews, settings, staff, views

__all__ = ["product_io", "products", "reviews", "settings", "staff", "views"]
