"""Checkout: the cart becomes one order per store; the form's key places them once."""

from __future__ import annotations

from flask import g, url_for
from flask_babel import ngettext

from app.accounts.services import addresses_of
from app.ordering.checkout import place_orders
from app.web.access import actor_required
from app.web.rendering import render_page_or_block, see_other

from .forms import checkout_form
from .views import bp, current_cart


@bp.route("/checkout", methods=["GET", "POST"])
@actor_required
def checkout():
    cart, addresses = current_cart(), addresses_of(g.actor.user_id)
    form = checkout_form(addresses, cart.store_ids, cart.payment_methods)
    if form.validate_on_submit():
        address = next(a for a in addresses if a.id == form.address_id.data)
        placed = place_orders(
            g.actor, address, form.payment_method.data, form.remarks(), form.checkout_key.data
        )
        message = ngettext(  # a replayed submit answers exactly as the first one did
            "下单成功，共 %(num)s 个订单", "下单成功，共 %(num)s 个订单", len(placed.orders)
        )
        return see_other(url_for("shop.orders"), message)
    return render_page_or_block(
        "shop/checkout.html",
        "checkout_form",
        status=422 if form.is_submitted() else 200,
        form=form,
        cart=cart,
        addresses=addresses,
        cod_only=cart.cash_on_delivery_only,
    )
