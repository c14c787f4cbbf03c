"""Walking skeleton a (SPEC §6): buyer orders COD → store accepts (接单) and ships by 配送助手 →
rider grabs and taps through every status (confirming 送达) → buyer and store see each step with
the rider → platform sees it all."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP

pytestmark = pytest.mark.browser

RIDER_STEPS = [("到店", "已到店"), ("取单", "已取单"), ("配送", "配送中"), ("送达", "已送达")]


def test_same_city_order_travels_through_every_portal(people):
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

    rider = people("rider")
    phone = rider.login("13800000006")
    card = phone.locator("article", has_text="椰城小厨").first
    expect(card).to_contain_text("￥6.00")  # the store's commission for this task
    rider.shot("pool-with-commission")
    card.get_by_role("button", name="抢单").click()
    expect(phone.locator("main")).to_contain_text("抢单成功")
    phone.get_by_role("button", name="查看配送单").click()
    expect(phone.locator("main")).to_contain_text("已接单")
    rider.shot("task-accepted")
    asked = []
    phone.on("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    for button, status in RIDER_STEPS:
        phone.get_by_role("button", name=button, exact=True).click()
        expect(phone.locator("main")).to_contain_text(status)
        rider.shot(f"tapped-{status}")
    assert asked == ["确认已将订单送达顾客手中？"]  # only 送达, the irreversible tap, asks first

    page.goto(order_url)
    expect(page.locator("main")).to_contain_text("已送达")
    expect(page.locator("main")).to_contain_text("赵骑手")
    expect(page.locator("main")).to_contain_text("13800000006")
    buyer.shot("buyer-sees-delivered")

    desk.reload()
    expect(desk.locator("main")).to_contain_text("赵骑手")
    expect(desk.locator("main")).to_contain_text("已完成")
    store.shot("store-sees-rider")

    platform = people("platform", DESKTOP)
    ops = platform.login("13800000001")
    ops.locator("table.grid tbody tr", has_text="椰城小厨").first.locator("a").first.click()
    timeline = ops.locator(".timeline")
    for status in (
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
        expect(timeline).to_contain_text(status)
    platform.shot("platform-full-timeline")
