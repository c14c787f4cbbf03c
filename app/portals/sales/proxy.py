"""代客下单: the sales manager orders for a customer of their region, at the customer's prices, to
one of the customer's addresses, with a payment method the wholesale store accepts. Checkout
(`place_orders_for`) checks everything again and records the order as placed by the manager."""

from __future__ import annotations

import secrets

from flask import abort, g, request, url_for
from flask_babel import gettext as _
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from app.accounts.models import Address, Member, MemberStatus, User
from app.catalog.models import AuditStatus, Product, Sku
from app.catalog.pricing import level_price
from app.errors import DomainError
from app.extensions import db
from app.ordering.checkout import place_orders_for
from app.ordering.payment import PAYMENT_METHODS, store_payment_methods
from app.stores.models import Store, StoreKind
from app.web.bounds import int_arg
from app.web.order_view import render_message
from app.web.rendering import render_page_or_block, see_other
from app.web.unit_of_work import discard_work

from .proxy_forms import ProxyOrderForm
from .views import bp

__all__ = ["bp"]

MAX_CUSTOMERS = 50
MAX_PRODUCTS = 100


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def region_customers(q: str = "") -> list[tuple[User, Member]]:
    """The approved members of the manager's region, by name."""
    query = (
        select(User, Member)
        .join(Member, Member.user_id == User.id)
        .where(Member.region_id == g.actor.region_id, Member.status == MemberStatus.APPROVED)
        .order_by(User.name, User.id)
        .limit(MAX_CUSTOMERS)
    )
    if q:
        pattern = _like(q)
        query = query.where(
            or_(
                User.name.like(pattern, escape="\\"),
                User.phone.like(pattern, escape="\\"),
                Member.shop_name.like(pattern, escape="\\"),
            )
        )
    return [(user, member) for user, member in db.session.execute(query)]


def _customer_or_404(buyer_id: int) -> tuple[User, Member]:
    """A customer of the manager's own region; anyone else answers 404."""
    member = db.session.get(Member, buyer_id)
    if (
        member is None
        or g.actor.region_id is None
        or member.region_id != g.actor.region_id
        or member.status != MemberStatus.APPROVED
    ):
        abort(404)
    return db.session.get(User, buyer_id), member


def _wholesale_stores() -> list[Store]:
    return list(
        db.session.execute(
            select(Store)
            .where(Store.kind == StoreKind.WHOLESALE, Store.deleted_at.is_(None))
            .order_by(Store.id)
        ).scalars()
    )


def _products(store: Store, q: str) -> list[Sku]:
    query = (
        select(Sku)
        .join(Product, Product.id == Sku.product_id)
        .where(
            Product.store_id == store.id,
            Product.listed.is_(True),
            Product.deleted_at.is_(None),
            Product.audit_status == AuditStatus.APPROVED,
        )
        .options(selectinload(Sku.level_prices), selectinload(Sku.product))
        .order_by(Product.name, Product.id, Sku.id)
        .limit(MAX_PRODUCTS)
    )
    if q:
        query = query.where(Product.name.like(_like(q), escape="\\"))
    return list(db.session.execute(query).scalars())


@bp.get("/proxy")
def proxy_customers():
    q = request.args.get("q", "").strip()[:50]
    return render_page_or_block(
        "sales/proxy_order.html", "customers", customers=region_customers(q), q=q
    )


def _order_page(buyer: User, member: Member, form: ProxyOrderForm, status: int = 200):
    stores = _wholesale_stores()
    store_id = int_arg("store", stores[0].id if stores else 0)
    store = next((s for s in stores if s.id == store_id), stores[0] if stores else None)
    q = request.args.get("q", "").strip()[:50]
    skus = _products(store, q) if store else []
    level_id = member.level_id if member.approved else None
    addresses = list(
        db.session.execute(
            select(Address)
            .where(Address.user_id == buyer.id)
            .order_by(Address.is_default.desc(), Address.id)
        ).scalars()
    )
    methods = store_payment_methods(store) if store else []
    if form.address_id.data is None and addresses:
        form.address_id.data = addresses[0].id
    return render_page_or_block(
        "sales/proxy_order.html",
        "proxy_form",
        status=status,
        buyer=buyer,
        member=member,
        form=form,
        stores=stores,
        store=store,
        q=q,
        skus=skus,
        price=lambda sku: level_price(sku, level_id),
        addresses=addresses,
        methods=[(m, PAYMENT_METHODS[m]) for m in methods],
    )


def _form(store: Store | None) -> ProxyOrderForm:
    form = ProxyOrderForm() if request.method == "POST" else ProxyOrderForm(formdata=None)
    methods = store_payment_methods(store) if store else []
    form.payment_method.choices = [(m, PAYMENT_METHODS[m]) for m in methods]
    if not form.key.data:
        form.key.data = secrets.token_hex(16)
    return form


@bp.route("/proxy/<int:buyer_id>", methods=["GET", "POST"])
def proxy_order(buyer_id: int):
    buyer, member = _customer_or_404(buyer_id)
    stores = _wholesale_stores()
    store_id = int_arg("store", stores[0].id if stores else 0)
    store = next((s for s in stores if s.id == store_id), stores[0] if stores else None)
    form = _form(store)
    if request.method == "GET":
        return _order_page(buyer, member, form)
    if not form.validate_on_submit():
        return _order_page(buyer, member, form, 422)
    address = db.session.get(Address, form.address_id.data)
    if address is None or address.user_id != buyer.id:
        form.address_id.errors = [_("请选择该客户的收货地址")]
        return _order_page(buyer, member, form, 422)
    try:
        result = place_orders_for(
            g.actor,
            buyer,
            address,
            form.payment_method.data,
            form.lines,
            form.remark.data or "",
            form.key.data,
        )
    except DomainError as error:  # pack multiples, stock, a closed store: nothing was placed
        discard_work()  # what checkout wrote before it refused (the page shows the stock as it was)
        form.line_errors.append(render_message(error.msg))
        return _order_page(buyer, member, form, 422)
    first = result.orders[0]
    message = _("已为 %(name)s 代客下单", name=buyer.name)
    return see_other(url_for("sales.order", order_id=first.id), message)
