"""The 配送助手 back office: views.py defines the blueprint, the other modules add its pages."""

from app.portals.dispatch import riders, settings, views

__all__ = ["riders", "settings", "views"]
