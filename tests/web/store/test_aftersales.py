"""售后 in the store back office: the list with status counts and the sidebar's count, approve
(a refund asks for confirmation: money leaves), reject with a reason, confirm a return came back
(stock back, refund due); another store's request answers 404."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.accounts.models import Role
from app.catalog.models import Sku
from app.extensions import db
from app.jobs import commit
from app.ordering.aftersale_states import AfterSaleStatus
from app.ordering.aftersales import approve, enter_return_tracking, request_aftersale
from app.ordering.models import AfterSale, OrderItem
from app.ordering.services import confirm_receipt, move_order
from app.ordering.signals import refund_due
from app.ordering.states import OrderStatus
from tests.factories import (
    actor_of,
    make_buyer,
    make_product,
    make_store,
    make_user,
    place_order,
    store_actor,
)

HX = {"HX-Request": "true"}


@pytest.fixture
def world(app, login):
    store = make_store(return_address="海口市龙华区国贸路 1 号 收货处")
    owner = make_user(Role.STORE_STAFF, store=store, name="王老板")
    buyer = make_buyer()
    order = place_order(buyer, make_product(store, name="椰子汁", price_fen=1200, stock=10), 3)
    move_order(order, OrderStatus.SHIPPED, store_actor(store.id))
    confirm_receipt(order, actor_of(buyer, Role.BUYER))
    commit()
    login(owner)
    return {"store": store, "owner": owner, "buyer": buyer, "order": order}


def ask(world, kind="refund", quantity=1) -> AfterSale:
    aftersale = request_aftersale(
        world["order"],
        actor_of(world["buyer"], Role.BUYER),
        kind,
        {world["order"].items[0].id: quantity},
        "商品质量问题",
        "瓶盖破了",
    )
    commit()
    return aftersale


@pytest.fixture
def seen_refunds():
    seen = []

    def receiver(order, **kwargs):
        seen.append(kwargs["amount_fen"])

    with refund_due.connected_to(receiver):
        yield seen


def test_the_list_counts_by_status_and_the_sidebar_shows_what_waits(client, world):
    first = ask(world)
    ask(world, kind="return")
    page = client.get("/store/aftersales").get_data(as_text=True)
    assert first.no in page and "瓶盖破了" not in page  # the list is dense: words on the detail
    assert 'title="待处理">2</span>' in page
    filtered = client.get("/store/aftersales?status=rejected").get_data(as_text=True)
    assert first.no not in filtered and "没有符合条件的售后申请" in filtered
    found = client.get(f"/store/aftersales?q={world['order'].no}").get_data(as_text=True)
    assert first.no in found
    order_page = client.get(f"/store/orders/{world['order'].id}").get_data(as_text=True)
    assert first.no in order_page


def test_approving_a_refund_needs_the_confirmation_then_sends_the_money_back(
    client, world, seen_refunds
):
    aftersale = ask(world, quantity=2)
    page = client.get(f"/store/aftersales/{aftersale.id}").get_data(as_text=True)
    assert "瓶盖破了" in page and "逾期未处理将自动同意" in page
    url = f"/store/aftersales/{aftersale.id}/approve"
    unconfirmed = client.post(url, data={})
    assert unconfirmed.status_code == 422
    assert "同意后将立即退款，请勾选确认" in unconfirmed.get_data(as_text=True)
    assert seen_refunds == []
    done = client.post(url, data={"confirm": "y"}, headers=HX)
    assert done.status_code == 200 and "退款中" in done.get_data(as_text=True)
    assert seen_refunds == [2400]
    db.session.refresh(aftersale)
    assert aftersale.status == AfterSaleStatus.REFUNDING


def test_rejecting_needs_a_reason_and_frees_the_pieces(client, world):
    aftersale = ask(world, quantity=3)
    url = f"/store/aftersales/{aftersale.id}/reject"
    empty = client.post(url, data={"reason": "  "})
    assert empty.status_code == 422 and "请填写拒绝原因" in empty.get_data(as_text=True)
    assert client.post(url, data={"reason": "商品已拆封使用"}).status_code == 303
    db.session.refresh(aftersale)
    assert (aftersale.status, aftersale.reject_reason) == (
        AfterSaleStatus.REJECTED,
        "商品已拆封使用",
    )
    assert db.session.get(OrderItem, world["order"].items[0].id).aftersale_quantity == 0


def test_a_return_is_approved_without_money_then_received_with_confirmation(
    client, world, seen_refunds
):
    aftersale = ask(world, kind="return", quantity=2)
    assert client.post(f"/store/aftersales/{aftersale.id}/approve", data={}).status_code == 303
    assert seen_refunds == []
    enter_return_tracking(aftersale, actor_of(world["buyer"], Role.BUYER), "圆通", "YT123")
    commit()
    url = f"/store/aftersales/{aftersale.id}/received"
    unconfirmed = client.post(url, data={})
    assert unconfirmed.status_code == 422
    assert "确认收货后将退款，请勾选确认" in unconfirmed.get_data(as_text=True)
    assert client.post(url, data={"confirm": "y"}).status_code == 303
    assert seen_refunds == [2400]
    sku = db.session.get(Sku, world["order"].items[0].sku_id)
    assert sku.stock == 9  # 10 − 3 sold + 2 back


def test_a_double_approve_changes_nothing_more(client, world, seen_refunds):
    aftersale = ask(world)
    url = f"/store/aftersales/{aftersale.id}/approve"
    client.post(url, data={"confirm": "y"})
    again = client.post(url, data={"confirm": "y"})
    assert again.status_code == 303
    assert seen_refunds == [1200]


def test_another_stores_requests_answer_404(client, world, login):
    aftersale = ask(world)
    other = make_store()
    client.post("/logout")
    login(make_user(Role.STORE_STAFF, store=other))
    base = f"/store/aftersales/{aftersale.id}"
    assert client.get(base).status_code == 404
    assert client.get(f"{base}/photos/1").status_code == 404
    assert client.post(f"{base}/approve", data={"confirm": "y"}).status_code == 404
    assert client.post(f"{base}/reject", data={"reason": "不行"}).status_code == 404
    assert client.post(f"{base}/received", data={"confirm": "y"}).status_code == 404
    assert aftersale.no not in client.get("/store/aftersales").get_data(as_text=True)
    db.session.refresh(aftersale)
    assert aftersale.status == AfterSaleStatus.REQUESTED


def test_an_answered_request_has_nothing_left_to_do(client, world):
    aftersale = ask(world, kind="return")
    approve(aftersale, store_actor(world["store"].id))
    commit()
    page = client.get(f"/store/aftersales/{aftersale.id}").get_data(as_text=True)
    assert "当前无需处理" in page
    assert db.session.execute(select(AfterSale.status)).scalar_one() == AfterSaleStatus.APPROVED


def test_odd_filters_and_reasons_are_answered_plainly(client, world):
    aftersale = ask(world)
    assert client.get("/store/aftersales?q=%00&status=%00").status_code == 200
    assert client.get("/store/aftersales?q=" + "长" * 100).status_code == 200
    refused = client.post(f"/store/aftersales/{aftersale.id}/reject", data={"reason": "\x00"})
    assert refused.status_code == 422


def test_a_return_is_not_approved_before_the_store_says_where_to_send_it(client, world):
    world["store"].return_address = ""
    aftersale = ask(world, kind="return")

    answer = client.post(f"/store/aftersales/{aftersale.id}/approve", data={})

    assert answer.status_code == 422
    assert "请先在店铺设置中填写退货地址" in answer.get_data(as_text=True)
    db.session.expire_all()
    assert aftersale.status == "requested"
