"""优惠券 (platform): every coupon (the platform's and the stores'), filtered by issuer, state
and name; create platform coupons, edit, stop, give to a person by phone. The pages are the
store back office's coupon pages (app/portals/store/coupons.py) over a wider scope."""

from __future__ import annotations

from flask import request

from app.portals.store.coupons import (
    coupon_or_404,
    form_page,
    give_page,
    list_page,
    save_coupon,
    stop_page,
)

from .coupon_forms import PlatformCouponFilterForm
from .views import bp

__all__ = ["bp"]


@bp.get("/coupons")
def coupons():
    return list_page("platform", PlatformCouponFilterForm)


@bp.route("/coupons/new", methods=["GET", "POST"])
def coupon_new():
    if request.method == "POST":
        return save_coupon("platform", None)
    return form_page("platform", None)


@bp.route("/coupons/<int:coupon_id>", methods=["GET", "POST"])
def coupon_edit(coupon_id: int):
    coupon = coupon_or_404(coupon_id)
    if request.method == "POST":
        return save_coupon("platform", coupon)
    return form_page("platform", coupon)


@bp.post("/coupons/<int:coupon_id>/stop")
def coupon_stop(coupon_id: int):
    return stop_page("platform", coupon_or_404(coupon_id))


@bp.post("/coupons/<int:coupon_id>/give")
def coupon_give(coupon_id: int):
    return give_page("platform", coupon_or_404(coupon_id))
