"""Uploaded files: views.py defines the blueprint (slip photos), store_images adds store pictures,
catalog_images category icons and brand logos."""

from app.portals.media import catalog_images, product_images, review_images, store_images, views

__all__ = [
    "catalog_images",
    "product_images",
    "review_images",
    "store_images",
    "views",
]
