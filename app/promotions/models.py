"""Coupons as the issuer defines them, each person's claimed coupons, and the points ledger."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.clock import utcnow
from app.extensions import db


class Coupon(db.Model):
    """满X减Y (threshold_fen > 0) or no-threshold (threshold_fen = 0); store_id None: the
    platform's coupon, the platform bears it; otherwise the store's, the store bears it."""

    __tablename__ = "coupons"

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id"), index=True)
    name: Mapped[str] = mapped_column(String(50))
    threshold_fen: Mapped[int] = mapped_column(default=0)
    discount_fen: Mapped[int]
    # validity: a fixed window, or N days from the moment it is claimed
    valid_from: Mapped[datetime | None]
    valid_until: Mapped[datetime | None]
    valid_days: Mapped[int | None]
    total_quantity: Mapped[int | None]  # None: unlimited
    claimed_count: Mapped[int] = mapped_column(default=0)
    per_person_limit: Mapped[int] = mapped_column(default=1)
    in_centre: Mapped[bool] = mapped_column(default=True)  # buyers claim it in the coupon centre
    active: Mapped[bool] = mapped_column(default=True)  # off: nobody claims it any more
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class UserCoupon(db.Model):
    """One coupon in one person's hands; used once, by compare-and-set on used_at."""

    __tablename__ = "user_coupons"
    __table_args__ = (Index("ix_user_coupons_user_coupon", "user_id", "coupon_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    coupon_id: Mapped[int] = mapped_column(ForeignKey("coupons.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    valid_from: Mapped[datetime]
    valid_until: Mapped[datetime]
    given_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # staff who gave it
    claimed_at: Mapped[datetime] = mapped_column(default=utcnow)
    used_at: Mapped[datetime | None]  # the checkout (platform coupon) or order (store coupon)
    # that used it points here

    coupon: Mapped[Coupon] = relationship(lazy="joined")


class PointEntry(db.Model):
    """A change of a person's points (earned, spent, returned); users.points is their sum."""

    __tablename__ = "point_entries"
    __table_args__ = (UniqueConstraint("user_id", "kind", "source"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    delta: Mapped[int]
    kind: Mapped[str] = mapped_column(String(10))  # earned | spent | returned
    source: Mapped[str] = mapped_column(String(40))  # "order:12", "checkout:3": posts once
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
