"""Category icons and brand logos: public (the mall shows them to visitors), so anyone may fetch
them; 404 when the category or brand has no picture (or is gone)."""

from __future__ import annotations

from flask import abort, request

from app.catalog.library import brand_logo_key, category_icon_key
from app.catalog.models import Brand, Category
from app.extensions import db
from app.portals.media.views import bp
from app.storage import send_stored

# The URL names the picture's file (category_icon_url's `v`), so a new icon is a new URL.
CATALOG_IMAGE_SECONDS = 86_400


def _send(key: str | None):
    if key is None:
        abort(404)
    return send_stored(key, mimetype="image/jpeg", max_age=CATALOG_IMAGE_SECONDS)


def _thumb() -> bool:
    return request.args.get("size") == "thumb"


@bp.get("/media/categories/<int:category_id>/icon")
def category_icon(category_id: int):
    """The category's icon; ?size=thumb for the 320 px thumbnail."""
    category = db.session.get(Category, category_id) or abort(404)
    return _send(category_icon_key(category, thumb=_thumb()))


@bp.get("/media/brands/<int:brand_id>/logo")
def brand_logo(brand_id: int):
    """The brand's logo; ?size=thumb for the 320 px thumbnail."""
    brand = db.session.get(Brand, brand_id) or abort(404)
    return _send(brand_logo_key(brand, thumb=_thumb()))
