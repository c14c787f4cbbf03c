"""Product pictures: public while the product is on sale (listed, not deleted); platform staff
and the product's own store always see them (a product in review or taken off sale)."""

from __future__ import annotations

from flask import abort, request
from flask_login import current_user

from app.accounts.models import Role
from app.catalog.models import Product
from app.extensions import db
from app.images import thumb_key
from app.portals.media.views import bp
from app.storage import send_stored

PRODUCT_IMAGE_SECONDS = 3600  # privately cached: a product taken off sale stops showing soon
STAFF_ROLES = (Role.OPERATOR, Role.SERVICE)


def _may_see(product: Product) -> bool:
    if product.listed and product.deleted_at is None:
        return True
    if not current_user.is_authenticated:
        return False
    return any(
        grant.role in STAFF_ROLES
        or (grant.role == Role.STORE_STAFF and grant.store_id == product.store_id)
        for grant in current_user.grants
    )


def _image_key(product: Product, n: int, thumb: bool = False) -> str | None:
    """The storage key of the product's n-th picture (from 0), or its thumbnail."""
    images = product.images or []
    if not 0 <= n < len(images):
        return None
    return thumb_key(images[n]) if thumb else images[n]


@bp.get("/media/products/<int:product_id>/images/<int:n>")
def product_image(product_id: int, n: int):
    """The n-th picture of the product, counted from 1 (the first is the cover); ?size=thumb
    for its 320 px thumbnail."""
    product = db.session.get(Product, product_id)
    if product is None or not _may_see(product):
        abort(404)  # the same answer for "no such product" and "not for you"
    key = _image_key(product, n - 1, thumb=request.args.get("size") == "thumb")
    if key is None:
        abort(404)
    return send_stored(key, mimetype="image/jpeg", max_age=PRODUCT_IMAGE_SECONDS)
