"""优惠券 (store back office): the store's own coupons, filtered; create, edit, stop, give to a
person by phone. Another store's coupon id answers 404 (the domain's scope decides).

The platform's coupon pages are the same pages over every coupon: app/portals/platform/coupons.py
registers its routes on these page functions with its portal name."""

from __future__ import annotations

from flask import abort, g, request, url_for
from flask_babel import gettext as _

from app.errors import DomainError
from app.promotions.coupons import (
    create_coupon,
    edit_coupon,
    filtered_coupons,
    find_person,
    give,
    managed_coupon,
    stop_coupon,
)
from app.promotions.models import Coupon
from app.web.order_view import render_message
from app.web.paging import paginate
from app.web.rendering import render_page_or_block, see_other
from app.web.unit_of_work import discard_work

from .coupon_forms import CouponFilterForm, GiveCouponForm, StopCouponForm, coupon_form
from .views import bp

__all__ = ["bp"]

COUPONS_PER_PAGE = 50


def coupon_or_404(coupon_id: int) -> Coupon:
    return managed_coupon(g.actor, coupon_id) or abort(404)


def list_page(portal: str, filter_form=CouponFilterForm):
    filters = filter_form(request.args)
    filters.validate()
    values = filters.values()
    query = filtered_coupons(
        g.actor, values.get("issuer", ""), values.get("state", ""), values.get("q", "")
    )
    page = paginate(query, COUPONS_PER_PAGE, as_rows=True)
    return render_page_or_block(
        f"{portal}/coupons.html",
        "coupons_table",
        filters=filters,
        filter_args=values,
        page=page,
        portal=portal,
    )


def form_page(portal: str, coupon: Coupon | None, status: int = 200, form=None, **extra):
    return render_page_or_block(
        f"{portal}/coupon_form.html",
        "coupon_page",
        status=status,
        form=form or coupon_form(coupon),
        coupon=coupon,
        give_form=extra.get("give_form") or GiveCouponForm(formdata=None),
        stop_form=extra.get("stop_form") or StopCouponForm(formdata=None),
        portal=portal,
        problem=extra.get("problem"),
    )


def save_coupon(portal: str, coupon: Coupon | None):
    """Create (coupon None) or change a coupon from the posted form; 422 with the form again."""
    form = coupon_form(coupon)
    if not form.validate_on_submit():
        return form_page(portal, coupon, 422, form)
    try:
        if coupon is None:
            coupon = create_coupon(g.actor, form.fields())
            message = _("优惠券已创建")
        else:
            edit_coupon(coupon, g.actor, form.fields())
            message = _("优惠券已保存")
    except DomainError as error:
        discard_work()
        problem = render_message(error.msg)
        return form_page(portal, coupon, error.status_code, form, problem=problem)
    return see_other(url_for(f"{portal}.coupon_edit", coupon_id=coupon.id), message)


def stop_page(portal: str, coupon: Coupon):
    form = StopCouponForm()
    if not form.validate_on_submit():
        return form_page(portal, coupon, 422, stop_form=form)
    stop_coupon(coupon, g.actor)
    return see_other(url_for(f"{portal}.coupon_edit", coupon_id=coupon.id), _("已停止发放"))


def give_page(portal: str, coupon: Coupon):
    form = GiveCouponForm()
    if not form.validate_on_submit():
        return form_page(portal, coupon, 422, give_form=form)
    try:
        person = find_person(form.phone.data)
        give(g.actor, coupon, person)
    except DomainError as error:
        discard_work()
        problem = render_message(error.msg)
        return form_page(portal, coupon, error.status_code, give_form=form, problem=problem)
    return see_other(
        url_for(f"{portal}.coupon_edit", coupon_id=coupon.id),
        _("已发给 %(name)s", name=person.name),
    )


@bp.get("/coupons")
def coupons():
    return list_page("store")


@bp.route("/coupons/new", methods=["GET", "POST"])
def coupon_new():
    return save_coupon("store", None) if request.method == "POST" else form_page("store", None)


@bp.route("/coupons/<int:coupon_id>", methods=["GET", "POST"])
def coupon_edit(coupon_id: int):
    coupon = coupon_or_404(coupon_id)
    if request.method == "POST":
        return save_coupon("store", coupon)
    return form_page("store", coupon)


@bp.post("/coupons/<int:coupon_id>/stop")
def coupon_stop(coupon_id: int):
    return stop_page("store", coupon_or_404(coupon_id))


@bp.post("/coupons/<int:coupon_id>/give")
def coupon_give(coupon_id: int):
    return give_page("store", coupon_or_404(coupon_id))
