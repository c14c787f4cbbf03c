"""The member centre (我的) and the wholesale profile (完善资料), with the gate in front of the
pages a wholesale member may see only once the profile is sent (SPEC §4)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flask import abort, g, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app.accounts.members import (
    PHOTO_KINDS,
    member_of,
    member_photo_key,
    profile_due,
    start_membership,
    status_due,
    submit_profile,
)
from app.accounts.models import MEMBER_STATUS_LABELS, Member, MemberStatus
from app.catalog.cached_library import storefront
from app.catalog.models import Product
from app.errors import InvalidInput
from app.extensions import db
from app.messages import mask_phone
from app.portals.shop.views import bp
from app.storage import send_stored
from app.stores.models import Store, StoreKind
from app.web.access import actor_required
from app.web.order_view import render_message
from app.web.rendering import render_page_or_block, see_other

from .member_forms import ProfileForm

__all__ = ["GATED_ENDPOINTS", "bp"]

PHOTO_CACHE_SECONDS = 3600


def _shows_wholesale_store(args: Mapping[str, Any]) -> bool:
    store = db.session.get(Store, args.get("store_id") or 0)
    return store is not None and store.kind == StoreKind.WHOLESALE


def _shows_wholesale_product(args: Mapping[str, Any]) -> bool:
    store_id = db.session.scalar(
        select(Product.store_id).where(Product.id == (args.get("product_id") or 0))
    )
    return _shows_wholesale_store({"store_id": store_id})


def _always(args: Mapping[str, Any]) -> bool:
    return True


# The pages a wholesale member sees only after sending the profile, each with a test of the
# URL's arguments (a store page or a product page is gated only for a wholesale store).
GATED_ENDPOINTS: dict[str, Callable[[Mapping[str, Any]], bool]] = {
    "shop.me": _always,
    "shop.store": _shows_wholesale_store,
    "shop.product": _shows_wholesale_product,
}


def _member_status(endpoint: str) -> str | None:
    """The member's status, read where the page reads it anyway: 我的 loads the member row (the
    page then finds it in the session), the store and product pages the storefront's viewer
    (one statement with the price facts, kept on `g` for the page)."""
    if endpoint == "shop.me":
        member = member_of(g.actor.user_id)
        return member.status if member else None
    return storefront(g.actor).viewer.member_status


@bp.before_request
def profile_gate():
    """A member whose profile is not sent (or was refused) completes it first. Runs after the
    portal guard (registered before it), so `g.actor` is known; a visitor is never gated."""
    endpoint = request.endpoint or ""
    gated = GATED_ENDPOINTS.get(endpoint)
    if gated is None or request.method != "GET" or g.get("actor") is None:
        return None
    if not status_due(_member_status(endpoint)) or not gated(request.view_args or {}):
        return None
    return see_other(url_for("shop.profile"), _("完善资料后可继续访问"), "info")


@bp.get("/me")
@actor_required
def me():
    member = member_of(g.actor.user_id)
    return render_page_or_block(
        "shop/me.html",
        user=current_user,
        masked_phone=mask_phone(current_user.phone),
        member=member,
        status_label=MEMBER_STATUS_LABELS.get(member.status, "") if member else "",
        statuses=MemberStatus,
    )


@bp.post("/me/member")
@actor_required
def apply_member():
    """申请批发会员: the member row, then the profile form."""
    start_membership(g.actor)
    return see_other(url_for("shop.profile"), _("请完善资料，提交后等待审核"))


def _profile_page(member: Member, form: ProfileForm, status: int = 200, error: str = ""):
    return render_page_or_block(
        "shop/profile.html",
        "profile_form",
        status=status,
        member=member,
        form=form,
        error=error,
        editable=profile_due(member),
        status_label=MEMBER_STATUS_LABELS.get(member.status, ""),
        statuses=MemberStatus,
    )


@bp.route("/me/profile", methods=["GET", "POST"])
@actor_required
def profile():
    member = member_of(g.actor.user_id)
    if member is None:  # not a wholesale member: 我的 offers 申请批发会员
        return redirect(url_for("shop.me"), code=303)
    if request.method == "GET":
        form = ProfileForm(formdata=None, obj=member)
        form.contact_name.data = form.contact_name.data or current_user.name
        form.contact_phone.data = form.contact_phone.data or current_user.phone
        return _profile_page(member, form)
    form = ProfileForm()
    valid = form.validate_on_submit()
    if not (form.photos_chosen(member) and valid):
        return _profile_page(member, form, 422)
    try:
        submit_profile(
            g.actor,
            form.fields(),
            form.upload(form.shop_photo),
            form.upload(form.licence_photo),
        )
    except InvalidInput as error:  # a photo missing or not an image: nothing was kept
        return _profile_page(member, form, 422, render_message(error.msg))
    return see_other(url_for("shop.me"), _("资料已提交，请等待客服审核"))


@bp.get("/me/photos/<any(shop, licence):kind>.jpg")
@actor_required
def my_photo(kind: str):
    return _send_own_photo(kind, thumb=False)


@bp.get("/me/photos/<any(shop, licence):kind>/thumb.jpg")
@actor_required
def my_photo_thumbnail(kind: str):
    return _send_own_photo(kind, thumb=True)


def _send_own_photo(kind: str, thumb: bool):
    member = member_of(g.actor.user_id)
    key = member_photo_key(member, kind, thumb) if member and kind in PHOTO_KINDS else None
    if key is None:
        abort(404)
    return send_stored(key, mimetype="image/jpeg", max_age=PHOTO_CACHE_SECONDS)
