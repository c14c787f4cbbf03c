"""评价管理 (platform): every store's reviews, filtered by store and stars; staff delete."""

from __future__ import annotations

from flask import abort, g, request, url_for
from flask_babel import gettext as _
from wtforms import Form, IntegerField, SearchField, SelectField
from wtforms.validators import Length, NumberRange, Optional

from app.catalog.models import Review
from app.catalog.reviews import (
    MAX_KEYWORD,
    STAR_CHOICES,
    ReviewFilter,
    all_reviews,
    delete_review,
    review_row,
)
from app.extensions import db
from app.portals.platform.views import bp
from app.stores.services import all_stores
from app.web.bounds import MAX_ID
from app.web.filter_args import filter_args
from app.web.i18n import lazy_gettext as _l
from app.web.paging import paginate
from app.web.rendering import render_page_or_block, see_other

__all__ = ["bp"]

REVIEWS_PER_PAGE = 50


def _strip(value: str | None) -> str:
    return (value or "").strip()


class PlatformReviewFilterForm(Form):
    """The list filters, read from the query string (a GET form: no CSRF)."""

    store = IntegerField(_l("店铺"), validators=[Optional(), NumberRange(min=1, max=MAX_ID)])
    stars = SelectField(_l("评分"), choices=[], validate_choice=False)
    q = SearchField(_l("关键词"), filters=[_strip], validators=[Length(max=MAX_KEYWORD)])

    def to_filter(self) -> ReviewFilter:
        """Every filter filled in correctly; a broken one is ignored."""
        stars = self.stars.data
        return ReviewFilter(
            stars=int(stars) if stars in {str(n) for n in STAR_CHOICES} else None,
            keyword=self.q.data if self.q.data and not self.q.errors else "",
            store_id=self.store.data if self.store.data and not self.store.errors else None,
        )

    def args(self) -> dict[str, str]:
        """The valid filters as query-string arguments (pager, the delete form)."""
        return filter_args(self)


def _filters() -> PlatformReviewFilterForm:
    form = PlatformReviewFilterForm(request.args)
    form.validate()
    return form


@bp.get("/reviews")
def reviews():
    filters = _filters()
    page = paginate(all_reviews(filters.to_filter()), REVIEWS_PER_PAGE, as_rows=True)
    page.items = [review_row(row) for row in page.items]
    return render_page_or_block(
        "platform/reviews.html",
        "reviews_table",
        filters=filters,
        page=page,
        stores=all_stores(),
        star_choices=STAR_CHOICES,
    )


@bp.post("/reviews/<int:review_id>/delete")
def delete_platform_review(review_id: int):
    review = db.session.get(Review, review_id) or abort(404)  # a second tap: the same answer
    delete_review(review, g.actor)
    return see_other(url_for(".reviews", **_filters().args()), _("评价已删除"))
