"""The storefront's catalog pages: category and brand pages, search, and the product detail
page with its add-to-cart form. The reading lives in `app.catalog.browse` and `.search`."""

from __future__ import annotations

from flask import abort, g, request, url_for
from flask_babel import gettext as _

from app.catalog.browse import (
    DEFAULT_SORT,
    SORTS,
    STOCK_LABELS,
    ProductFilter,
    hot_categories,
    pack_step,
    price_fen_arg,
    product_cards,
    product_for_sale,
    product_image_url,
    sku_choices,
    whole_packs,
)
from app.catalog.cached_library import storefront
from app.catalog.library import brand_logo_url, category_icon_url
from app.catalog.models import Brand
from app.catalog.reviews import product_reviews
from app.catalog.search import MAX_QUERY, search_words
from app.errors import InvalidInput
from app.extensions import db
from app.messages import NOTE
from app.ordering.cart import add_to_cart
from app.portals.shop.views import bp, current_cart_bar
from app.stores.models import BUSINESS_STATUS_LABELS, StoreKind
from app.stores.profile import store_image_url
from app.stores.services import closed_notice
from app.web.access import actor_required
from app.web.bounds import MAX_ID, int_arg
from app.web.order_view import render_message
from app.web.rendering import render_page_or_block, see_other

from .forms import AddToCartForm

__all__ = ["bp"]

LIST_ARGS = ("sort", "brand", "min", "max", "category", "q")


def _list_filter(**fixed) -> tuple[ProductFilter, dict]:
    """The grid's filter from ?sort=&brand=&min=&max= (prices in yuan) and what the page's links
    carry along (without ?page=)."""
    args = request.args
    sort = args.get("sort", DEFAULT_SORT)
    sort = sort if sort in SORTS else DEFAULT_SORT
    filter = ProductFilter(
        brand_id=int_arg("brand", 0, high=MAX_ID) or None,
        min_fen=price_fen_arg(args.get("min")),
        max_fen=price_fen_arg(args.get("max")),
        sort=sort,
        **fixed,
    )
    kept = {name: args[name][:MAX_QUERY] for name in LIST_ARGS if args.get(name)}
    kept.pop("sort", None)
    return filter, kept


def _grid(template: str, filter: ProductFilter, kept: dict, args: dict, **context):
    """A grid page; for HTMX the filtered results (page 1) or the next cards (加载更多).
    `args` are the page's URL arguments, `kept` the filter's (its links carry both)."""
    shop = storefront(g.actor)
    viewer = shop.viewer
    htmx = request.htmx
    fragment = htmx and not htmx.boosted and not htmx.history_restore_request
    more = bool(fragment) and int_arg("page", 1, low=1) > 1  # 加载更多 shows no total
    page = product_cards(filter, viewer, count=not more)
    block = "cards" if page.page > 1 else "results"
    return render_page_or_block(
        template,
        block,
        page=page,
        viewer=viewer,
        sort=filter.sort,
        sorts=SORTS,
        filter=filter,
        kept=kept,
        args=args,
        link_args={**args, **kept},
        brands=shop.library.brands,
        **context,
    )


@bp.get("/categories/<int:category_id>")
def category(category_id: int):
    """A level-1 or 2 category: its children as chips and the products of every leaf below it;
    a leaf: its products."""
    tree = storefront(g.actor).library.tree
    node = tree.get(category_id) or abort(404)
    filter, kept = _list_filter(category_ids=tuple(tree.below(node.id)))
    return _grid(
        "shop/category.html",
        filter,
        kept,
        node=node,
        path=tree.path(node.id),
        icon_url=category_icon_url,
        args={"category_id": node.id},
    )


@bp.get("/brands/<int:brand_id>")
def brand(brand_id: int):
    brand = db.session.get(Brand, brand_id) or abort(404)
    filter, kept = _list_filter()
    filter = ProductFilter(**{**filter.__dict__, "brand_id": brand.id})
    kept.pop("brand", None)
    return _grid(
        "shop/brand.html",
        filter,
        kept,
        brand=brand,
        logo=brand_logo_url(brand),
        args={"brand_id": brand.id},
    )


