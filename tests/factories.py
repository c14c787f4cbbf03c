"""Factories over fixtures-with-data: each test builds exactly the world it talks about."""

from __future__ import annotations

import itertools

from sqlalchemy import select

from app.accounts.actor import Actor
from app.accounts.models import Address, Member, MemberLevel, MemberStatus, Role, RoleGrant, User
from app.catalog.models import Product, Sku
from app.delivery.riders import ensure_profile
from app.extensions import db
from app.jobs import commit
from app.ordering.cart import add_to_cart
from app.ordering.checkout import place_orders
from app.ordering.models import Order
from app.ordering.services import accept_order
from app.ordering.states import OrderStatus
from app.stores.models import Store, StoreKind
from app.wholesale.models import Region

PASSWORD = "pw123456"
_seq = itertools.count(1)


def make_region(name: str | None = None) -> Region:
    region = Region(name=name or f"区域{next(_seq)}")
    db.session.add(region)
    db.session.flush()
    return region


def make_store(kind: str = StoreKind.SAME_CITY, **fields) -> Store:
    n = next(_seq)
    store = Store(name=fields.pop("name", f"测试店铺{n}"), kind=kind, **fields)
    db.session.add(store)
    db.session.flush()
    return store


def make_product(
    store: Store,
    name: str | None = None,
    price_fen: int = 1200,
    stock: int = 100,
    min_order_qty: int = 1,
    spec: str = "标准",
) -> Product:
    product = Product(
        store_id=store.id, name=name or f"商品{next(_seq)}", min_order_qty=min_order_qty
    )
    product.skus = [Sku(spec=spec, price_fen=price_fen, stock=stock)]
    db.session.add(product)
    db.session.flush()
    return product


def make_user(
    role: str | None = None,
    *,
    store: Store | None = None,
    region: Region | None = None,
    name: str | None = None,
    phone: str | None = None,
    plate_no: str | None = None,
) -> User:
    n = next(_seq)
    user = User(phone=phone or f"139{n:08d}", name=name or f"用户{n}", plate_no=plate_no)
    user.set_password(PASSWORD)
    db.session.add(user)
    db.session.flush()
    if role:
        grant(user, role, store=store, region=region)
    return user


def grant(
    user: User, role: str, *, store: Store | None = None, region: Region | None = None
) -> RoleGrant:
    row = RoleGrant(
        user_id=user.id,
        role=role,
        store_id=store.id if store else None,
        region_id=region.id if region else None,
    )
    db.session.add(row)
    db.session.flush()
    if role == Role.RIDER:  # an approved rider at work, as riders were before duty existed
        ensure_profile(user.id, on_duty=True)
    db.session.refresh(user)
    return row


def _first_level_id() -> int:
    return db.session.execute(
        select(MemberLevel.id).order_by(MemberLevel.rank).limit(1)
    ).scalar_one()


def make_buyer(region: Region | None = None, approved: bool = True, **kw) -> User:
    user = make_user(Role.BUYER, **kw)
    db.session.add(
        Address(
            user_id=user.id,
            contact_name=user.name,
            contact_phone=user.phone,
            text="海口市美兰区海甸岛人民大道 58 号",
            is_default=True,
        )
    )
    if region is not None:
        db.session.add(
            Member(
                user_id=user.id,
                region_id=region.id,
                status=MemberStatus.APPROVED if approved else MemberStatus.PENDING,
                level_id=_first_level_id() if approved else None,
            )
        )
    db.session.flush()
    return user


def actor_of(user: User, role: str | None = None) -> Actor:
    grant_row = next(g for g in user.grants if role is None or g.role == role)
    return Actor.from_grant(user, grant_row)


def store_actor(store_id: int) -> Actor:
    return Actor(user_id=None, role=Role.STORE_STAFF, store_id=store_id, name="店员")


def place_order(
    buyer: User,
    product: Product,
    quantity: int = 1,
    payment: str = "cod",
    remark: str = "",
    accept: bool = True,
) -> Order:
    """Put one product in the buyer's cart and check out, committing like a request does.

    A same-city cash-on-delivery order is accepted by its store too (接单), unless `accept` is
    False: most tests start from an order the store is preparing."""
    add_to_cart(buyer.id, product.skus[0].id, quantity)
    address = db.session.execute(select(Address).filter_by(user_id=buyer.id)).scalars().first()
    [order] = place_orders(
        actor_of(buyer, Role.BUYER),
        address,
        payment,
        {product.store_id: remark} if remark else None,
    ).orders
    commit()
    if accept and order.status == OrderStatus.PENDING_ACCEPT:
        accept_order(order, store_actor(order.store_id))
        commit()
    return order
