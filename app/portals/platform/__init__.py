"""The platform portal: views.py defines the blueprint, the other modules add its pages."""

from app.portals.platform import (
    catalog,
    members,
    merchants,
    people,
    products,
    reviews,
    stores,
    views,
)

__all__ = ["catalog", "members", "merchants", "people", "products", "reviews", "stores", "views"]
