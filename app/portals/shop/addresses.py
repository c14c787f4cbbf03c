"""The buyer's address book (收货地址): list, add, change, delete and choose the default.

A `next` path of the storefront (checkout sends "/shop/checkout") brings the buyer back there
after a save; anything else in `next` is ignored.
"""

from __future__ import annotations

import re

from flask import abort, flash, g, request, url_for
from flask_babel import gettext as _

from app.accounts.addresses import (
    MAX_ADDRESSES,
    NOT_LOCATED,
    add_address,
    address_of,
    addresses_of,
    delete_address,
    edit_address,
    set_default_address,
)
from app.accounts.models import Address
from app.portals.shop.views import bp
from app.web.access import actor_required
from app.web.order_view import render_message
from app.web.rendering import render_page_or_block, see_other

from .forms import address_form

__all__ = ["bp"]

# A page of the storefront, plainly spelled: no "//", no backslash, no escapes, no other host.
_SHOP_PATH = re.compile(r"/shop/(?:[A-Za-z0-9_-]+/?)*(?:\?[A-Za-z0-9_=&.-]*)?")
MAX_NEXT = 256


def _next_url() -> str | None:
    target = request.values.get("next", "")
    return target if len(target) <= MAX_NEXT and _SHOP_PATH.fullmatch(target) else None


def _book_url() -> str:
    return url_for("shop.addresses", next=_next_url())


def _mine(address_id: int) -> Address:
    return address_of(g.actor.user_id, address_id) or abort(404)


def _saved(address: Address, message: str):
    if address.lat is None or address.lng is None:
        flash(render_message(NOT_LOCATED()), "warning")
    return see_other(_next_url() or url_for("shop.addresses"), message)


def _form_page(form, address: Address | None, full: bool = False):
    target = (
        url_for("shop.edit_address", address_id=address.id, next=_next_url())
        if address is not None
        else url_for("shop.new_address", next=_next_url())
    )
    return render_page_or_block(
        "shop/address_form.html",
        "address_form",
        status=422 if form.is_submitted() else 200,
        form=form,
        address=address,
        action=target,
        back_url=_next_url() or _book_url(),
        full=full,
        max_addresses=MAX_ADDRESSES,
    )


@bp.get("/addresses")
@actor_required
def addresses():
    book = addresses_of(g.actor.user_id)
    return render_page_or_block(
        "shop/addresses.html",
        addresses=book,
        full=len(book) >= MAX_ADDRESSES,
        max_addresses=MAX_ADDRESSES,
        next_url=_next_url(),
    )


@bp.route("/addresses/new", methods=["GET", "POST"])
@actor_required
def new_address():
    form = address_form()
    if form.validate_on_submit():
        return _saved(add_address(g.actor, form.fields()), _("收货地址已保存"))
    full = not form.is_submitted() and len(addresses_of(g.actor.user_id)) >= MAX_ADDRESSES
    return _form_page(form, None, full=full)


@bp.route("/addresses/<int:address_id>/edit", methods=["GET", "POST"], endpoint="edit_address")
@actor_required
def edit_address_view(address_id: int):
    address = _mine(address_id)
    form = address_form(address)
    if form.validate_on_submit():
        return _saved(edit_address(g.actor, address, form.fields()), _("收货地址已保存"))
    return _form_page(form, address)


@bp.route("/addresses/<int:address_id>/delete", methods=["GET", "POST"], endpoint="delete_address")
@actor_required
def delete_address_view(address_id: int):
    """GET asks 确定删除 (a step that needs no JavaScript); POST deletes."""
    address = _mine(address_id)
    if request.method == "POST":
        delete_address(g.actor, address)
        return see_other(_book_url(), _("收货地址已删除"))
    return render_page_or_block(
        "shop/addresses.html", confirm=address, addresses=[], next_url=_next_url()
    )


@bp.post("/addresses/<int:address_id>/default")
@actor_required
def default_address(address_id: int):
    address = _mine(address_id)
    set_default_address(g.actor, address)
    return see_other(_book_url(), _("已设为默认地址"))
