"""Buyers' reviews of the items they bought (SPEC §3): the buyer of a completed order reviews each
item once (stars, words, up to 6 photos); the product page shows them; the store of the review
replies and deletes; platform staff delete. A deletion is soft and says who did it.

Lists read rows (`ReviewRow`), with the buyer's name already masked (周*): no page that shows a
review ever holds the buyer's full name or phone.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO, Protocol

from flask import current_app
from sqlalchemy import Integer, Select, bindparam, func, select, update
from sqlalchemy.exc import IntegrityError

from app.accounts.actor import Actor
from app.accounts.models import Role, User
from app.catalog.models import Product, Review, Sku
from app.clock import utcnow
from app.errors import DomainError, Forbidden, IllegalTransition, InvalidInput
from app.extensions import db
from app.i18n_markers import N_
from app.images import clean_photo, keep_photo, thumb_key
from app.messages import define
from app.ordering.models import Order, OrderItem
from app.ordering.states import OrderStatus
from app.stores.models import Store

MAX_TEXT = 500
MAX_REPLY = 500
MAX_PHOTOS = 6
MAX_KEYWORD = 50
STAR_CHOICES = (5, 4, 3, 2, 1)

REVIEW_OWN_ORDER = define("review_own_order", N_("只能评价自己订单里的商品"))
REVIEW_NOT_COMPLETED = define("review_not_completed", N_("订单完成后才能评价"))
REVIEW_STARS = define("review_stars", N_("请选择 1 到 5 星"))
REVIEW_TEXT_TOO_LONG = define("review_text_too_long", N_("评价内容不能超过 500 字"))
REVIEW_TOO_MANY_PHOTOS = define("review_too_many_photos", N_("评价照片最多 %(max)s 张"))
REVIEW_REPLY_OWN_STORE = define("review_reply_own_store", N_("只能回复本店商品的评价"))
REVIEW_REPLY_REQUIRED = define("review_reply_required", N_("请填写回复内容"))
REVIEW_REPLY_TOO_LONG = define("review_reply_too_long", N_("回复不能超过 500 字"))
REVIEW_DELETE_NOT_ALLOWED = define(
    "review_delete_not_allowed", N_("只有该商品的店铺或平台可以删除评价")
)
REVIEW_GONE = define("review_gone", N_("该评价已删除"))

ANONYMOUS = N_("匿名买家")


class PhotoFile(Protocol):
    """One chosen photo as the form received it (werkzeug's FileStorage is one)."""

    filename: str | None
    stream: BinaryIO


@dataclass(frozen=True)
class ReviewFilter:
    """What a review list is narrowed to; None / "" is "any"."""

    stars: int | None = None
    replied: bool | None = None
    keyword: str = ""  # in the review's words or the product's name
    store_id: int | None = None  # the platform's list only


@dataclass(frozen=True)
class ReviewRow:
    """A review as pages show it: the buyer masked, the product and store named."""

    id: int
    order_id: int
    product_id: int
    store_id: int
    stars: int
    text: str
    photos: tuple[str, ...]
    reply: str
    replied_at: datetime | None
    created_at: datetime
    buyer: str  # masked: 周*
    product_name: str
    store_name: str

    @property
    def photo_count(self) -> int:
        return len(self.photos)


@dataclass(frozen=True)
class ProductRating:
    count: int
    average: float | None  # one decimal (4.7); None without reviews

    @property
    def stars(self) -> int:
        """The average rounded to whole stars, for a row of ★."""
        return round(self.average) if self.average is not None else 0


def mask_name(name: str | None) -> str:
    """周杰伦 → 周*; an empty name reads 匿名买家 (the page translates it)."""
    name = (name or "").strip()
    return f"{name[0]}*" if name else ANONYMOUS


# ---- the buyer reviews ------------------------------------------------------------------------


def review_of_item(order_item_id: int) -> Review | None:
    """The review of one order item, deleted or not (an item is reviewed once, ever)."""
    return db.session.execute(
        select(Review).where(Review.order_item_id == order_item_id)
    ).scalar_one_or_none()


def item_reviews(order: Order) -> dict[int, bool]:
    """For a completed order: each item's id → whether it is reviewed; {} for any other order
    (the order page shows 评价 / 已评价 only where a review is possible)."""
    if order.status != OrderStatus.COMPLETED:
        return {}
    reviewed = set(
        db.session.execute(select(Review.order_item_id).where(Review.order_id == order.id))
        .scalars()
        .all()
    )
    return {item.id: item.id in reviewed for item in order.items}


def _clean_stars(stars: object) -> int:
    if isinstance(stars, bool) or not isinstance(stars, int) or not 1 <= stars <= 5:
        raise InvalidInput(REVIEW_STARS())
    return stars


def review_item(
    order_item: OrderItem,
    stars: int,
    text: str | None,
    photos: Iterable[PhotoFile],
    actor: Actor,
) -> Review:
    """The buyer of a completed order reviews one of its items; the review (made now, or the
    one already there: a double tap answers with the first, never a second row).

    All or nothing: stars, words and every photo are checked before anything is stored; photos
    are re-encoded with a thumbnail under reviews/<order id>, removed again on rollback."""
    order = order_item.order
    if actor.role != Role.BUYER or actor.user_id is None or actor.user_id != order.buyer_id:
        raise Forbidden(REVIEW_OWN_ORDER())
    existing = review_of_item(order_item.id)
    if existing is not None:
        return existing
    if order.status != OrderStatus.COMPLETED:
        raise IllegalTransition(REVIEW_NOT_COMPLETED())
    stars = _clean_stars(stars)
    text = (text or "").strip()
    if len(text) > MAX_TEXT:
        raise InvalidInput(REVIEW_TEXT_TOO_LONG())
    uploads = [photo for photo in photos if photo.filename]
    if len(uploads) > MAX_PHOTOS:
        raise InvalidInput(REVIEW_TOO_MANY_PHOTOS(max=MAX_PHOTOS))
    max_bytes = current_app.config["MAX_PHOTO_BYTES"]
    # One photo at a time, each decoded small; nothing is stored unless every one passed.
    cleaned = [clean_photo(u.stream, u.filename or "", max_bytes) for u in uploads]
    product_id = db.session.execute(
        select(Sku.product_id).where(Sku.id == order_item.sku_id)
    ).scalar_one()
    review = Review(
        order_item_id=order_item.id,
        order_id=order.id,
        product_id=product_id,
        store_id=order.store_id,
        buyer_id=order.buyer_id,
        stars=stars,
        text=text,
        photos=[],
        created_at=utcnow(),
    )
    # The claim: a twin sent at the same moment waits on the unique index, then finds this one.
    try:
        with db.session.begin_nested():
            db.session.add(review)
            db.session.flush()
    except IntegrityError:
        twin = review_of_item(order_item.id)
        if twin is None:
            raise
        return twin
    folder = f"reviews/{order.id}"
    review.photos = [keep_photo(folder, image) for image in cleaned]
    db.session.flush()
    return review


# ---- the store answers, the store or the platform deletes ------------------------------------


def reply(review: Review, text: str | None, actor: Actor) -> None:
    """The store's staff answer a review of their store; answering again replaces the answer."""
    if actor.role != Role.STORE_STAFF or actor.store_id != review.store_id:
        raise Forbidden(REVIEW_REPLY_OWN_STORE())
    if review.deleted_at is not None:
        raise DomainError(REVIEW_GONE())
    text = (text or "").strip()
    if not text:
        raise InvalidInput(REVIEW_REPLY_REQUIRED())
    if len(text) > MAX_REPLY:
        raise InvalidInput(REVIEW_REPLY_TOO_LONG())
    review.reply = text
    review.replied_at = utcnow()
    db.session.flush()


def may_delete(review: Review, actor: Actor) -> bool:
    return actor.is_staff or (actor.role == Role.STORE_STAFF and actor.store_id == review.store_id)


def delete_review(review: Review, actor: Actor) -> bool:
    """Hide a review for good (soft: the row keeps who deleted it and when). Returns False when
    it was already deleted (a twin of this request, or somebody else): the same outcome."""
    if not may_delete(review, actor):
        raise Forbidden(REVIEW_DELETE_NOT_ALLOWED())
    result = db.session.execute(
        update(Review)
        .where(Review.id == review.id, Review.deleted_at.is_(None))
        .values(deleted_at=utcnow(), deleted_by=actor.user_id)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(review)
    return result.rowcount == 1


# ---- what the pages read ------------------------------------------------------------------------


def _rows_query() -> Select:
    return (
        select(
            Review.id,
            Review.order_id,
            Review.product_id,
            Review.store_id,
            Review.stars,
            Review.text,
            Review.photos,
            Review.reply,
            Review.replied_at,
            Review.created_at,
            User.name.label("buyer_name"),
            Product.name.label("product_name"),
            Store.name.label("store_name"),
        )
        .join(User, User.id == Review.buyer_id)
        .join(Product, Product.id == Review.product_id)
        .join(Store, Store.id == Review.store_id)
        .where(Review.deleted_at.is_(None))
        .order_by(Review.created_at.desc(), Review.id.desc())
    )


def review_row(row) -> ReviewRow:
    """A row of `store_reviews` / `all_reviews` as pages show it."""
    return ReviewRow(
        id=row.id,
        order_id=row.order_id,
        product_id=row.product_id,
        store_id=row.store_id,
        stars=row.stars,
        text=row.text or "",
        photos=tuple(row.photos or ()),
        reply=row.reply or "",
        replied_at=row.replied_at,
        created_at=row.created_at,
        buyer=mask_name(row.buyer_name),
        product_name=row.product_name,
        store_name=row.store_name,
    )


def _filtered(query: Select, filters: ReviewFilter) -> Select:
    if filters.stars in STAR_CHOICES:
        query = query.where(Review.stars == filters.stars)
    if filters.replied is True:
        query = query.where(Review.reply != "")
    elif filters.replied is False:
        query = query.where(Review.reply == "")
    keyword = (filters.keyword or "").strip()[:MAX_KEYWORD]
    if keyword:
        query = query.where(
            Review.text.contains(keyword, autoescape=True)
            | Product.name.contains(keyword, autoescape=True)
        )
    return query


def store_reviews(store_id: int, filters: ReviewFilter | None = None) -> Select:
    """The store's reviews that are not deleted, newest first (rows: see `review_row`)."""
    query = _rows_query().where(Review.store_id == store_id)
    return _filtered(query, filters or ReviewFilter())


def all_reviews(filters: ReviewFilter | None = None) -> Select:
    """Every store's reviews that are not deleted, newest first (the platform's list)."""
    filters = filters or ReviewFilter()
    query = _rows_query()
    if filters.store_id:
        query = query.where(Review.store_id == filters.store_id)
    return _filtered(query, filters)


def store_review(store_id: int, review_id: int, deleted: bool = False) -> Review | None:
    """One review of the store; None (404) for another store's, and for a deleted one unless
    `deleted` (a second tap of 删除 finds the review it deleted and answers the same)."""
    query = select(Review).where(Review.id == review_id, Review.store_id == store_id)
    if not deleted:
        query = query.where(Review.deleted_at.is_(None))
    return db.session.execute(query).scalar_one_or_none()


def live_review(review_id: int) -> Review | None:
    """One review that is not deleted (the public photos)."""
    return db.session.execute(
        select(Review).where(Review.id == review_id, Review.deleted_at.is_(None))
    ).scalar_one_or_none()


def review_photo_key(review: Review, n: int, thumb: bool = False) -> str | None:
    """The storage key of the review's n-th photo (from 0), or its thumbnail."""
    photos = review.photos or []
    if not 0 <= n < len(photos):
        return None
    return thumb_key(photos[n]) if thumb else photos[n]


# built once: the product and the limit are bound parameters
_PRODUCT_REVIEWS = (
    _rows_query()
    .where(Review.product_id == bindparam("product_id", type_=Integer))
    .limit(bindparam("review_limit", type_=Integer))
)


def product_reviews(product_id: int, limit: int = 10) -> list[ReviewRow]:
    """The newest reviews of a product that are not deleted (the product page shows them)."""
    values = {"product_id": product_id, "review_limit": limit}
    rows = db.session.execute(_PRODUCT_REVIEWS, values)
    return [review_row(row) for row in rows]


def product_rating(product_id: int) -> ProductRating:
    """How many live reviews the product has and their average stars (one decimal)."""
    count, average = db.session.execute(
        select(func.count(Review.id), func.avg(Review.stars)).where(
            Review.product_id == product_id, Review.deleted_at.is_(None)
        )
    ).one()
    return ProductRating(count, round(float(average), 1) if count else None)
