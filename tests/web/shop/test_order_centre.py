"""The buyer's order centre: tabs with counts, cancel (a confirm step, refund when paid),
confirm receipt (with a confirmation), tracking, pickup code, contact the store, buyer words."""

from __future__ import annotations

import re

import pytest

from app.accounts.models import Member, MemberStatus, Role
from app.clock import utcnow
from app.extensions import db
from app.jobs import commit
from app.ordering.fulfilment import ship_by_express
from app.ordering.models import AfterSale
from app.ordering.signals import refund_due
from app.ordering.states import OrderStatus
from app.stores.models import StoreKind
from app.wholesale.services import confirm_order
from tests.factories import (
    actor_of,
    make_buyer,
    make_product,
    make_region,
    make_store,
    make_user,
    place_order,
    store_actor,
)

HX = {"HX-Request": "true"}


@pytest.fixture
def buyer(app, login):
    user = make_buyer()
    commit()
    login(user)
    return user


@pytest.fixture
def store(app):
    store = make_store(name="椰城小厨", service_phone="0898-66668888")
    commit()
    return store


def an_order(buyer, store, name="椰子饭", **fields):
    order = place_order(buyer, make_product(store, name))
    for key, value in fields.items():
        setattr(order, key, value)
    commit()
    return order


def tab_link(page: str, tab: str) -> str:
    [link] = re.findall(rf'<a href="/shop/orders\?tab={tab}"[^>]*>.*?</a>', page, re.S)
    return re.sub(r"<[^>]+>", " ", link)


def test_tabs_list_the_orders_of_each_step_with_counts(client, buyer, store):
    preparing = an_order(buyer, store, "椰子饭")
    shipped = an_order(buyer, store, "清补凉")
    ship_by_express(shipped, store_actor(store.id), "顺丰速运", "SF1234567")
    done = an_order(buyer, store, "海南粉", status=OrderStatus.COMPLETED)
    db.session.add(
        AfterSale(
            no="AS1",
            order_id=done.id,
            buyer_id=buyer.id,
            store_id=store.id,
            kind="refund",
            status="requested",
            reason="质量问题",
            amount_fen=100,
        )
    )
    commit()

    all_page = client.get("/shop/orders").get_data(as_text=True)
    to_ship = client.get("/shop/orders?tab=to_ship").get_data(as_text=True)
    to_receive = client.get("/shop/orders?tab=to_receive").get_data(as_text=True)
    finished = client.get("/shop/orders?tab=done").get_data(as_text=True)
    aftersale = client.get("/shop/orders?tab=aftersale").get_data(as_text=True)

    assert all(o.no in all_page for o in (preparing, shipped, done))
    assert preparing.no in to_ship and shipped.no not in to_ship and done.no not in to_ship
    assert shipped.no in to_receive and preparing.no not in to_receive
    assert "SF1234567" in to_receive and "顺丰速运" in to_receive
    assert done.no in finished and preparing.no not in finished
    assert done.no in aftersale and preparing.no not in aftersale
    assert "1" in tab_link(all_page, "to_ship") and "1" in tab_link(all_page, "to_receive")
    assert "1" in tab_link(all_page, "aftersale")


def test_htmx_tab_returns_only_the_list(client, buyer, store):
    an_order(buyer, store)
    html = client.get("/shop/orders?tab=to_ship", headers=HX).get_data(as_text=True)
    assert "<html" not in html and 'id="order-list"' in html


def test_cancel_is_a_confirm_step_and_a_bare_post_changes_nothing(client, buyer, store):
    order = an_order(buyer, store)

    step = client.get(f"/shop/orders/{order.no}/cancel").get_data(as_text=True)
    assert "确认取消订单" in step and "checked" not in step
    bare = client.post(f"/shop/orders/{order.no}/cancel", data={"reason": "changed_mind"})
    assert bare.status_code == 422
    db.session.refresh(order)
    assert order.status == OrderStatus.AWAITING_SHIPMENT

    answer = client.post(
        f"/shop/orders/{order.no}/cancel", data={"reason": "changed_mind", "confirm": "yes"}
    )
    assert answer.status_code == 303
    db.session.refresh(order)
    assert order.status == OrderStatus.CLOSED
    page = client.get(f"/shop/orders/{order.no}").get_data(as_text=True)
    assert "买家取消订单：不想要了" in page and "取消订单</a>" not in page


