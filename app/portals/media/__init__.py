"""Uploaded files: views.py defines the blueprint (slip photos), store_images adds store pictures."""

from app.portals.media import store_images, views

__all__ = ["store_images", "views"]
