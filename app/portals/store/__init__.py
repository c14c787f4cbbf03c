"""The store portal: views.py defines the blueprint, the other modules add its pages."""

from app.portals.store import settings, staff, views

__all__ = ["settings", "staff", "views"]
