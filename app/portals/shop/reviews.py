"""评价: the buyer reviews each item of a completed order, once (stars, words, up to 6 photos).

The order page links every item to its form (`item_reviews`, given to shop templates below);
another buyer's order, or an item that is not of the order, answers 404."""

from __future__ import annotations

from flask import abort, g, url_for
from flask_babel import gettext as _
from werkzeug.datastructures import FileStorage

from app.catalog.reviews import (
    MAX_PHOTOS,
    MAX_TEXT,
    STAR_CHOICES,
    item_reviews,
    review_item,
    review_of_item,
)
from app.errors import InvalidInput
from app.ordering.models import Order, OrderItem
from app.ordering.scope import order_numbered
from app.ordering.states import OrderStatus
from app.portals.shop.views import bp
from app.web.access import actor_required
from app.web.order_view import render_message
from app.web.rendering import render_page_or_block, see_other

from .review_forms import STAR_WORDS, ReviewForm

__all__ = ["bp"]


@bp.context_processor
def review_links() -> dict:
    """The order page asks `item_reviews(order)`: which items may be reviewed, which are."""
    return {"item_reviews": item_reviews}


def _order_and_item(no: str, item_id: int) -> tuple[Order, OrderItem]:
    order = order_numbered(g.actor, no) or abort(404)
    item = next((item for item in order.items if item.id == item_id), None)
    if item is None:
        abort(404)
    return order, item


def _page(order, item, form, status=200, upload_error=""):
    return render_page_or_block(
        "shop/review_form.html",
        "review_form",
        status=status,
        order=order,
        item=item,
        form=form,
        review=review_of_item(item.id),
        completed=order.status == OrderStatus.COMPLETED,
        star_words=STAR_WORDS,
        star_choices=STAR_CHOICES,
        max_photos=MAX_PHOTOS,
        max_text=MAX_TEXT,
        upload_error=upload_error,
    )


@bp.route("/orders/<string(maxlength=32):no>/items/<int:item_id>/review", methods=["GET", "POST"])
@actor_required
def review(no: str, item_id: int):
    order, item = _order_and_item(no, item_id)
    form = ReviewForm()
    if form.is_submitted() and review_of_item(item.id) is not None:
        return _done(order)  # a second tap: the first review stands, the same answer
    if not form.validate_on_submit():
        return _page(order, item, form, 422 if form.is_submitted() else 200)
    photos = [f for f in form.photos.data or [] if isinstance(f, FileStorage)]
    try:
        review_item(item, form.stars.data, form.text.data, photos, g.actor)
    except InvalidInput as error:  # too many photos, or one that is not a photo: nothing kept
        return _page(order, item, form, 422, upload_error=render_message(error.msg))
    return _done(order)


def _done(order: Order):
    return see_other(url_for("shop.order", no=order.no), _("评价成功，感谢您的分享"))