@bp.get("/search")
def search():
    """?q= over titles, item numbers, brand and category names; no words: hot categories."""
    query = (request.args.get("q") or "")[:MAX_QUERY].strip()
    words = search_words(query)
    tree = storefront(g.actor).library.tree
    category_id = int_arg("category", 0, high=MAX_ID)
    node = tree.get(category_id)
    if not words:
        return render_page_or_block(
            "shop/search.html",
            query="",
            hot=hot_categories(tree),
            icon_url=category_icon_url,
            page=None,
        )
    categories = tuple(tree.below(node.id)) if node else None
    filter, kept = _list_filter(words=words, category_ids=categories)
    return _grid(
        "shop/search.html",
        filter,
        kept,
        query=query,
        node=node,
        categories=tree.roots,
        args={},
    )


# ---- one product --------------------------------------------------------------------------


@bp.get("/products/<int:product_id>")
def product(product_id: int):
    shop = storefront(g.actor)
    viewer = shop.viewer
    found = product_for_sale(product_id, level_prices=viewer.wholesale) or abort(404)
    product, store = found
    choices = sku_choices(product, viewer, store.kind)
    chosen_id = int_arg("sku", 0, high=MAX_ID)
    chosen = next((c for c in choices if c.sku.id == chosen_id), None)
    chosen = chosen or next((c for c in choices if c.state != "sold_out"), None)
    chosen = chosen or (choices[0] if choices else None)
    notice = closed_notice(store)
    tree = shop.library.tree if product.category_id else None
    brand_name = shop.library.brand_names.get(product.brand_id) if product.brand_id else None
    images = product.images or []
    return render_page_or_block(
        "shop/product.html",
        "buy",  # the spec selector swaps the price, stock state and the form
        product=product,
        brand=(product.brand_id, brand_name) if brand_name else None,
        store=store,
        store_state=BUSINESS_STATUS_LABELS.get(store.business_status, ""),
        logo_url=store_image_url,
        viewer=viewer,
        wholesale=store.kind == StoreKind.WHOLESALE,
        choices=choices,
        chosen=chosen,
        stock_labels=STOCK_LABELS,
        step=pack_step(product),
        images=[product_image_url(product.id, images, n) for n in range(len(images))],
        path=tree.path(product.category_id) if tree else [],
        closed_message=render_message(notice) if notice else "",
        may_buy=notice is None,
        reviews=product_reviews(product.id),
        cart=current_cart_bar(),
    )


@bp.post("/products/<int:product_id>/cart")
@actor_required
def add_product_to_cart(product_id: int):
    """订货 / 加入购物车 from the detail page: a quantity that is not a whole number of packs is
    rounded up to one (and the buyer told so); the cart's own rules do the rest."""
    found = product_for_sale(product_id) or abort(404)
    product = found[0]
    form = AddToCartForm()
    if not form.validate():
        raise InvalidInput(NOTE(text=form.first_error()))
    if form.sku_id.data not in {sku.id for sku in product.skus}:
        abort(404)
    quantity = whole_packs(product, form.quantity.data)
    add_to_cart(g.actor.user_id, form.sku_id.data, quantity)
    message = _("已加入购物车")
    if quantity != form.quantity.data:
        message = _(
            "须按 %(step)s 的整数倍订购，已调整为 %(n)s，并加入购物车",
            step=pack_step(product),
            n=quantity,
        )
    if request.htmx:
        stock = next(sku.stock for sku in product.skus if sku.id == form.sku_id.data)
        corrected = {"quantity": quantity, "step": pack_step(product), "stock": stock}
        return render_page_or_block(
            "shop/product.html",
            "cart_bar",
            cart=current_cart_bar(),
            added=message,
            product=product,
            corrected=corrected if quantity != form.quantity.data else None,
        )
    return see_other(url_for("shop.product", product_id=product.id, sku=form.sku_id.data), message)
