"""Photos of buyers' reviews: public like the product page that shows them, for as long as the
review is not deleted (a deleted review's photos answer 404)."""

from __future__ import annotations

from flask import abort, request

from app.catalog.reviews import live_review, review_photo_key
from app.portals.media.views import bp
from app.storage import send_stored

# A deleted review's photos must go soon from browsers too: an hour, not a day.
REVIEW_PHOTO_SECONDS = 3600


@bp.get("/media/reviews/<int:review_id>/photos/<int:n>")
def review_photo(review_id: int, n: int):
    """The n-th photo of the review, counted from 1; ?size=thumb for its 320 px thumbnail."""
    review = live_review(review_id)
    if review is None:
        abort(404)
    key = review_photo_key(review, n - 1, thumb=request.args.get("size") == "thumb")
    if key is None:
        abort(404)
    return send_stored(key, mimetype="image/jpeg", max_age=REVIEW_PHOTO_SECONDS)
