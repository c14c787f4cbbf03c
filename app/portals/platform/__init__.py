"""The platform portal: views.py defines the blueprint, the other modules add its pages."""

from app.portals.platform import members, merchants, people, stores, views

__all__ = ["members", "merchants", "people", "stores", "views"]
