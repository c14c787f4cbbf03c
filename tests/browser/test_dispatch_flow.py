"""The 配送助手 back office end to end (seed 000, issue #12 §2): the operator regenerates the code
on 平台配送; the dispatcher enters it under 接入 and switches to 分配模式; a rider registers on the
visitor page with the SMS code (from the log provider) and is told to wait; the dispatcher
approves them; the rider goes to work; the store ships a paid same-city order by 配送助手; the
board shows it by itself (polled) and the dispatcher assigns it to the new rider, who carries it
(取单 tapped offline, sent once when back online) while the buyer sees the rider and the ETA."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.clock import travel
from app.deadlines import sweep
from app.delivery.models import DeliveryTask
from app.extensions import db
from app.ordering.models import Order, OrderEvent
from app.ordering.states import OrderStatus
from app.stores.models import Store
from tests.browser.conftest import DESKTOP, PHONE
from tests.support.sms import code_sent_to

pytestmark = pytest.mark.browser

NEW_RIDER = "13912340001"
ON_THE_ROAD = {
    **PHONE,
    "permissions": ["geolocation"],
    "geolocation": {"latitude": 20.03, "longitude": 110.327},
}


def paid_order_waiting(server) -> tuple[int, str]:
    """The demo's paid online order of 椰城小厨 that waits to be shipped."""
    with server.app.app_context():
        row = db.session.execute(
            select(Order.id, Order.no)
            .join(Store, Store.id == Order.store_id)
            .where(
                Store.name == "椰城小厨",
                Order.status == OrderStatus.AWAITING_SHIPMENT,
                Order.payment_method == "online",
                Order.delivery_option != "pickup",
            )
            .order_by(Order.id.desc())
        ).first()
        db.session.remove()
    assert row is not None, "the demo has a paid same-city order waiting to ship"
    return row.id, row.no


def task_of_order(server, order_id: int) -> int:
    with server.app.app_context():
        task_id = db.session.execute(
            select(DeliveryTask.id).where(DeliveryTask.order_id == order_id)
        ).scalar_one()
        db.session.remove()
    return task_id


