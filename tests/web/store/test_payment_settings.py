"""收款与配送 on 店铺设置: the store picks what it accepts; the cart then offers only that."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.accounts.models import Role
from app.extensions import db
from app.jobs import commit
from app.ordering.cart import add_to_cart, cart_of
from app.ordering.payment import store_payment_methods
from app.stores.models import Store, StoreEvent, StoreKind
from tests.factories import make_buyer, make_product, make_region, make_store, make_user

HX = {"HX-Request": "true"}


@pytest.fixture
def wholesale(app, login):
    store = make_store(StoreKind.WHOLESALE, name="椰风批发")
    login(make_user(Role.STORE_STAFF, store=store, name="林店长"))
    commit()
    return store


def _fresh(store) -> Store:
    db.session.expire_all()
    return db.session.get(Store, store.id)


def test_the_settings_page_shows_what_the_store_accepts(client, wholesale):
    page = client.get("/store/settings").text
    assert "收款与配送" in page
    assert 'name="payment_methods" value="monthly" checked' in page  # the default: everything
    assert 'name="delivery_options" value="ship_pickup" checked' in page
    assert 'name="transfer_payee"' in page


def test_a_wholesale_store_keeps_its_choice_and_payee(client, wholesale):
    payee = "中国农业银行海口分行\n户名：椰风批发有限公司\n账号：6228 4800 1234 5678"
    response = client.post(
        "/store/settings/payment",
        data={
            "payment_methods": ["bank_transfer", "monthly"],
            "delivery_options": ["ship"],
            "transfer_payee": payee,
        },
    )
    assert response.status_code == 303
    store = _fresh(wholesale)
    assert store_payment_methods(store) == ["bank_transfer", "monthly"]
    assert store.delivery_options == ["ship"]
    assert store.transfer_payee == payee
    event = db.session.execute(
        select(StoreEvent).where(StoreEvent.store_id == store.id)
    ).scalar_one()
    assert set(event.reason.split(",")) == {"payment_methods", "delivery_options", "transfer_payee"}
    page = client.get("/store/settings").text
    assert 'value="cod" checked' not in page and 'value="monthly" checked' in page
    # the cart offers a member only what the store now accepts
    buyer = make_buyer(make_region())
    add_to_cart(buyer.id, make_product(store).skus[0].id, 1)
    assert cart_of(buyer.id).payment_methods == ["bank_transfer", "monthly"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"delivery_options": ["ship"]}, "请至少选择一种收款方式"),
        ({"payment_methods": ["cod"]}, "请至少选择一种配送方式"),
        (
            {
                "payment_methods": ["cod"],
                "delivery_options": ["ship"],
                "transfer_payee": "账" * 301,
            },
            "收款信息不能超过 300 个字",
        ),
        ({"payment_methods": ["bitcoin"], "delivery_options": ["ship"]}, "本店类型不能提供"),
        ({"payment_methods": ["cod"], "delivery_options": ["delivery"]}, "本店类型不能提供"),
    ],
)
def test_a_choice_that_leaves_nothing_or_is_not_offered_is_refused(
    client, wholesale, data, message
):
    response = client.post("/store/settings/payment", data=data, headers=HX)
    assert response.status_code == 422
    assert message in response.text
    assert 'id="payment-form"' in response.text  # the form block, for the page to swap in
    assert _fresh(wholesale).payment_methods == []  # nothing saved


def test_a_same_city_store_may_offer_only_online_and_cash_on_delivery(client, app, login):
    store = make_store(name="椰城小厨")
    login(make_user(Role.STORE_STAFF, store=store))
    commit()
    page = client.get("/store/settings").text
    assert 'value="bank_transfer"' not in page
    assert "同城店铺可以选择在线支付和货到付款" in page
    refused = client.post(
        "/store/settings/payment",
        data={"payment_methods": ["cod", "bank_transfer"], "delivery_options": ["delivery"]},
    )
    assert refused.status_code == 422
    assert "银行转账" in refused.text
    saved = client.post(
        "/store/settings/payment",
        data={"payment_methods": ["cod"], "delivery_options": ["pickup"]},
    )
    assert saved.status_code == 303
    assert store_payment_methods(_fresh(store)) == ["cod"]
    assert _fresh(store).delivery_options == ["pickup"]
