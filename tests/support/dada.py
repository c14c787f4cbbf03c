"""The Dada stand-in as a test fixture: the app pointed at it, its callbacks posted into the app
through a test client of its own, and a same-city store with Dada turned on.

Until app/portals/__init__.py mounts the Dada callback blueprint and app/subscribers.py imports
the Dada subscribers (the lead's files), `wire_dada` does both for the app under test."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from app.accounts.models import Role
from app.delivery.dada import subscribers as _dada_subscribers  # noqa: F401  (auto-dispatch)
from app.delivery.dada.callbacks import bp as dada_callback_bp
from app.delivery.dada.standin import DadaStandin
from app.delivery.models import StoreCourier
from app.extensions import db
from app.jobs import commit
from tests.factories import make_buyer, make_product, make_store, make_user, place_order

CALLBACK = "http://localhost/couriers/dada/callback"
SHOP_NO = "11047059"
CITY_CODE = "0898"  # 海口


def wire_dada(app) -> None:
    if "dada_callback" not in app.blueprints:
        app.register_blueprint(dada_callback_bp)


def client_deliver(app):
    """Post callbacks into the app through a test client of its own (any thread)."""

    def deliver(url: str, headers: dict[str, str], body: bytes) -> int:
        with app.test_client() as courier_client:
            return courier_client.post(urlsplit(url).path, data=body, headers=headers).status_code

    return deliver


@pytest.fixture
def dada(app):
    wire_dada(app)
    with DadaStandin(deliver=client_deliver(app)) as standin:
        standin.hold_callbacks = True  # posted when the test says (send_held), never behind it
        app.config.update(standin.settings(), DADA_CALLBACK_URL=CALLBACK)
        yield standin


def dada_store(
    enabled: bool = True,
    auto: bool = False,
    alert_fen: int = 5000,
    name: str | None = None,
):
    """A same-city store with its owner and a Dada account (committed); returns both."""
    store = make_store(name=name) if name else make_store()
    owner = make_user(Role.STORE_STAFF, store=store, name="店主")
    store.owner_id = owner.id
    db.session.add(
        StoreCourier(
            store_id=store.id,
            courier="dada",
            enabled=enabled,
            shop_no=SHOP_NO,
            city_code=CITY_CODE,
            auto_dispatch=auto,
            balance_alert_fen=alert_fen,
        )
    )
    commit()
    return store, owner


def order_of(store, price_fen: int = 3200, quantity: int = 1, remark: str = ""):
    """A cash-on-delivery order the store accepted (committed): paid, in the store's words,
    so 自动派单 hands it over on the spot."""
    product = make_product(store, "椰子鸡", price_fen=price_fen)
    return place_order(make_buyer(), product, quantity, remark=remark)