def test_dispatcher_connects_approves_a_new_rider_and_assigns_a_paid_order(people, live_server):
    live_server.app.config["DISPATCH_POLL_SECONDS"] = 2

    # --- the platform: 重新生成 (confirmed) disconnects; the new code shows ---------------------
    operator = people("operator", DESKTOP)
    ops = operator.login("13800000001")
    ops.goto(live_server.url + "/platform/delivery")
    expect(ops.locator("#code-panel")).to_contain_text("已接入")
    old_code = ops.locator("#auth-code").inner_text()
    ops.once("dialog", lambda dialog: dialog.accept())
    ops.get_by_label(re.compile("我确认重新生成")).check()
    ops.get_by_role("button", name="重新生成").click()
    expect(ops.locator("#code-panel")).to_contain_text("已重新生成授权码，配送助手已断开")
    expect(ops.locator("#code-panel")).to_contain_text("未接入")
    code = ops.locator("#auth-code").inner_text()
    assert code != old_code
    operator.shot("platform-regenerated")

    # --- the dispatcher: 未接入 → 接入 with the old code (refused), then the new one -------------
    dispatcher = people("dispatcher", DESKTOP)
    desk = dispatcher.login("13800000010")
    expect(desk).to_have_url(re.compile(r"/dispatch/$"))
    expect(desk.locator("main")).to_contain_text("配送助手未接入")
    dispatcher.shot("not-connected")
    desk.get_by_role("link", name="去接入").click()
    desk.get_by_label("授权码").fill(old_code)
    desk.get_by_role("button", name="确定").click()
    expect(desk.locator("#connect")).to_contain_text("授权码错误或已失效")
    dispatcher.shot("old-code-refused")
    desk.get_by_label("授权码").fill(code.lower())
    desk.get_by_role("button", name="确定").click()
    expect(desk.locator("#flash")).to_contain_text("配送助手已接入，可以开始配送了")
    expect(desk.locator(".kpis")).to_contain_text("在岗骑手")
    dispatcher.shot("overview-connected")

    ops.reload()
    expect(ops.locator("#code-panel")).to_contain_text("由 钱调度 接入")

    # --- 设置: 分配模式 ------------------------------------------------------------------------
    desk.get_by_role("link", name="设置", exact=True).click()
    desk.get_by_label("分配模式").check()
    desk.locator("#mode-form").get_by_role("button", name="保存").click()
    expect(desk.locator("#mode-form")).to_contain_text("派单模式已改为「分配模式」")
    dispatcher.shot("assign-mode")

    # --- a new rider registers on the visitor page and is told to wait --------------------------
    rider = people("rider", ON_THE_ROAD)
    phone = rider.go("/rider-signup")
    phone.fill("#code-phone", NEW_RIDER)
    phone.get_by_role("button", name="获取验证码").click()
    expect(phone.locator("#code-form")).to_contain_text("验证码已发送至 139****0001")
    phone.fill("input[name=code]", code_sent_to(NEW_RIDER))
    phone.get_by_label("姓名").fill("马骑手")
    phone.get_by_label("电动车").check()
    phone.get_by_label("设置密码（选填）").fill("mashou123")
    rider.shot("signup-filled")
    phone.get_by_role("button", name="提交注册").click()
    expect(phone.locator("main")).to_contain_text("已提交，等待配送站审核")
    rider.shot("signup-submitted")
    rider.login(NEW_RIDER, "mashou123")
    expect(phone.locator("main")).to_contain_text("您的骑手注册正在审核中，审核通过后即可登录")
    rider.shot("login-while-waiting")

    # --- the dispatcher approves the registration ----------------------------------------------
    desk.get_by_role("link", name=re.compile("^骑手")).click()
    desk.locator("nav.board-tabs").get_by_role("link", name=re.compile("待审核")).click()
    row = desk.locator("tr", has_text="马骑手")
    expect(row).to_contain_text("电动车")
    dispatcher.shot("riders-pending")
    row.get_by_role("button", name="通过").click()
    expect(desk.locator("#riders")).to_contain_text("已通过 马骑手 的骑手注册")
    dispatcher.shot("rider-approved")

    # --- the rider logs in and goes to work ----------------------------------------------------
    rider.login(NEW_RIDER, "mashou123")
    expect(phone).to_have_url(re.compile(r"/rider/"))
    phone.get_by_role("button", name="开工").click()
    expect(phone.locator("main")).to_contain_text("开工中")
    rider.shot("on-duty")

    # --- the board is open; the store ships the paid order by 配送助手 --------------------------
    desk.get_by_role("link", name="订单看板").click()
    board = desk.locator("#board")
    expect(board).to_be_visible()
    order_id, order_no = paid_order_waiting(live_server)
    expect(board).not_to_contain_text(order_no)

    store = people("store", DESKTOP)
    shop = store.login("13800000003")
    shop.goto(f"{live_server.url}/store/orders/{order_id}")
    shop.get_by_label("配送助手").check()
    shop.get_by_role("button", name=re.compile("^(立即配送|发货)$")).click()
    expect(shop.locator("#order-detail")).to_contain_text("已发货")
    store.shot("shipped-by-assistant")

    row = board.locator("tr", has_text=order_no)
    expect(row).to_contain_text("待接单", timeout=15_000)  # the poll brought it in by itself
    expect(row).to_contain_text("待分配")
    dispatcher.shot("board-new-task")

    # --- the dispatcher assigns it to the new rider --------------------------------------------
    row.get_by_role("link", name="分配").click()
    picker = desk.locator("#assign")
    expect(picker.locator("tr", has_text="马骑手")).to_contain_text("在岗")
    dispatcher.shot("rider-picker")
    picker.get_by_role("button", name="分配给 马骑手").click()
    expect(desk.locator("#task-detail")).to_contain_text("已分配给骑手 马骑手")
    expect(desk.locator(".timeline")).to_contain_text("调度分配给骑手 马骑手")
    dispatcher.shot("assigned")

    desk.get_by_role("link", name="返回订单看板").click()
    desk.locator("nav.board-tabs").get_by_role("link", name=re.compile("配送中")).click()
    expect(desk.locator("#board tr", has_text=order_no)).to_contain_text("马骑手")
    expect(desk.locator(".rider-loads")).to_contain_text("马骑手")
    dispatcher.shot("board-on-the-way")

    phone.goto(live_server.url + "/rider/tasks")
    expect(phone.locator("main")).to_contain_text("椰城小厨")
    rider.shot("rider-has-the-task")

    # --- the rider carries it: four taps after the assignment, one of them made offline -------
    phone.goto(f"{live_server.url}/rider/tasks/{task_of_order(live_server, order_id)}")
    status = phone.locator("#task-card h2")
    expect(status).to_have_text("已接单")
    phone.get_by_role("button", name="到店", exact=True).click()
    expect(status).to_have_text("已到店")
    rider.context.set_offline(True)
    phone.get_by_role("button", name="取单", exact=True).click()
    expect(phone.locator("#task-card .tap-pending")).to_contain_text("等待发送")
    expect(status).to_have_text("已到店")
    rider.shot("picked-while-offline")
    rider.context.set_offline(False)
    expect(status).to_have_text("已取单", timeout=15_000)  # replayed once the network is back
    phone.get_by_role("button", name="配送", exact=True).click()
    expect(status).to_have_text("配送中")

    buyer = people("buyer")
    page = buyer.login("13800000007")
    page.goto(f"{live_server.url}/shop/orders/{order_no}")
    progress = page.locator("#delivery-progress")
    expect(progress).to_contain_text("骑手：马骑手")
    expect(progress).to_contain_text(re.compile(r"约 \d+ 分钟送达"))
    buyer.shot("buyer-sees-the-assigned-rider")

    phone.get_by_role("button", name="送达", exact=True).click()
    expect(status).to_have_text("配送中")  # asked first
    phone.get_by_role("button", name="确认送达").click()
    expect(status).to_have_text("已送达")
    rider.shot("delivered")
    with live_server.app.app_context():
        events = db.session.execute(
            select(OrderEvent.to_status).where(
                OrderEvent.order_id == order_id, OrderEvent.machine == "delivery"
            )
        ).scalars()
        assert list(events).count("picked") == 1  # the offline tap moved the task once
        db.session.remove()

    # --- the platform sees the task read-only on the order --------------------------------------
    ops.goto(f"{live_server.url}/platform/orders/{order_id}")
    panel = ops.locator("#delivery-task")
    expect(panel).to_contain_text("马骑手")
    expect(panel).to_contain_text("分配、改派和取消在配送助手后台处理")
    expect(ops.locator("select[name=rider_id]")).to_have_count(0)
    operator.shot("platform-order-read-only")


