"""The store back office: its own orders only, filters, shipping by 配送助手, the printer."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from app.accounts.models import Member, MemberStatus, Role
from app.delivery.models import DeliveryTask, TaskStatus
from app.extensions import db
from app.jobs import commit
from app.ordering.models import OrderEvent
from app.ordering.states import OrderStatus
from app.stores.models import StoreKind
from tests.factories import (
    make_buyer,
    make_product,
    make_region,
    make_store,
    make_user,
    place_order,
)
from tests.support.printer import PrinterListener, printed_lines

HX = {"HX-Request": "true"}


@pytest.fixture
def store(app):
    store = make_store(name="椰城小厨")
    commit()
    return store


@pytest.fixture
def owner(store, login):
    user = make_user(Role.STORE_STAFF, store=store)
    commit()
    login(user)
    return user


def an_order(store, name: str = "宫保鸡丁", buyer=None, **kw):
    return place_order(buyer or make_buyer(), make_product(store, name), **kw)


def test_portal_opens_on_the_order_list(client, owner):
    response = client.get("/store/")
    assert response.status_code == 303 and response.headers["Location"].endswith("/store/orders")


def test_a_buyer_cannot_enter_the_store_portal(client, login, app):
    buyer = make_buyer()
    commit()
    login(buyer)
    assert client.get("/store/orders").status_code == 403


def test_order_list_shows_only_this_stores_orders(client, store, owner):
    mine = an_order(store, "海南鸡饭")
    theirs = an_order(make_store(), "别家的菜")

    page = client.get("/store/orders").get_data(as_text=True)

    assert mine.no in page and "海南鸡饭" in page
    assert theirs.no not in page and "别家的菜" not in page


def test_store_cannot_open_another_stores_order(client, owner):
    other = an_order(make_store())

    assert client.get(f"/store/orders/{other.id}").status_code == 404
    assert (
        client.post(f"/store/orders/{other.id}/ship", data={"method": "assistant"}).status_code
        == 404
    )
    assert client.post(f"/store/orders/{other.id}/reprint").status_code == 404
    db.session.refresh(other)
    assert other.status == OrderStatus.AWAITING_SHIPMENT


def test_status_filter_returns_only_matching_rows(client, store, owner):
    waiting = an_order(store, "椰子饭")
    shipped = an_order(store, "清补凉")
    client.post(f"/store/orders/{shipped.id}/ship", data={"method": "assistant"})

    page = client.get("/store/orders?status=shipped").get_data(as_text=True)

    assert shipped.no in page
    assert waiting.no not in page


def test_search_by_phone_and_htmx_returns_only_the_table(client, store, owner):
    found = an_order(store, buyer=make_buyer(phone="13698765432"))
    other = an_order(store, buyer=make_buyer(phone="13500000000"))

    response = client.get("/store/orders?q=98765432", headers=HX)
    html = response.get_data(as_text=True)

    assert response.status_code == 200
    assert "<html" not in html and 'id="orders-table"' in html
    assert found.no in html and other.no not in html


def test_search_by_order_number(client, store, owner):
    found, other = an_order(store), an_order(store)

    page = client.get(f"/store/orders?q={found.no}").get_data(as_text=True)

    assert found.no in page and other.no not in page


def test_date_filter_uses_the_shanghai_calendar_day(client, store, owner):
    late_evening = an_order(store)  # 2024-05-01 23:30 in Shanghai
    next_morning = an_order(store)  # 2024-05-02 08:00 in Shanghai
    late_evening.created_at = datetime(2024, 5, 1, 15, 30)
    next_morning.created_at = datetime(2024, 5, 2, 0, 0)
    commit()

    page = client.get("/store/orders?date_from=2024-05-01&date_to=2024-05-01").get_data(
        as_text=True
    )

    assert late_evening.no in page and next_morning.no not in page


def test_order_list_pages_by_twenty(client, store, owner):
    product = make_product(store, stock=1000)
    buyer = make_buyer()
    orders = [place_order(buyer, product) for _ in range(21)]

    first = client.get("/store/orders").get_data(as_text=True)
    second = client.get("/store/orders?page=2").get_data(as_text=True)

    assert "共 21 个订单" in first and "1 / 2" in first
    assert orders[0].no not in first and orders[0].no in second
    assert "共 21 个订单" in second and "上一页" in second and "下一页" not in second


def test_a_huge_order_list_stops_counting_at_the_cap(client, store, owner, monkeypatch):
    """Past the cap the total reads "N+" and the pager still walks on page by page."""
    monkeypatch.setattr("app.web.paging.COUNT_CAP", 25)
    product = make_product(store, stock=1000)
    buyer = make_buyer()
    orders = [place_order(buyer, product) for _ in range(45)]

    first = client.get("/store/orders").get_data(as_text=True)
    third = client.get("/store/orders?page=3").get_data(as_text=True)

    assert "共 25+ 个订单" in first and "1 / 2+" in first and "下一页" in first
    assert orders[0].no in third and orders[5].no not in third  # the oldest five
    assert "共 45 个订单" in third and "下一页" not in third


def test_store_ships_by_assistant_and_the_order_shows_shipped_with_a_waiting_task(
    client, store, owner
):
    order = an_order(store)

    response = client.post(
        f"/store/orders/{order.id}/ship", data={"method": "assistant"}, follow_redirects=True
    )
    page = response.get_data(as_text=True)

    assert "已发货，等待骑手接单" in page
    assert 'badge-shipped">已发货<' in page
    assert "配送状态：待接单" in page
    task = db.session.execute(select(DeliveryTask).filter_by(order_id=order.id)).scalar_one()
    assert task.status == TaskStatus.WAITING


def test_shipping_twice_answers_as_the_first_time_and_ships_once(client, store, owner):
    order = an_order(store)
    client.post(f"/store/orders/{order.id}/ship", data={"method": "assistant"})
    events_before = db.session.query(OrderEvent).filter_by(order_id=order.id).count()

    response = client.post(
        f"/store/orders/{order.id}/ship", data={"method": "assistant"}, headers=HX
    )

    assert response.status_code == 200  # a double tap is no error: the same detail again
    assert "已发货" in response.get_data(as_text=True)
    assert db.session.query(OrderEvent).filter_by(order_id=order.id).count() == events_before
    assert db.session.query(DeliveryTask).filter_by(order_id=order.id).count() == 1


def test_ship_with_htmx_redraws_the_detail_block(client, store, owner):
    order = an_order(store)

    response = client.post(
        f"/store/orders/{order.id}/ship", data={"method": "assistant"}, headers=HX
    )
    html = response.get_data(as_text=True)

    assert "<html" not in html and 'id="order-detail"' in html
    assert "待接单" in html and 'hx-trigger="every 10s"' in html


def test_unknown_ship_method_rerenders_with_422(client, store, owner):
    order = an_order(store)

    response = client.post(f"/store/orders/{order.id}/ship", data={"method": "teleport"})

    assert response.status_code == 422
    assert "请选择发货方式" in response.get_data(as_text=True)
    db.session.refresh(order)
    assert order.status == OrderStatus.AWAITING_SHIPMENT


def test_a_wholesale_stores_owner_confirms_its_order_and_no_rider_is_offered(client, login, app):
    region = make_region()
    wholesale = make_store(kind=StoreKind.WHOLESALE)
    buyer = make_buyer()
    db.session.add(Member(user_id=buyer.id, region_id=region.id, status=MemberStatus.APPROVED))
    owner = make_user(Role.STORE_STAFF, store=wholesale)
    order = place_order(buyer, make_product(wholesale, min_order_qty=12), 12)
    login(owner)

    page = client.get(f"/store/orders/{order.id}").get_data(as_text=True)

    assert "区域业务经理均可确认" in page and "确认订单" in page
    assert "配送助手" not in page
    assert client.post(f"/store/orders/{order.id}/confirm").status_code == 303
    db.session.refresh(order)
    assert order.status == OrderStatus.AWAITING_SHIPMENT


def test_order_detail_shows_the_buyers_remark(client, store, owner):
    order = an_order(store, remark="不要香菜")

    page = client.get(f"/store/orders/{order.id}").get_data(as_text=True)

    assert "不要香菜" in page and order.address in page


# --- printer --------------------------------------------------------------------------------


def test_printer_form_rejects_port_70000_with_422(client, store, owner):
    response = client.post(
        "/store/printer",
        data={"printer_host": "192.168.1.50", "printer_port": "70000", "printer_encoding": "gbk"},
    )

    assert response.status_code == 422
    assert "端口须在 1-65535 之间" in response.get_data(as_text=True)
    db.session.refresh(store)
    assert store.printer_host is None


def test_printer_form_saves_the_settings(app, client, store, owner):
    app.config["LAN_PRINTERS_ENABLED"] = True  # a LAN address (app/printing/targets.py)
    response = client.post(
        "/store/printer",
        data={"printer_host": "192.168.1.50", "printer_port": "9100", "printer_encoding": "gbk"},
        follow_redirects=True,
    )

    assert "打印机设置已保存" in response.get_data(as_text=True)
    db.session.refresh(store)
    assert (store.printer_host, store.printer_port, store.printer_encoding) == (
        "192.168.1.50",
        9100,
        "gbk",
    )


def test_reprint_without_a_printer_says_so(client, store, owner):
    order = an_order(store)
    detail = f"/store/orders/{order.id}"

    response = client.post(f"{detail}/reprint", headers={"Referer": detail}, follow_redirects=True)

    assert "未设置打印机" in response.get_data(as_text=True)


def test_test_print_without_a_printer_says_so_over_htmx(client, store, owner):
    response = client.post("/store/printer/test", headers=HX)

    assert response.status_code == 409
    assert "未设置打印机" in response.get_data(as_text=True)


def test_reprint_sends_the_ticket_to_the_stores_printer(client, store, owner):
    order = an_order(store, "海南鸡饭")
    with PrinterListener() as printer:
        store.printer_host, store.printer_port = printer.host, printer.port
        commit()

        response = client.post(f"/store/orders/{order.id}/reprint", follow_redirects=True)
        [ticket] = printer.wait_for(1)

    assert "已发送到打印机重新打印" in response.get_data(as_text=True)
    assert order.no.encode() in ticket
    lines = [line.text for line in printed_lines(ticket)]
    assert "#重打" in lines and "海南鸡饭 标准" in lines


def test_test_print_reaches_the_printer(client, store, owner):
    with PrinterListener() as printer:
        client.post(
            "/store/printer",
            data={
                "printer_host": printer.host,
                "printer_port": printer.port,
                "printer_encoding": "gb18030",
            },
        )
        response = client.post("/store/printer/test", headers=HX)
        [ticket] = printer.wait_for(1)

    assert "测试页已发送到打印机" in response.get_data(as_text=True)
    assert "看到本小票说明打印机连接正常" in [line.text for line in printed_lines(ticket)]


# --- new-order alert and products ---------------------------------------------------------


def test_new_order_alert_counts_orders_after_the_page_was_drawn(client, store, owner):
    seen = an_order(store)
    page = client.get("/store/orders").get_data(as_text=True)
    assert f"/store/orders/new-count?since={seen.id}" in page

    an_order(store)
    an_order(store)
    an_order(make_store())  # another store's order is not ours to hear about
    response = client.get(f"/store/orders/new-count?since={seen.id}", headers=HX)
    html = response.get_data(as_text=True)

    assert "<html" not in html
    assert "您有 2 个新订单" in html and 'data-count="2"' in html


def test_new_order_alert_is_quiet_without_new_orders(client, store, owner):
    seen = an_order(store)

    html = client.get(f"/store/orders/new-count?since={seen.id}", headers=HX).get_data(as_text=True)

    assert "新订单" not in html and 'data-count="0"' in html


def test_products_page_lists_each_spec_with_price_stock_and_minimum(client, store, owner):
    product = make_product(
        store, "椰子汁 1L", price_fen=650, stock=1200, min_order_qty=12, spec="1L"
    )
    product.item_no = "YZ-001"
    make_product(make_store(), "别家的商品")
    commit()

    page = client.get("/store/products").get_data(as_text=True)

    for text in ("椰子汁 1L", "YZ-001", "1L", "￥6.50", "1200", ">12<"):
        assert text in page
    assert "别家的商品" not in page
