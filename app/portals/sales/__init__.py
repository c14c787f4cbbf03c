"""The sales manager's portal: views.py defines the blueprint, the other modules add its pages."""

from app.portals.sales import proxy, views

__all__ = ["proxy", "views"]
