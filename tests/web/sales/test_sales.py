"""The 业务端: a manager confirms the region's orders, then assigns a driver or ships another way."""

from __future__ import annotations

from app.accounts.models import Role
from app.extensions import db
from app.jobs import commit
from app.messages import render
from app.ordering.states import OrderStatus, buyer_label
from app.wholesale.models import ShipMethod
from app.wholesale.services import upload_slips
from tests.factories import actor_of, make_buyer, make_user
from tests.support.wholesale_world import (
    CUSTOMER_PHONE,
    client_of,
    confirmed,
    order_of,
    png_file,
    shipped_to,
    sms_to,
)

HTMX = {"HX-Request": "true"}


def test_manager_lands_on_the_business_side_of_their_region(world, client, login):
    assert login(world.manager).headers["Location"] == "/sales/"
    page = client.get("/sales/").text
    assert "业务端" in page
    assert "海口" in page


def test_manager_sees_a_new_region_order_under_pending(world, client, login):
    order = order_of(world, quantity=24)
    login(world.manager)
    page = client.get("/sales/").text
    assert order.no in page
    assert "待确认" in page
    assert f'href="tel:{CUSTOMER_PHONE}"' in page
    assert "椰子汁 1L 标准 × 24" in page
    assert "￥1,152.00" in page
    assert "货到付款" in page


def test_an_order_of_another_region_is_not_found(world, client, login):
    sanya_order = order_of(world, buyer=make_buyer(world.sanya), quantity=12)
    login(world.manager)
    assert client.get(f"/sales/orders/{sanya_order.id}").status_code == 404
    assert client.post(f"/sales/orders/{sanya_order.id}/confirm").status_code == 404
    assert sanya_order.no not in client.get("/sales/?tab=all").text


def test_tabs_list_orders_by_what_the_manager_must_do(world, client, login):
    waiting, on_the_road = order_of(world), shipped_to(world, order_of(world))
    login(world.manager)
    pending = client.get("/sales/?tab=pending_confirm").text
    assert waiting.no in pending and on_the_road.no not in pending
    shipping = client.get("/sales/?tab=shipped").text
    assert on_the_road.no in shipping and waiting.no not in shipping
    assert "送货中" in shipping


def test_a_tab_change_with_htmx_returns_only_the_order_list(world, client, login):
    login(world.manager)
    response = client.get("/sales/?tab=all", headers=HTMX)
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<section id="orders">')


def test_order_page_shows_customer_address_and_remark(world, client, login):
    order = order_of(world, remark="下午三点后送")
    login(world.manager)
    page = client.get(f"/sales/orders/{order.id}").text
    assert "陈老板" in page
    assert "海甸岛人民大道 58 号" in page
    assert "下午三点后送" in page
    assert "确认订单" in page


def test_confirm_moves_the_order_to_awaiting_shipment(world, client, login):
    order = order_of(world)
    login(world.manager)
    response = client.post(f"/sales/orders/{order.id}/confirm")
    assert response.status_code == 303
    assert response.headers["Location"] == "/sales/?tab=awaiting_shipment"  # where it went
    db.session.refresh(order)
    assert order.status == OrderStatus.AWAITING_SHIPMENT
    event = order.events[-1]
    assert (event.from_status, event.to_status) == (OrderStatus.PENDING_CONFIRM, order.status)
    assert (event.actor_role, event.actor_name) == (Role.SALES_MANAGER, "王经理")
    assert buyer_label(order.kind, order.status) == "待发货"


def test_confirm_with_htmx_sends_the_browser_to_the_tab_the_order_went_to(world, client, login):
    order = order_of(world)
    login(world.manager)
    response = client.post(f"/sales/orders/{order.id}/confirm", headers=HTMX)
    assert response.headers["HX-Redirect"] == "/sales/?tab=awaiting_shipment"


def test_confirming_twice_answers_as_the_first_time_and_confirms_once(world, client, login):
    order = confirmed(world, order_of(world))
    events = len(order.events)
    login(world.manager)
    page_url = f"/sales/orders/{order.id}"
    response = client.post(
        f"{page_url}/confirm", headers={"Referer": page_url}, follow_redirects=True
    )
    db.session.refresh(order)
    assert "订单已确认" in response.text  # a double tap is no error for the manager
    assert len(order.events) == events and order.status == OrderStatus.AWAITING_SHIPMENT


def test_confirming_an_order_that_already_left_is_refused(world, client, login):
    order = shipped_to(world, order_of(world))
    login(world.manager)
    page_url = f"/sales/orders/{order.id}"
    response = client.post(
        f"{page_url}/confirm", headers={"Referer": page_url}, follow_redirects=True
    )
    assert "当前状态为「已发货」，不能改为「待发货」" in response.text


def test_assigning_a_driver_ships_the_order_and_texts_driver_and_customer(world, client, login):
    order = confirmed(world, order_of(world))
    login(world.manager)
    response = client.post(f"/sales/orders/{order.id}/driver", data={"driver_id": world.driver.id})
    assert response.status_code == 303
    db.session.refresh(order)
    assert order.status == OrderStatus.SHIPPED
    assert order.fulfilment.driver_id == world.driver.id
    assert sms_to(world.driver.phone) == [f"您的订单{order.no} 待送货，请及时办理出库和送货。"]
    assert sms_to(CUSTOMER_PHONE)[-1] == (
        f"您的订单{order.no} 正在发货中，司机或物流信息可在“待收货”中查看。"
    )


