"""The rider portal: views.py defines the blueprint, the other modules add its pages."""

from app.portals.rider import finance, views

__all__ = ["finance", "views"]
