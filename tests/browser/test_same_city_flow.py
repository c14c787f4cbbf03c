"""Walking skeleton a (SPEC §6, issue #12 §3): buyer orders COD → store accepts (接单) and ships
by 配送助手 → the rider, off duty, taps 开工, sees the pool with distances, grabs from the card
and taps through in five taps (取单 made while the phone is offline: shown pending, sent when the
network returns, moved once), confirms 送达 with a second button away from the first → the buyer
sees the rider, how far and about when while it is on its way, then delivered; the store sees
the rider; the platform sees it all."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select, update

from app.accounts.models import Address, Role, User
from app.delivery.models import DeliveryTask, RiderProfile, TaskStatus
from app.delivery.services import cancel_task_of, grab_task, ship_with_assistant
from app.extensions import db
from app.jobs import commit
from app.ordering.models import Order, OrderEvent
from app.stores.models import Store
from tests.browser.conftest import DESKTOP, PHONE
from tests.factories import actor_of, make_buyer, make_product, make_user, place_order

pytestmark = pytest.mark.browser

RIDER_PHONE = "13800000006"
AT_THE_STORE = {"latitude": 20.0300, "longitude": 110.3270}  # 椰城小厨 in the demo
NEAR_THE_STORE = {"latitude": 20.0250, "longitude": 110.3270}  # about 550 m south of it
ON_THE_ROAD = {**PHONE, "permissions": ["geolocation"], "geolocation": NEAR_THE_STORE}


def off_duty(server) -> None:
    with server.app.app_context():
        rider_id = db.session.scalar(select(User.id).where(User.phone == RIDER_PHONE))
        db.session.execute(
            update(RiderProfile).where(RiderProfile.user_id == rider_id).values(on_duty=False)
        )
        commit()
        db.session.remove()


def task_state(server, order_no: str) -> tuple[str, int]:
    """The task's status and how many times it moved to 已取单."""
    with server.app.app_context():
        order_id = db.session.scalar(select(Order.id).where(Order.no == order_no))
        status = db.session.scalar(
            select(DeliveryTask.status).where(DeliveryTask.order_id == order_id)
        )
        picked = db.session.scalar(
            select(func.count()).where(
                OrderEvent.order_id == order_id, OrderEvent.to_status == "picked"
            )
        )
        db.session.remove()
    return status, picked


def no_sideways_scroll(person, name: str) -> None:
    person.shot(name)
    wide = person.page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert wide <= 0, f"{name}: the phone page scrolls sideways by {wide}px"