def test_shipped_order_shows_the_driver_with_plate(world, client, login):
    order = shipped_to(world, order_of(world))
    login(world.manager)
    page = client.get(f"/sales/orders/{order.id}").text
    assert "刘师傅" in page
    assert f'href="tel:{world.driver.phone}"' in page
    assert "琼A·D1234" in page


def test_only_the_regions_drivers_are_offered(world, client, login):
    make_user(Role.DRIVER, region=world.sanya, name="三亚司机")
    commit()
    order = confirmed(world, order_of(world))
    login(world.manager)
    page = client.get(f"/sales/orders/{order.id}").text
    assert "刘师傅" in page
    assert "三亚司机" not in page


def test_a_driver_of_another_region_is_refused_with_a_message(world, client, login):
    sanya_driver = make_user(Role.DRIVER, region=world.sanya)
    commit()
    order = confirmed(world, order_of(world))
    login(world.manager)
    page_url = f"/sales/orders/{order.id}"
    response = client.post(
        f"{page_url}/driver",
        data={"driver_id": sanya_driver.id},
        headers={"Referer": page_url},
        follow_redirects=True,
    )
    assert "请选择本区域的司机" in response.text
    db.session.refresh(order)
    assert order.status == OrderStatus.AWAITING_SHIPMENT
    assert sms_to(sanya_driver.phone) == []


def test_a_refused_driver_with_htmx_answers_in_the_flash_area(world, client, login):
    sanya_driver = make_user(Role.DRIVER, region=world.sanya)
    commit()
    order = confirmed(world, order_of(world))
    login(world.manager)
    response = client.post(
        f"/sales/orders/{order.id}/driver", data={"driver_id": sanya_driver.id}, headers=HTMX
    )
    assert response.status_code == 422
    assert response.headers["HX-Retarget"] == "#flash"
    assert "请选择本区域的司机" in response.text


def test_no_driver_chosen_is_a_form_error(world, client, login):
    order = confirmed(world, order_of(world))
    login(world.manager)
    response = client.post(f"/sales/orders/{order.id}/driver", data={"driver_id": ""})
    assert response.status_code == 422
    assert "请选择司机" in response.text


def test_shipping_another_way_without_remark_is_refused_with_422(world, client, login):
    order = confirmed(world, order_of(world))
    login(world.manager)
    response = client.post(
        f"/sales/orders/{order.id}/ship", data={"method": "express", "remark": " "}
    )
    assert response.status_code == 422
    assert "请填写备注（如快递单号、物流公司）" in response.text
    db.session.refresh(order)
    assert order.status == OrderStatus.AWAITING_SHIPMENT


def test_a_remark_error_with_htmx_returns_only_the_shipping_forms(world, client, login):
    order = confirmed(world, order_of(world))
    login(world.manager)
    response = client.post(
        f"/sales/orders/{order.id}/ship", data={"method": "logistics", "remark": ""}, headers=HTMX
    )
    assert response.status_code == 422
    assert response.text.lstrip().startswith('<section id="ship-actions">')
    assert "请填写备注（如快递单号、物流公司）" in response.text
    assert '<option value="logistics" selected' in response.text


def test_shipping_by_express_with_a_remark_tells_only_the_customer(world, client, login):
    order = confirmed(world, order_of(world))
    login(world.manager)
    data = {"method": "express", "remark": "顺丰 SF1234567890"}
    assert client.post(f"/sales/orders/{order.id}/ship", data=data).status_code == 303
    db.session.refresh(order)
    assert order.status == OrderStatus.SHIPPED
    assert order.fulfilment.ship_method == ShipMethod.EXPRESS
    assert render(order.events[-1].note) == "快递发货：顺丰 SF1234567890"
    assert sms_to(world.driver.phone) == []
    assert f"您的订单{order.no} 正在发货中" in sms_to(CUSTOMER_PHONE)[-1]
    assert "顺丰 SF1234567890" in client.get(f"/sales/orders/{order.id}").text


def test_a_driver_cannot_open_the_sales_portal(world, app):
    assert client_of(app, world.driver).get("/sales/").status_code == 403


def test_a_visitor_is_sent_to_log_in(world, client):
    response = client.get("/sales/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_tabs_of_work_to_do_carry_their_count_and_finished_ones_none(world, client, login):
    waiting = [order_of(world) for _ in range(2)]
    confirmed(world, waiting[0])
    done = shipped_to(world, order_of(world))
    stream, name = png_file()
    upload_slips(done, [(name, stream)], actor_of(world.driver))
    commit()
    login(world.manager)
    page = client.get("/sales/").text
    tabs = {
        link.split(">")[-1].strip()
        for link in page.split('<a href="/sales/?tab=')[1:]
        for link in [link.split("</a>")[0]]
    }
    assert "待确认 1" in tabs and "待发货 1" in tabs  # work to do, counted
    assert "已送达" in tabs and "全部" in tabs  # finished and all: no number to keep up