def test_cancelling_a_paid_order_asks_for_the_refund(client, buyer, store):
    order = an_order(buyer, store, payment_method="online", paid_at=utcnow())
    asked = []

    def record(sender, **kw):
        asked.append((sender.no, kw["amount_fen"]))

    refund_due.connect(record)
    try:
        answer = client.post(
            f"/shop/orders/{order.no}/cancel",
            data={"reason": "wrong_info", "confirm": "yes"},
            follow_redirects=True,
        )
    finally:
        refund_due.disconnect(record)

    assert "货款将原路退回" in answer.get_data(as_text=True)
    assert asked == [(order.no, order.total_fen)]


def test_a_shipped_order_cannot_be_cancelled(client, buyer, store):
    order = an_order(buyer, store)
    ship_by_express(order, store_actor(store.id), "中通快递", "ZT1234567")
    commit()

    answer = client.post(
        f"/shop/orders/{order.no}/cancel", data={"reason": "changed_mind", "confirm": "yes"}
    )

    assert answer.status_code in (303, 409)
    db.session.refresh(order)
    assert order.status == OrderStatus.SHIPPED


def test_another_buyers_order_cannot_be_cancelled(client, buyer, store):
    theirs = an_order(make_buyer(), store)
    data = {"reason": "changed_mind", "confirm": "yes"}
    assert client.post(f"/shop/orders/{theirs.no}/cancel", data=data).status_code == 404
    assert client.get(f"/shop/orders/{theirs.no}/cancel").status_code == 404


def test_confirm_receipt_needs_the_confirmation(client, buyer, store):
    order = an_order(buyer, store)
    ship_by_express(order, store_actor(store.id), "中通快递", "ZT1234567")
    commit()
    page = client.get(f"/shop/orders/{order.no}").get_data(as_text=True)
    assert "hx-confirm" in page and "确认收货" in page

    bare = client.post(f"/shop/orders/{order.no}/receive")
    db.session.refresh(order)
    assert bare.status_code == 422 and order.status == OrderStatus.SHIPPED

    client.post(f"/shop/orders/{order.no}/receive", data={"confirm": "yes"})
    db.session.refresh(order)
    assert order.status == OrderStatus.COMPLETED


def test_order_page_shows_tracking_and_contact(client, buyer, store):
    order = an_order(buyer, store)
    ship_by_express(order, store_actor(store.id), "圆通速递", "YT99887766")
    commit()

    page = client.get(f"/shop/orders/{order.no}").get_data(as_text=True)

    assert "圆通速递" in page and "YT99887766" in page
    assert 'href="tel:0898-66668888"' in page
    assert "已发货，物流运输中" in page and "配送中" not in page


def test_a_pickup_order_shows_its_code_large_and_says_awaiting_pickup(client, buyer, store):
    order = an_order(buyer, store, delivery_option="pickup", pickup_code="135790")

    page = client.get(f"/shop/orders/{order.no}").get_data(as_text=True)
    listing = client.get("/shop/orders").get_data(as_text=True)

    assert re.search(r'class="big"><strong>135790</strong>', page)
    assert "待自提" in page and "待自提" in listing and "135790" in listing


def test_the_buyers_timeline_has_no_staff_jargon(client, buyer, store):
    order = an_order(buyer, store)  # accepted by the store (接单)

    page = client.get(f"/shop/orders/{order.no}").get_data(as_text=True)
    [timeline] = re.findall(r'<ol class="timeline">.*?</ol>', page, re.S)

    assert "<strong>接单</strong>" not in timeline and "<strong>待发货</strong>" not in timeline
    assert "店员" not in timeline and "椰城小厨" in timeline
    assert "商家已确认订单，正在备货" in timeline and "商家备货中" in timeline


def test_a_wholesale_order_shipped_by_logistics_never_says_driver(client, buyer, app):
    region = make_region()
    db.session.add(Member(user_id=buyer.id, region_id=region.id, status=MemberStatus.APPROVED))
    wholesale = make_store(kind=StoreKind.WHOLESALE)
    order = place_order(buyer, make_product(wholesale, "椰子汁", min_order_qty=12), 12)
    confirm_order(order, actor_of(make_user(Role.SALES_MANAGER, region=region)))
    ship_by_express(order, store_actor(wholesale.id), "德邦物流", "DB12345678")
    commit()

    page = client.get(f"/shop/orders/{order.no}").get_data(as_text=True)
    listing = client.get("/shop/orders").get_data(as_text=True)

    assert "司机送货中" not in page and "司机送货中" not in listing
    assert "物流运输中" in page and "物流运输中" in listing
