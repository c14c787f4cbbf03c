"""Checkout: the cart becomes one order per store; the form's key places them once. The page
shows per store its delivery option, buyer message and coupons, the platform coupon and the
points; the totals are recomputed by the server on every change (the preview block)."""

from __future__ import annotations

from flask import current_app, g, url_for
from flask_babel import ngettext

from app.accounts.services import addresses_of
from app.errors import DomainError
from app.ordering.checkout import CheckoutPlan, Choices, place_orders, preview
from app.ordering.payment import DELIVERY_OPTIONS, ONLINE, store_delivery_options
from app.promotions.coupons import unused_coupons, usable_coupons
from app.web.access import actor_required
from app.web.order_view import render_message
from app.web.rendering import render_page_or_block, see_other
from app.web.unit_of_work import discard_work

from .forms import CheckoutForm, checkout_form
from .views import bp, current_cart


def _form(cart, addresses) -> CheckoutForm:
    options = {group.store.id: store_delivery_options(group.store) for group in cart.groups}
    return checkout_form(addresses, cart.store_ids, cart.payment_methods, options)


def _coupon_choices(cart):
    """The buyer's coupons for this cart: the platform ones and each store's, each usable or
    with the reason it is not."""
    goods = {group.store.id: group.goods_fen for group in cart.groups}
    return usable_coupons(g.actor.user_id, goods, unused_coupons(g.actor.user_id))


def _preselect_best(form: CheckoutForm, platform, per_store) -> None:
    """A fresh page starts with the best usable coupon of each kind chosen."""
    if form.is_submitted():
        return
    best = next((c for c in platform if c.usable), None)
    form.platform_coupon_id.data = best.held.id if best else 0
    for sid in form.store_ids:
        best = next((c for c in per_store.get(sid, []) if c.usable), None)
        form.coupon_field(sid).data = best.held.id if best else 0


def _price(form: CheckoutForm) -> tuple[CheckoutPlan | None, str | None]:
    """The plan for the form's choices, or (a plan without discounts, the reason) when a choice
    cannot be used."""
    try:
        return preview(g.actor.user_id, form.choices()), None
    except DomainError as error:
        chosen = form.choices()
        kept = Choices(delivery=chosen.delivery, location=chosen.location, slots=chosen.slots)
        for fallback in (kept, Choices(location=chosen.location)):
            try:
                return preview(g.actor.user_id, fallback), render_message(error.msg)
            except DomainError:
                continue
        return None, render_message(error.msg)


def _page(form: CheckoutForm, cart, addresses, block: str, status: int, error: str | None = None):
    platform, per_store = _coupon_choices(cart)
    _preselect_best(form, platform, per_store)
    plan, problem = _price(form) if cart.groups else (None, None)
    return render_page_or_block(
        "shop/checkout.html",
        block,
        status=status,
        form=form,
        cart=cart,
        addresses=addresses,
        plan=plan,
        problem=error or problem,
        platform_coupons=platform,
        store_coupons=per_store,
        cod_only=cart.cash_on_delivery_only,
        delivery_labels=DELIVERY_OPTIONS,
    )


def _after_placing(checkout, payment_method: str) -> str:
    paying = payment_method == ONLINE and checkout is not None
    if paying and "shop.pay" in current_app.view_functions:  # the payments slice's page
        return url_for("shop.pay", checkout_id=checkout.id)
    return url_for("shop.orders")


@bp.route("/checkout", methods=["GET", "POST"])
@actor_required
def checkout():
    cart, addresses = current_cart(), addresses_of(g.actor.user_id)
    form = _form(cart, addresses)
    if form.validate_on_submit():
        address = next(a for a in addresses if a.id == form.address_id.data)
        choices = form.choices()
        try:
            placed = place_orders(
                g.actor,
                address,
                form.payment_method.data,
                form.remarks(),
                form.checkout_key.data,
                delivery=choices.delivery,
                platform_coupon_id=choices.platform_coupon_id,
                store_coupons=choices.store_coupons,
                points=choices.points,
                slots=choices.slots,
            )
        except DomainError as error:
            discard_work()  # nothing of the refused checkout is kept
            cart = current_cart()
            return _page(form, cart, addresses, "checkout_form", 422, render_message(error.msg))
        message = ngettext(  # a replayed submit answers exactly as the first one did
            "下单成功，共 %(num)s 个订单", "下单成功，共 %(num)s 个订单", len(placed.orders)
        )
        return see_other(_after_placing(placed.checkout, form.payment_method.data), message)
    return _page(form, cart, addresses, "checkout_form", 422 if form.is_submitted() else 200)


@bp.post("/checkout/preview")
@actor_required
def checkout_preview():
    """The summary block for the choices on the form (htmx, on every change); writes nothing."""
    cart, addresses = current_cart(), addresses_of(g.actor.user_id)
    form = _form(cart, addresses)
    form.validate()
    return _page(form, cart, addresses, "summary", 200)
