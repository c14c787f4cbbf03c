"""Buyers' reviews of the items they bought (being written)."""

from __future__ import annotations

from sqlalchemy import select

from app.catalog.models import Review
from app.extensions import db


def product_reviews(product_id: int, limit: int = 10) -> list[Review]:
    """The newest reviews of a product that are not deleted (the product page shows them)."""
    query = (
        select(Review)
        .where(Review.product_id == product_id, Review.deleted_at.is_(None))
        .order_by(Review.created_at.desc(), Review.id.desc())
        .limit(limit)
    )
    return list(db.session.execute(query).scalars())
