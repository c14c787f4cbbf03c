"""评价管理: the store reads the reviews of its products, filters them, replies and deletes.

Only the store's own reviews exist here: another store's review id answers 404. Filters live in
the query string, and the reply and delete forms carry them, so the list comes back as it was."""

from __future__ import annotations

from flask import abort, g, request, url_for
from flask_babel import gettext as _
from wtforms import Form, SearchField, SelectField
from wtforms.validators import Length

from app.catalog.models import Review
from app.catalog.reviews import (
    MAX_KEYWORD,
    MAX_REPLY,
    STAR_CHOICES,
    ReviewFilter,
    delete_review,
    reply,
    review_row,
    store_review,
    store_reviews,
)
from app.errors import InvalidInput
from app.extensions import db
from app.i18n_markers import N_
from app.portals.store.views import bp
from app.web.filter_args import filter_args
from app.web.i18n import lazy_gettext as _l
from app.web.order_view import render_message
from app.web.paging import paginate
from app.web.rendering import render_page_or_block, see_other

__all__ = ["bp"]

REVIEWS_PER_PAGE = 20
REPLIED_FILTERS = {"no": N_("未回复"), "yes": N_("已回复")}


def _strip(value: str | None) -> str:
    return (value or "").strip()


class ReviewFilterForm(Form):
    """The list filters, read from the query string (a GET form: no CSRF)."""

    stars = SelectField(_l("评分"), choices=[], validate_choice=False)
    replied = SelectField(_l("回复"), choices=[], validate_choice=False)
    q = SearchField(_l("关键词"), filters=[_strip], validators=[Length(max=MAX_KEYWORD)])

    def to_filter(self) -> ReviewFilter:
        """Every filter filled in correctly; a broken one is ignored."""
        stars = self.stars.data
        return ReviewFilter(
            stars=int(stars) if stars in {str(n) for n in STAR_CHOICES} else None,
            replied={"yes": True, "no": False}.get(self.replied.data or ""),
            keyword=self.q.data if self.q.data and not self.q.errors else "",
        )

    def args(self) -> dict[str, str]:
        """The valid filters as query-string arguments (pager, forms that come back to the list)."""
        return filter_args(self)


def _filters() -> ReviewFilterForm:
    form = ReviewFilterForm(request.args)
    form.validate()
    return form


def _page(
    filters: ReviewFilterForm,
    status: int = 200,
    errors: dict | None = None,
    drafts: dict | None = None,
):
    page = paginate(
        store_reviews(g.actor.store_id, filters.to_filter()), REVIEWS_PER_PAGE, as_rows=True
    )
    page.items = [review_row(row) for row in page.items]
    return render_page_or_block(
        "store/reviews.html",
        "reviews_table",
        status=status,
        filters=filters,
        page=page,
        star_choices=STAR_CHOICES,
        replied_filters=REPLIED_FILTERS,
        errors=errors or {},
        drafts=drafts or {},
        max_reply=MAX_REPLY,
    )


@bp.get("/reviews")
def reviews():
    return _page(_filters())


def _own_review(review_id: int):
    return store_review(g.actor.store_id, review_id) or abort(404)


@bp.post("/reviews/<int:review_id>/reply")
def reply_review(review_id: int):
    """Reply, or replace the reply; an empty or too long one is said at its row (422)."""
    review = _own_review(review_id)
    filters = _filters()
    text = request.form.get("reply", "")
    try:
        reply(review, text, g.actor)
    except InvalidInput as error:
        errors, drafts = {review.id: render_message(error.msg)}, {review.id: text}
        if request.htmx:
            return _row(review.id, filters, 422, errors, drafts)
        return _page(filters, 422, errors, drafts)
    if request.htmx:
        return _row(review.id, filters)
    return see_other(url_for(".reviews", **filters.args()), _("已回复"))


@bp.post("/reviews/<int:review_id>/delete")
def delete_store_review(review_id: int):
    review = store_review(g.actor.store_id, review_id, deleted=True) or abort(404)
    filters = _filters()
    delete_review(review, g.actor)
    return see_other(url_for(".reviews", **filters.args()), _("评价已删除"))


def _row(
    review_id: int,
    filters: ReviewFilterForm,
    status: int = 200,
    errors: dict | None = None,
    drafts: dict | None = None,
):
    """One row of the table: an htmx reply swaps only its row."""
    query = store_reviews(g.actor.store_id).where(Review.id == review_id)
    return render_page_or_block(
        "store/reviews.html",
        "review_row",
        status=status,
        row=review_row(db.session.execute(query).one()),
        filters=filters,
        errors=errors or {},
        drafts=drafts or {},
        max_reply=MAX_REPLY,
    )