def test_a_task_nobody_took_in_time_stands_out_for_the_dispatcher_and_the_store(
    people, live_server
):
    """The store ships by 配送助手 in grab mode; nobody grabs it for more than the alarm minutes
    (the clock moves, the deadline sweep runs): the board shows it in red, the overview counts
    it, the store reads it on the order's timeline."""
    store = people("store", DESKTOP)
    shop = store.login("13800000003")
    order_id, order_no = paid_order_waiting(live_server)
    shop.goto(f"{live_server.url}/store/orders/{order_id}")
    shop.get_by_label("配送助手").check()
    shop.get_by_role("button", name=re.compile("^(立即配送|发货)$")).click()
    expect(shop.locator("#order-detail")).to_contain_text("已发货")

    with travel(timedelta(minutes=11)):
        with live_server.app.app_context():
            assert sweep().applied >= 1
            db.session.remove()

        dispatcher = people("dispatcher", DESKTOP)
        desk = dispatcher.login("13800000010")
        alarm = desk.locator(".kpi-alarm")
        expect(alarm).to_contain_text("1")
        expect(desk.locator("ul.todo")).to_contain_text("1 单超时无人接单")
        dispatcher.shot("overview-alarm")
        desk.get_by_role("link", name="订单看板").click()
        row = desk.locator("#board tr.row-alarm", has_text=order_no)
        expect(row).to_contain_text("超时未接单")
        dispatcher.shot("board-alarm")

        shop.reload()
        expect(shop.locator("main")).to_contain_text("超过 10 分钟无人接单")
        store.shot("store-sees-the-alarm")
