"""售后 for platform staff: every request with filters, stepping in after a store's rejection
with a decision, a remark and a confirmation; the order page links the requests; the timeline
shows each step; people outside the platform answer 403/404."""

from __future__ import annotations

import pytest

from app.accounts.models import Role
from app.extensions import db
from app.jobs import commit
from app.ordering.aftersale_states import AfterSaleStatus
from app.ordering.aftersales import reject, request_aftersale
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
    store = make_store(name="椰城水果")
    buyer = make_buyer()
    order = place_order(buyer, make_product(store, name="芒果", price_fen=1500), 2)
    move_order(order, OrderStatus.SHIPPED, store_actor(store.id))
    confirm_receipt(order, actor_of(buyer, Role.BUYER))
    commit()
    aftersale = request_aftersale(
        order,
        actor_of(buyer, Role.BUYER),
        "refund",
        {order.items[0].id: 2},
        "商品质量问题",
        "全部烂了",
    )
    commit()
    service = make_user(Role.SERVICE, name="客服小李")
    login(service)
    return {"store": store, "order": order, "aftersale": aftersale, "buyer": buyer}


@pytest.fixture
def seen_refunds():
    seen = []
    with refund_due.connected_to(lambda order, **kw: seen.append(kw["amount_fen"])):
        yield seen


def test_the_list_filters_by_status_store_and_appeal(client, world):
    aftersale = world["aftersale"]
    page = client.get("/platform/aftersales").get_data(as_text=True)
    assert aftersale.no in page and "椰城水果" in page and "￥30.00" in page
    assert aftersale.no not in client.get("/platform/aftersales?status=rejected").get_data(
        as_text=True
    )
    assert aftersale.no not in client.get("/platform/aftersales?appeal=1").get_data(as_text=True)
    other = make_store()
    commit()
    assert aftersale.no not in client.get(f"/platform/aftersales?store={other.id}").get_data(
        as_text=True
    )
    reject(aftersale, store_actor(world["store"].id), "不支持退款")
    commit()
    appeals = client.get("/platform/aftersales?appeal=1").get_data(as_text=True)
    assert aftersale.no in appeals
    assert "售后 (1)" in appeals  # the sidebar counts what waits for the platform
    assert client.get("/platform/aftersales?store=abc").status_code == 422


def test_stepping_in_needs_a_decision_a_remark_and_the_confirmation(client, world, seen_refunds):
    aftersale = world["aftersale"]
    reject(aftersale, store_actor(world["store"].id), "不支持退款")
    commit()
    url = f"/platform/aftersales/{aftersale.id}/decide"
    page = client.get(f"/platform/aftersales/{aftersale.id}").get_data(as_text=True)
    assert "全部烂了" in page and "不支持退款" in page and "提交处理结果" in page
    for data, message in [
        ({"remark": "同意", "confirm": "y"}, "请选择同意或驳回"),
        ({"decision": "maybe", "remark": "同意", "confirm": "y"}, "请选择同意或驳回"),
        ({"decision": "approve", "remark": " ", "confirm": "y"}, "请填写处理意见"),
        ({"decision": "approve", "remark": "同意"}, "平台处理不可撤回，请勾选确认"),
    ]:
        refused = client.post(url, data=data)
        assert refused.status_code == 422, data
        assert message in refused.get_data(as_text=True)
    assert seen_refunds == []
    done = client.post(
        url,
        data={"decision": "approve", "remark": "照片显示确有质量问题", "confirm": "y"},
        headers=HX,
    )
    assert done.status_code == 200
    html = done.get_data(as_text=True)
    assert "平台介入，同意售后：照片显示确有质量问题" in html and "平台已介入处理" in html
    assert seen_refunds == [3000]
    db.session.refresh(aftersale)
    assert (aftersale.status, aftersale.decided_by_platform) == (AfterSaleStatus.REFUNDING, True)
    again = client.post(url, data={"decision": "reject", "remark": "再议", "confirm": "y"})
    assert again.status_code in (303, 409)
    db.session.refresh(aftersale)
    assert aftersale.status == AfterSaleStatus.REFUNDING


def test_the_order_page_links_the_request_and_its_timeline_shows_it(client, world):
    order = world["order"]
    page = client.get(f"/platform/orders/{order.id}").get_data(as_text=True)
    assert f"/platform/aftersales/{world['aftersale'].id}" in page
    assert "申请售后" in page and "买家申请仅退款（2 件，￥30.00）：商品质量问题" in page


def test_unknown_requests_answer_404_and_other_portals_are_kept_out(client, world, login):
    assert client.get("/platform/aftersales/999999").status_code == 404
    assert client.get(f"/platform/aftersales/{world['aftersale'].id}/photos/1").status_code == 404
    client.post("/logout")
    login(make_user(Role.STORE_STAFF, store=make_store()))
    assert client.get("/platform/aftersales").status_code == 403
    decide = client.post(
        f"/platform/aftersales/{world['aftersale'].id}/decide",
        data={"decision": "approve", "remark": "x", "confirm": "y"},
    )
    assert decide.status_code == 403


def test_odd_filters_and_remarks_are_answered_plainly(client, world):
    assert client.get("/platform/aftersales?q=%00&status=x&appeal=%00").status_code == 200
    refused = client.post(
        f"/platform/aftersales/{world['aftersale'].id}/decide",
        data={"decision": "reject", "remark": "\x00", "confirm": "y"},
    )
    assert refused.status_code == 422
