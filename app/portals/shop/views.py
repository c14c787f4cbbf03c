"""The buyer's storefront (phone): mall, store pages, cart, checkout and the order centre."""

from __future__ import annotations

from flask import Blueprint, abort, g, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy.orm import selectinload

from app.errors import InvalidInput
from app.extensions import db
from app.jobs import commit
from app.ordering.models import Order
from app.ordering.scope import order_for, orders_visible_to
from app.ordering.services import (
    CLOSED_STORE_MESSAGES,
    add_to_cart,
    awaits_buyer_receipt,
    confirm_receipt,
    place_orders,
    set_cart_quantity,
)
from app.stores.models import Store
from app.stores.services import open_stores
from app.web.access import actor_required, portal_guard
from app.web.i18n import translate
from app.web.paging import paginate
from app.web.rendering import render_page_or_block, see_other

from .forms import AddToCartForm, CartQuantityForm, checkout_form
from .queries import (
    addresses_of,
    cart_of,
    listed_products,
)

bp = Blueprint("shop", __name__)
bp.before_request(portal_guard("shop", visitors=True))

ORDERS_PER_PAGE = 10


@bp.get("/")
def index():
    return render_page_or_block("shop/index.html", stores=open_stores())


@bp.get("/stores/<int:store_id>")
def store(store_id: int):
    store = db.session.get(Store, store_id) or abort(404)
    return render_page_or_block(
        "shop/store.html",
        store=store,
        closed_message=translate(CLOSED_STORE_MESSAGES.get(store.business_status)),
        products=listed_products(store) if store.is_open else [],
        cart=cart_of(g.actor),
    )


@bp.post("/cart/add")
@actor_required
def add_to_cart_line():
    form = AddToCartForm()
    if not form.validate():
        raise InvalidInput(form.first_error())
    line = add_to_cart(g.actor.user_id, form.sku_id.data, form.quantity.data)
    store_id = line.sku.product.store_id
    commit()
    if request.htmx:
        return render_page_or_block(
            "shop/store.html", "cart_bar", cart=cart_of(g.actor), added=True
        )
    return see_other(url_for("shop.store", store_id=store_id), _("已加入购物车"))


@bp.get("/cart")
@actor_required
def cart():
    return render_page_or_block("shop/cart.html", "cart", cart=cart_of(g.actor))


@bp.post("/cart/<int:line_id>")
@actor_required
def update_cart_line(line_id: int):
    form = CartQuantityForm()
    if not form.validate():
        raise InvalidInput(form.first_error())
    set_cart_quantity(g.actor.user_id, line_id, form.quantity.data)
    commit()
    if request.htmx:
        return render_page_or_block("shop/cart.html", "cart", cart=cart_of(g.actor))
    return see_other(url_for("shop.cart"))


@bp.route("/checkout", methods=["GET", "POST"])
@actor_required
def checkout():
    cart, addresses = cart_of(g.actor), addresses_of(g.actor)
    form = checkout_form(addresses, [group.store.id for group in cart.groups])
    if form.validate_on_submit():
        address = next(a for a in addresses if a.id == form.address_id.data)
        orders = place_orders(g.actor, address, form.payment_method.data, form.remarks())
        commit()
        message = ngettext(
            "下单成功，共 %(num)s 个订单", "下单成功，共 %(num)s 个订单", len(orders)
        )
        return see_other(url_for("shop.orders"), message)
    return render_page_or_block(
        "shop/checkout.html",
        "checkout_form",
        status=422 if form.is_submitted() else 200,
        form=form,
        cart=cart,
        addresses=addresses,
    )


@bp.get("/orders")
@actor_required
def orders():
    query = orders_visible_to(g.actor).options(selectinload(Order.items))
    page = paginate(
        query.order_by(Order.created_at.desc(), Order.id.desc()), per_page=ORDERS_PER_PAGE
    )
    return render_page_or_block("shop/orders.html", page=page)


@bp.get("/orders/<int:order_id>")
@actor_required
def order(order_id: int):
    order = order_for(g.actor, order_id) or abort(404)
    return render_page_or_block(
        "shop/order.html", "status", order=order, can_receive=awaits_buyer_receipt(order)
    )


@bp.post("/orders/<int:order_id>/receive")
@actor_required
def receive(order_id: int):
    order = order_for(g.actor, order_id) or abort(404)
    confirm_receipt(order, g.actor)
    commit()
    if request.htmx:
        return render_page_or_block("shop/order.html", "status", order=order, can_receive=False)
    return see_other(url_for("shop.order", order_id=order.id), _("已确认收货"))
