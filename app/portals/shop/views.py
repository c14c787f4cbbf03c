"""The buyer's storefront (phone): mall, store pages, cart, checkout and the order centre."""

from __future__ import annotations

from flask import Blueprint, abort, g, request, url_for
from flask_babel import gettext as _

from app.accounts.members import shown_prices
from app.accounts.services import addresses_of
from app.catalog.browse import pinned_cards
from app.catalog.cached_library import MEMBER_FACTS, storefront, storefront_of
from app.catalog.library import category_icon_url
from app.catalog.services import products_of
from app.errors import InvalidInput
from app.extensions import db
from app.messages import NOTE
from app.ordering.cart import Cart, CartBar, add_to_cart, cart_bar, cart_of, set_cart_quantity
from app.stores.mall import DEFAULT_SORT, SORTS, mall_origin, mall_stores
from app.stores.models import KIND_LABELS, Store, StoreKind
from app.stores.profile import store_image_url
from app.stores.services import closed_notice, shows_products
from app.web.access import actor_required, portal_guard
from app.web.order_view import render_message
from app.web.person import NOT_READ, alongside, read_alongside
from app.web.rendering import render_page_or_block, see_other

from .forms import AddToCartForm, CartQuantityForm

bp = Blueprint("shop", __name__)
bp.before_request(portal_guard("shop"))
read_alongside("shop", "storefront", MEMBER_FACTS)  # a member's prices, read with the person


@bp.before_request
def storefront_read_with_the_person():
    """A logged-in buyer's price facts came with the person's own statement (PostgreSQL): a
    page's storefront is made of them, not read again. (A POST may change what they say, a
    member's profile for one: it reads them when it asks, after its change.)"""
    facts = alongside("storefront")
    if facts is not NOT_READ and g.get("actor") is not None and request.method == "GET":
        storefront_of(g.actor, facts)


ORDERS_PER_PAGE = 10
BADGED_KINDS = {StoreKind.WHOLESALE: KIND_LABELS[StoreKind.WHOLESALE]}  # the mall marks these


def current_cart() -> Cart | None:
    """The buyer's cart; None for a visitor."""
    return cart_of(g.actor.user_id) if g.actor else None


def current_cart_bar() -> CartBar | None:
    """The cart bar's figures (lines, total) for a store or product page; None for a visitor."""
    return cart_bar(g.actor.user_id) if g.actor else None


@bp.get("/")
def index():
    """The mall: open stores, sorted by ?sort=, distances from the buyer's chosen address
    (?address=, else their default) or the phone's location (?lat=&lng=)."""
    sort = request.args.get("sort", DEFAULT_SORT)
    sort = sort if sort in SORTS else DEFAULT_SORT
    addresses = addresses_of(g.actor.user_id) if g.actor else []
    shop = storefront(g.actor)
    args = request.args
    origin = mall_origin(
        addresses,
        args.get("address", type=int),
        args.get("lat", type=float),
        args.get("lng", type=float),
    )
    return render_page_or_block(
        "shop/index.html",
        stores=mall_stores(sort, origin),
        sort=sort,
        sorts=SORTS,
        origin=origin,
        origin_args=origin.args if origin else {},
        addresses=addresses,
        badges=BADGED_KINDS,
        logo_url=store_image_url,
        categories=shop.library.tree.roots,  # the category grid: level 1
        icon_url=category_icon_url,
        pinned=pinned_cards(shop.viewer),  # 精选
        viewer_logged_in=g.actor is not None,
    )


@bp.get("/stores/<int:store_id>")
def store(store_id: int):
    store = db.session.get(Store, store_id)
    if store is None or store.deleted_at is not None:  # a deleted store is gone for buyers
        abort(404)
    notice = closed_notice(store)
    products = products_of(store, listed_only=True) if shows_products(store) else []
    viewer = storefront(g.actor).viewer
    skus = (sku for product in products for sku in product.skus)
    return render_page_or_block(
        "shop/store.html",
        store=store,
        closed_message=render_message(notice) if notice else "",
        may_buy=notice is None,
        products=products,
        prices=shown_prices(skus, viewer, store.kind),  # sku id → fen, None: not for them
        viewer=viewer,
        wholesale=store.kind == StoreKind.WHOLESALE,
        cart=current_cart_bar(),
    )


@bp.post("/cart/add")
@actor_required
def add_to_cart_line():
    form = AddToCartForm()
    if not form.validate():
        raise InvalidInput(NOTE(text=form.first_error()))
    line = add_to_cart(g.actor.user_id, form.sku_id.data, form.quantity.data)
    store_id = line.sku.product.store_id
    if request.htmx:
        return render_page_or_block(
            "shop/store.html", "cart_bar", cart=current_cart_bar(), added=True
        )
    return see_other(url_for("shop.store", store_id=store_id), _("已加入购物车"))


@bp.get("/cart")
@actor_required
def cart():
    return render_page_or_block("shop/cart.html", "cart", cart=current_cart())


@bp.post("/cart/<int:line_id>")
@actor_required
def update_cart_line(line_id: int):
    form = CartQuantityForm()
    if not form.validate():
        raise InvalidInput(NOTE(text=form.first_error()))
    set_cart_quantity(g.actor.user_id, line_id, form.quantity.data)
    if request.htmx:
        return render_page_or_block("shop/cart.html", "cart", cart=current_cart())
    return see_other(url_for("shop.cart"))
