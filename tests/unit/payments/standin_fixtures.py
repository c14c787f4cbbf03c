"""Fixtures shared by the payments tests: both gateway stand-ins, pointed at by the app, with
their notifications posted to the app through Flask's test client (a fresh one, no cookies)."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from app.accounts.models import Role
from app.extensions import db
from app.jobs import commit
from app.ordering.models import Checkout, Order
from app.payments.services import start_payment
from app.payments.standins import AlipayStandin, WechatPayStandin
from tests.factories import actor_of, make_buyer, make_product, make_store, place_order

NOTIFY = {
    "wechat": "http://localhost/pay/notify/wechat",
    "alipay": "http://localhost/pay/notify/alipay",
}


def client_deliver(app):
    """Post notifications into the app through a test client of its own (any thread)."""

    def deliver(url: str, headers: dict[str, str], body: bytes) -> int:
        with app.test_client() as gateway_client:
            return gateway_client.post(urlsplit(url).path, data=body, headers=headers).status_code

    return deliver


@pytest.fixture
def wechat(app):
    with WechatPayStandin(deliver=client_deliver(app)) as standin:
        app.config.update(standin.settings())
        yield standin


@pytest.fixture
def alipay(app):
    with AlipayStandin(deliver=client_deliver(app)) as standin:
        app.config.update(standin.settings())
        yield standin


def online_order(price_fen: int = 1200, quantity: int = 1, kind: str | None = None) -> Order:
    """A buyer's online order waiting for the money (committed)."""
    store = make_store(kind) if kind else make_store()
    product = make_product(store, price_fen=price_fen)
    buyer = make_buyer()
    return place_order(buyer, product, quantity, payment="online", accept=False)


def checkout_of(order: Order) -> Checkout:
    return db.session.execute(select(Checkout).where(Checkout.id == order.checkout_id)).scalar_one()


def begin_payment(order: Order, gateway_name: str):
    """The buyer pressed the gateway's button: the payment, committed."""
    payment = start_payment(
        checkout_of(order),
        gateway_name,
        actor_of(order.buyer, Role.BUYER),
        notify_url=NOTIFY[gateway_name],
        return_url="http://localhost/shop/pay/return",
    )
    commit()
    return payment
