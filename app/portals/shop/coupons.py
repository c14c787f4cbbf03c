"""The coupon centre (领券中心) and the buyer's own coupons (我的优惠券)."""

from __future__ import annotations

from flask import abort, g, request, url_for
from flask_babel import gettext as _

from app.extensions import db
from app.i18n_markers import N_
from app.promotions.coupons import WALLET_TABS, claim, coupon_centre, store_names, wallet
from app.promotions.models import Coupon
from app.web.access import actor_required
from app.web.rendering import render_page_or_block, see_other

from .views import bp

TAB_LABELS = {
    "centre": N_("领券中心"),
    "usable": N_("可使用"),
    "used": N_("已使用"),
    "expired": N_("已过期"),
}


@bp.get("/coupons")
@actor_required
def coupons():
    tab = request.args.get("tab", "centre")
    tab = tab if tab in ("centre", *WALLET_TABS) else "centre"
    rows = coupon_centre(g.actor.user_id) if tab == "centre" else []
    held = wallet(g.actor.user_id, tab) if tab != "centre" else []
    names = store_names({h.coupon.store_id for h in held if h.coupon.store_id})
    return render_page_or_block(
        "shop/coupons.html",
        "coupon_list",
        tab=tab,
        tabs=TAB_LABELS,
        rows=rows,
        held=held,
        store_names=names,
    )


@bp.post("/coupons/<int:coupon_id>/claim")
@actor_required
def claim_coupon(coupon_id: int):
    coupon = db.session.get(Coupon, coupon_id)
    if coupon is None or not coupon.in_centre:
        abort(404)
    claim(g.actor.user_id, coupon)
    return see_other(url_for("shop.coupons", tab="usable"), _("领取成功"))
