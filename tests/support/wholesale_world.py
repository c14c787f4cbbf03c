"""The wholesale world the sales, driver and media web tests share: two regions, one store,
a 海口 manager, driver and customer; helpers that move an order along through the services.
"""

from __future__ import annotations

import io
import itertools
from dataclasses import dataclass

from flask import Flask
from PIL import Image
from sqlalchemy import func, select

from app.accounts.models import Role, User
from app.catalog.models import Product
from app.extensions import db
from app.jobs import commit
from app.notifications.models import SmsMessage
from app.ordering.models import Order
from app.stores.models import StoreKind
from app.wholesale.models import Region, SlipPhoto
from app.wholesale.services import assign_driver, confirm_order
from tests.factories import (
    PASSWORD,
    actor_of,
    make_buyer,
    make_product,
    make_region,
    make_store,
    make_user,
    place_order,
)

CUSTOMER_PHONE = "13800000003"
ADDRESS = "海口市美兰区海甸岛人民大道 58 号"  # what make_buyer writes as the default address


@dataclass
class World:
    haikou: Region
    sanya: Region
    manager: User
    driver: User
    buyer: User
    product: Product


def build_world() -> World:
    haikou, sanya = make_region("海口"), make_region("三亚")
    store = make_store(StoreKind.WHOLESALE, name="椰风批发")
    world = World(
        haikou=haikou,
        sanya=sanya,
        manager=make_user(Role.SALES_MANAGER, region=haikou, name="王经理", phone="13800000001"),
        driver=make_user(
            Role.DRIVER, region=haikou, name="刘师傅", phone="13800000002", plate_no="琼A·D1234"
        ),
        buyer=make_buyer(haikou, name="陈老板", phone=CUSTOMER_PHONE),
        product=make_product(store, "椰子汁 1L", price_fen=4800, min_order_qty=12),
    )
    commit()
    return world


def client_of(app: Flask, user: User):
    """A browser of its own, logged in through the real form."""
    browser = app.test_client()
    response = browser.post("/login", data={"phone": user.phone, "password": PASSWORD})
    assert response.status_code == 303
    return browser


def order_of(
    world: World, buyer: User | None = None, quantity: int = 24, remark: str = ""
) -> Order:
    return place_order(buyer or world.buyer, world.product, quantity, remark=remark)


def confirmed(world: World, order: Order) -> Order:
    confirm_order(order, actor_of(world.manager))
    commit()
    return order


def shipped_to(world: World, order: Order, driver: User | None = None) -> Order:
    confirm_order(order, actor_of(world.manager))
    assign_driver(order, (driver or world.driver).id, actor_of(world.manager))
    commit()
    return order


_photos = itertools.count(1)


def png_file(name: str = "slip.png") -> tuple[io.BytesIO, str]:
    """A small photo, different from every other one made (the same photo twice is kept once)."""
    out = io.BytesIO()
    n = next(_photos)
    Image.new("RGB", (120, 80), (n * 53 % 256, n * 97 % 256, n * 151 % 256)).save(out, "PNG")
    out.seek(0)
    return out, name


def sms_to(phone: str) -> list[str]:
    """The texts sent to a phone, oldest first, as the phone shows them."""
    messages = db.session.execute(
        select(SmsMessage).where(SmsMessage.phone == phone).order_by(SmsMessage.id)
    ).scalars()
    return [message.text for message in messages]


def slip_count(order: Order) -> int:
    query = select(func.count(SlipPhoto.id)).where(SlipPhoto.order_id == order.id)
    return db.session.execute(query).scalar_one()
