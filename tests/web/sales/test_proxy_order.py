"""代客下单: a manager orders for a customer of their region, at the customer's prices, in pack
multiples; the order is the customer's, placed by the manager, and says so on its timeline."""

from __future__ import annotations

import re

from sqlalchemy import select

from app.accounts.models import Address
from app.extensions import db
from app.ordering.models import Order, OrderEvent
from tests.factories import make_buyer

HTMX = {"HX-Request": "true"}


def _form(world, client, buyer=None, **fields):
    buyer = buyer or world.buyer
    page = client.get(f"/sales/proxy/{buyer.id}").text
    key = re.search(r'name="key" type="hidden" value="([0-9a-f]+)"', page)
    address = db.session.execute(select(Address).filter_by(user_id=buyer.id)).scalars().first()
    data = {
        "key": key.group(1),
        "sku_id": str(world.product.skus[0].id),
        "quantity": "24",
        "address_id": str(address.id),
        "payment_method": "cod",
        "remark": "周五前送到",
    }
    data.update(fields)
    return data


def test_the_manager_lists_only_their_regions_customers(world, client, login):
    other = make_buyer(world.sanya, name="三亚客户")
    login(world.manager)
    page = client.get("/sales/proxy").text
    assert "陈老板" in page
    assert "三亚客户" not in page
    assert client.get(f"/sales/proxy/{other.id}").status_code == 404
    assert client.post(f"/sales/proxy/{other.id}", data={}).status_code == 404
    assert "代客下单" in client.get("/sales/").text  # the tab bar leads there


def test_an_order_placed_for_the_customer_is_theirs_and_placed_by_the_manager(world, client, login):
    login(world.manager)
    page = client.get(f"/sales/proxy/{world.buyer.id}").text
    assert "椰子汁 1L" in page and "按 12 的倍数订购" in page
    response = client.post(f"/sales/proxy/{world.buyer.id}", data=_form(world, client))
    assert response.status_code == 303
    order = db.session.execute(select(Order)).scalar_one()
    assert response.headers["Location"] == f"/sales/orders/{order.id}"
    assert order.buyer_id == world.buyer.id
    assert order.placed_by_id == world.manager.id
    assert order.payment_method == "cod"
    assert [(i.quantity, i.line_fen) for i in order.items] == [(24, 24 * 4800)]
    assert order.buyer_remark == "周五前送到"
    notes = db.session.execute(select(OrderEvent.note).where(OrderEvent.order_id == order.id))
    assert any("王经理" in str(note) for (note,) in notes)
    assert "代客下单" in client.get(f"/sales/orders/{order.id}").text


def test_a_quantity_that_is_not_a_pack_multiple_is_refused_and_nothing_is_placed(
    world, client, login
):
    login(world.manager)
    response = client.post(
        f"/sales/proxy/{world.buyer.id}", data=_form(world, client, quantity="13"), headers=HTMX
    )
    assert response.status_code == 422
    assert "12 的整数倍" in response.text
    assert 'value="13"' in response.text  # what was typed stays
    assert db.session.execute(select(Order)).first() is None


def test_nothing_chosen_or_someone_elses_address_is_refused(world, client, login):
    login(world.manager)
    response = client.post(f"/sales/proxy/{world.buyer.id}", data=_form(world, client, quantity=""))
    assert response.status_code == 422
    assert "请至少选择一件商品" in response.text
    stranger = make_buyer(world.haikou, name="别人")
    theirs = db.session.execute(select(Address).filter_by(user_id=stranger.id)).scalars().first()
    response = client.post(
        f"/sales/proxy/{world.buyer.id}", data=_form(world, client, address_id=str(theirs.id))
    )
    assert response.status_code == 422
    assert db.session.execute(select(Order)).first() is None


def test_the_same_key_twice_places_the_order_once(world, client, login):
    login(world.manager)
    data = _form(world, client)
    first = client.post(f"/sales/proxy/{world.buyer.id}", data=data)
    second = client.post(f"/sales/proxy/{world.buyer.id}", data=data)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert len(db.session.execute(select(Order)).all()) == 1