def test_same_city_order_travels_through_every_portal(people, live_server):
    buyer = people("buyer")
    page = buyer.login("13800000007")
    expect(page).to_have_url(re.compile(r"/shop/$"))
    page.get_by_role("link", name=re.compile("椰城小厨")).click()
    dish = page.locator("article.product", has_text="宫保鸡丁")
    dish.get_by_role("button", name="加入购物车").first.click()
    expect(page.locator("#cart-bar")).to_contain_text("已加入购物车")
    buyer.shot("store-page-added")
    page.goto(buyer.server.url + "/shop/cart")
    expect(page.locator("main")).to_contain_text("宫保鸡丁")
    page.get_by_role("button", name="去结算").click()
    page.get_by_label("货到付款").check()
    page.get_by_role("textbox").last.fill("不要辣")
    buyer.shot("checkout")
    page.get_by_role("button", name=re.compile("提交订单")).click()
    expect(page.locator("#flash")).to_contain_text("下单成功，共 1 个订单")
    buyer.shot("orders-after-checkout")
    page.locator("main a.block").first.click()
    order_url = page.url
    order_no = order_url.rstrip("/").rsplit("/", 1)[-1]
    expect(page.locator("main")).to_contain_text("等待商家接单")

    store = people("store", DESKTOP)
    desk = store.login("13800000003")
    expect(desk).to_have_url(re.compile(r"/store/orders"))
    row = desk.locator("table.grid tbody tr").first
    expect(row).to_contain_text("周会员")
    expect(row).to_contain_text("待接单")
    store.shot("order-list")
    row.locator("a").first.click()
    expect(desk.locator("main")).to_contain_text("不要辣")
    desk.get_by_role("button", name="接单", exact=True).click()
    expect(desk.locator("#order-detail")).to_contain_text("待发货")
    store.shot("accepted")
    page.reload()
    expect(page.locator("main")).to_contain_text("商家备货中")
    desk.get_by_label("配送助手").check()
    desk.get_by_role("button", name="发货", exact=True).click()
    expect(desk.locator("#order-detail")).to_contain_text("已发货")
    store.shot("shipped-by-assistant")
    page.reload()
    expect(page.locator("#delivery-progress")).to_contain_text("配送状态：待接单")

    # --- the rider: 开工, the pool with distances, five taps (one offline), 送达 confirmed ---
    off_duty(live_server)
    rider = people("rider", ON_THE_ROAD)
    phone = rider.login(RIDER_PHONE)
    expect(phone.locator("main")).to_contain_text("收工中")
    no_sideways_scroll(rider, "off-duty")
    phone.get_by_role("button", name="开工").click()
    expect(phone.locator("main")).to_contain_text("开工中")
    card = phone.locator("article", has_text="椰城小厨").first
    expect(card).to_contain_text("￥6.00")  # the store's commission for this task
    expect(card.locator(".trip dd").first).to_contain_text("560 米")  # from where the phone is
    expect(card.locator(".trip dd").last).to_contain_text("2.7 公里")  # the store to the buyer
    no_sideways_scroll(rider, "pool-with-commission-and-distances")
    taps = 0

    def tap(name: str):
        nonlocal taps
        taps += 1
        phone.get_by_role("button", name=name, exact=True).click()

    tap("抢单")
    expect(card).to_contain_text("抢单成功")
    expect(card.locator(".trip dd").first).to_contain_text("560 米")
    rider.shot("grabbed-on-the-card")
    rider.context.set_geolocation(AT_THE_STORE)
    tap("到店")  # right on the pool's card: then the task page
    expect(phone).to_have_url(re.compile(r"/rider/tasks/\d+$"))
    status = phone.locator("#task-card h2")
    expect(status).to_have_text("已到店")
    rider.shot("arrived")

    rider.context.set_offline(True)
    tap("取单")
    pending = phone.locator("#task-card .tap-pending")
    expect(pending).to_contain_text("「取单」等待发送：网络恢复后会自动发送")
    expect(status).to_have_text("已到店")
    no_sideways_scroll(rider, "picked-while-offline-pending")
    assert task_state(live_server, order_no) == (TaskStatus.ARRIVED, 0)
    rider.context.set_offline(False)
    expect(status).to_have_text("已取单", timeout=15_000)  # sent when the network returned
    expect(phone.locator(".tap-note")).to_have_count(0)
    assert task_state(live_server, order_no) == (TaskStatus.PICKED, 1)
    rider.shot("picked-sent-when-back-online")

    tap("配送")
    expect(status).to_have_text("配送中")
    page.goto(order_url)  # the buyer, while the rider is on the way
    progress = page.locator("#delivery-progress")
    expect(progress).to_contain_text("骑手：赵骑手")
    expect(progress).to_contain_text(RIDER_PHONE)
    expect(progress).to_contain_text(re.compile(r"约 \d+ 分钟送达"))
    expect(progress).to_contain_text("骑手距您约 2.7 公里")
    no_sideways_scroll(buyer, "buyer-sees-rider-on-the-way")

    deliver = phone.get_by_role("button", name="送达", exact=True)
    before = deliver.bounding_box()
    tap("送达")
    confirm = phone.get_by_role("button", name="确认送达")
    expect(confirm).to_be_visible()
    expect(phone.get_by_role("button", name="还没送到")).to_be_visible()
    expect(status).to_have_text("配送中")  # 送达 alone moves nothing
    place = confirm.bounding_box()
    assert place["y"] + place["height"] <= before["y"], "the confirming button is elsewhere"
    rider.shot("asked-to-confirm-delivered")
    confirm.click()
    expect(status).to_have_text("已送达")
    assert taps == 5  # 抢单, 到店, 取单, 配送, 送达 (and the confirmation)
    rider.shot("delivered")
    assert task_state(live_server, order_no) == (TaskStatus.DELIVERED, 1)

    page.goto(order_url)
    expect(page.locator("main")).to_contain_text("已送达")
    expect(page.locator("main")).to_contain_text("赵骑手")
    expect(page.locator("main")).to_contain_text(RIDER_PHONE)
    buyer.shot("buyer-sees-delivered")

    desk.reload()
    expect(desk.locator("main")).to_contain_text("赵骑手")
    expect(desk.locator("main")).to_contain_text("已完成")
    store.shot("store-sees-rider")

    platform = people("platform", DESKTOP)
    ops = platform.login("13800000001")
    ops.locator("table.grid tbody tr", has_text="椰城小厨").first.locator("a").first.click()
    timeline = ops.locator(".timeline")
    for step in (
        "待接单",
        "待发货",
        "已发货",
        "待接单",
        "已接单",
        "已到店",
        "已取单",
        "配送中",
        "已送达",
        "已完成",
    ):
        expect(timeline).to_contain_text(step)
    platform.shot("platform-full-timeline")


