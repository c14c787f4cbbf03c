"""Uploaded files (signed-slip photos), served only to people whose scope includes the order."""

from __future__ import annotations

from flask import Blueprint, abort
from flask_login import current_user

from app.accounts.actor import Actor
from app.extensions import db
from app.ordering.scope import order_for
from app.storage import send_stored
from app.wholesale.models import SlipPhoto
from app.wholesale.services import slip_image_key

bp = Blueprint("media", __name__)

CACHE_SECONDS = 3600


def _may_see_order(order_id: int) -> bool:
    """Any of the person's roles will do: a manager who also drives sees the photo either way."""
    if not current_user.is_authenticated:
        return False
    return any(
        order_for(Actor.from_grant(current_user, grant), order_id) is not None
        for grant in current_user.grants
    )


@bp.get("/media/slips/<int:photo_id>.jpg")
def slip_image(photo_id: int):
    return _send_slip(photo_id, thumb=False)


@bp.get("/media/slips/<int:photo_id>/thumb.jpg")
def slip_thumbnail(photo_id: int):
    """The 320 px thumbnail pages show (a photo from before thumbnails: the photo itself)."""
    return _send_slip(photo_id, thumb=True)


def _send_slip(photo_id: int, thumb: bool):
    photo = db.session.get(SlipPhoto, photo_id)
    if photo is None or not _may_see_order(photo.order_id):
        abort(404)  # the same answer for "no such photo" and "not yours": nothing to probe
    # local disk: the bytes, privately cached; S3: a redirect to a short-lived signed URL
    return send_stored(slip_image_key(photo, thumb), mimetype="image/jpeg", max_age=CACHE_SECONDS)
