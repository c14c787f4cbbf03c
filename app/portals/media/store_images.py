"""Store logos and pictures: public by nature (the mall shows them to visitors), so anyone may
fetch them, for as long as the store is not deleted."""

from __future__ import annotations

from flask import abort, request

from app.extensions import db
from app.portals.media.views import bp
from app.storage import send_stored
from app.stores.models import Store
from app.stores.profile import store_image_key

# The URL names the picture's file (store_image_url's `v`), so a changed logo is a new URL.
STORE_IMAGE_SECONDS = 86_400


def _send(store_id: int, which: str, n: int = 0):
    store = db.session.get(Store, store_id)
    if store is None or store.deleted_at is not None:
        abort(404)
    key = store_image_key(store, which, n, thumb=request.args.get("size") == "thumb")
    if key is None:
        abort(404)
    return send_stored(key, mimetype="image/jpeg", max_age=STORE_IMAGE_SECONDS)


@bp.get("/media/stores/<int:store_id>/logo")
def store_logo(store_id: int):
    """The logo; ?size=thumb for the 320 px thumbnail lists show."""
    return _send(store_id, "logo")


@bp.get("/media/stores/<int:store_id>/images/<int:n>")
def store_image(store_id: int, n: int):
    """The n-th picture of the store, counted from 1; ?size=thumb for its thumbnail."""
    return _send(store_id, "images", n - 1)