def test_my_deliveries_and_the_banner_render_as_cards(people, live_server):
    """The 进行中的配送 banner and the 我的配送 cards: whole cards, nothing cut or run together."""
    with live_server.app.app_context():
        store = db.session.execute(select(Store).where(Store.name == "椰城小厨")).scalar_one()
        owner = make_user(Role.STORE_STAFF, store=store)
        rider_user = db.session.execute(select(User).where(User.phone == RIDER_PHONE)).scalar_one()
        product = make_product(store, "椰子饭", price_fen=2800)
        for _ in range(2):
            buyer = make_buyer()
            address = db.session.execute(select(Address).filter_by(user_id=buyer.id)).scalar_one()
            address.lat, address.lng = 20.0540, 110.3300  # the demo member's, 2.7 km away
            task = ship_with_assistant(place_order(buyer, product), actor_of(owner))
            commit()
        grab_task(task, actor_of(rider_user))
        commit()
        db.session.remove()
    rider = people("rider")
    phone = rider.login(RIDER_PHONE)
    banner = phone.locator("a.active-banner")
    expect(banner).to_contain_text("进行中的配送 1 单")
    box = banner.bounding_box()
    assert box["width"] >= 330 and box["height"] >= 44
    expect(phone.locator("article.grabbed")).to_contain_text("抢单成功")
    no_sideways_scroll(rider, "pool-with-banner-and-grabbed-card")
    banner.click()
    cards = phone.locator("#task-list a.card")
    expect(cards).to_have_count(1)
    box = cards.first.bounding_box()
    assert box["width"] >= 330 and box["height"] >= 80  # a block, not an inline run of text
    no_sideways_scroll(rider, "my-deliveries-active")
    phone.get_by_role("link", name="已完成").click()
    expect(phone.locator("#task-list a.card").first).to_contain_text("已送达")
    no_sideways_scroll(rider, "my-deliveries-done")


def test_a_tap_made_offline_that_the_server_refuses_says_so_on_the_card(people, live_server):
    """到店 tapped in a basement; meanwhile the platform closed the order. When the network comes
    back the tap is sent, refused, and the card says so plainly (nothing pending for ever)."""
    with live_server.app.app_context():
        store = db.session.execute(select(Store).where(Store.name == "椰城小厨")).scalar_one()
        owner = make_user(Role.STORE_STAFF, store=store)
        rider_user = db.session.execute(select(User).where(User.phone == RIDER_PHONE)).scalar_one()
        buyer = make_buyer()
        address = db.session.execute(select(Address).filter_by(user_id=buyer.id)).scalar_one()
        address.lat, address.lng = 20.0540, 110.3300
        order = place_order(buyer, make_product(store, "椰子饭", price_fen=2800))
        task = ship_with_assistant(order, actor_of(owner))
        commit()
        grab_task(task, actor_of(rider_user))
        commit()
        task_id, order_id = task.id, order.id
        db.session.remove()
    rider = people("rider")
    phone = rider.login(RIDER_PHONE)
    phone.goto(f"{live_server.url}/rider/tasks/{task_id}")
    rider.context.set_offline(True)
    phone.get_by_role("button", name="到店", exact=True).click()
    expect(phone.locator("#task-card .tap-pending")).to_contain_text("「到店」等待发送")
    with live_server.app.app_context():
        cancel_task_of(db.session.get(Order, order_id))  # the order was closed meanwhile
        commit()
        db.session.remove()
    rider.context.set_offline(False)
    failed = phone.locator("#task-card .tap-failed")
    expect(failed).to_contain_text("「到店」没有成功：", timeout=15_000)
    expect(failed).to_contain_text("已取消")  # why: the task is cancelled now
    expect(phone.locator("#task-card h2")).to_have_text("已取消")  # the card as it is now
    expect(phone.get_by_role("button", name="到店", exact=True)).to_have_count(0)
    expect(phone.locator("#task-card .tap-pending")).to_have_count(0)
    no_sideways_scroll(rider, "offline-tap-refused-when-sent")
    phone.reload()  # the refusal stays on the card until the rider has read it
    expect(phone.locator("#task-card .tap-failed")).to_contain_text("「到店」没有成功：")
    phone.locator("#task-card .tap-failed").get_by_role("button", name="知道了").click()
    expect(phone.locator("#task-card .tap-failed")).to_have_count(0)
    with live_server.app.app_context():
        assert db.session.get(DeliveryTask, task_id).status == TaskStatus.CANCELLED
        db.session.remove()
