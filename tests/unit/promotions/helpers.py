"""Coupons for promotions tests: platform ones (store None) and store ones."""

from __future__ import annotations

from datetime import timedelta

from app.accounts.actor import Actor
from app.accounts.models import Role
from app.clock import utcnow
from app.promotions.coupons import CouponFields, create_coupon
from app.promotions.models import Coupon

PLATFORM = Actor(user_id=None, role=Role.OPERATOR, name="运营")


def make_coupon(
    store=None,
    *,
    threshold_fen: int = 10_000,
    discount_fen: int = 1_000,
    days: int | None = 7,
    starts_in: timedelta | None = None,
    total: int | None = None,
    per_person: int = 1,
    name: str = "测试券",
) -> Coupon:
    actor = (
        Actor(user_id=None, role=Role.STORE_STAFF, store_id=store.id, name="店员")
        if store is not None
        else PLATFORM
    )
    window = {}
    if starts_in is not None:
        start = utcnow() + starts_in
        window = {"valid_from": start, "valid_until": start + timedelta(days=days or 7)}
        days = None
    return create_coupon(
        actor,
        CouponFields(
            name=name,
            threshold_fen=threshold_fen,
            discount_fen=discount_fen,
            valid_days=days,
            total_quantity=total,
            per_person_limit=per_person,
            **window,
        ),
    )
