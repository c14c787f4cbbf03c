"""Issue 11, browser flow: a buyer pays online for an order of 椰城小厨; the store's 不可提现 shows
its share; a rider delivers and the order completes, so 可提现 grows by the share; the store
withdraws 50 yuan (the first time with its bank account); the platform approves and marks it
paid; the store's 已提现 shows it; a return after completion posts the refund and gives the
commission back, and the balances say so; the rider of the delivered task withdraws their
commission. Every figure is read from the pages and checked against the ledger's arithmetic.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from app.extensions import db
from app.finance.reports import check
from tests.browser.conftest import DESKTOP
from tests.browser.test_checkout_flows import (  # noqa: F401  (the stand-in's live server)
    accept_dialogs,
    add_to_cart,
    live_server,
    order_no,
    phone_shot,
    printer,
    reach_gateway,
    wechat,
)

pytestmark = pytest.mark.browser

KITCHEN = "椰城小厨"
RIDER_STEPS = [("到店", "已到店"), ("取单", "已取单"), ("配送", "配送中"), ("送达", "已送达")]


def fen(text: str) -> int:
    """ "￥1,234.50" or "-￥12.00" → fen."""
    sign = -1 if "-" in text else 1
    whole, cents = re.search(r"([\d,]+)\.(\d\d)", text).groups()
    return sign * (int(whole.replace(",", "")) * 100 + int(cents))


def kpis(page) -> dict[str, int]:
    return {
        name: fen(page.locator(f"#kpi-{name}").inner_text())
        for name in ("available", "payout", "pending", "withdrawn")
    }


def test_online_order_settles_withdraws_and_reverses_on_return(people, wechat):  # noqa: F811
    # --- the store's figures before (the demo already has money in the ledger)
    store = people("store", DESKTOP)
    store_asked = accept_dialogs(store)
    desk = store.login("13800000003")
    desk.goto(f"{store.server.url}/store/finance")
    before = kpis(desk)
    store.shot("finance-before")

    # --- 1. the buyer pays online for 2 × 宫保鸡丁 (64.00 + 3.00 delivery)
    buyer = people("buyer")
    page = buyer.login("13800000007")
    accept_dialogs(buyer)
    add_to_cart(page, KITCHEN, "宫保鸡丁", 2)
    page.goto(buyer.server.url + "/shop/cart")
    page.get_by_role("button", name="去结算").click()
    page.get_by_label("在线支付").check()
    page.get_by_role("button", name=re.compile("提交订单")).click()
    expect(page).to_have_url(re.compile(r"/shop/pay/\d+$"))
    main = page.locator("main")
    expect(main).to_contain_text("￥67.00")
    number = order_no(main, KITCHEN)
    bugs: list[str] = []
    reach_gateway(buyer, wechat, bugs)
    page.get_by_role("button", name="确认支付").click()
    expect(page.locator("#pay-result")).to_contain_text("支付成功")
    share = 6700 - 320  # what the buyer paid less 5 % commission on the goods (64.00)

    # --- 2. the store's 不可提现 holds the share until the order completes
    desk.reload()
    paid = kpis(desk)
    assert paid["pending"] - before["pending"] == share
    assert paid["available"] == before["available"]
    desk.get_by_role("link", name="资金明细").click()
    expect(desk.locator("#finance-table")).to_contain_text(number)
    expect(desk.locator("#finance-table")).to_contain_text("订单收入")
    expect(desk.locator("#finance-table")).to_contain_text("平台佣金")
    store.shot("finance-paid-not-withdrawable")

    # --- 3. shipped by 配送助手, a rider delivers: the order completes, the share is 可提现
    desk.goto(f"{store.server.url}/store/orders")
    desk.locator("table.grid tbody tr", has_text=number).locator("a").first.click()
    desk.get_by_label("配送助手").check()
    desk.get_by_role("button", name="发货", exact=True).click()
    expect(desk.locator("#order-detail")).to_contain_text("已发货")
    rider = people("rider")
    phone = rider.login("13800000006")
    accept_dialogs(rider)
    phone.goto(f"{rider.server.url}/rider/me")
    rider_before = fen(phone.locator("#rider-available").inner_text())
    phone.goto(f"{rider.server.url}/rider/")
    phone.locator("article", has_text=KITCHEN).first.get_by_role("button", name="抢单").click()
    expect(phone.locator("main")).to_contain_text("抢单成功")
    phone.get_by_role("button", name="查看配送单").click()
    for button, status in RIDER_STEPS:
        phone.get_by_role("button", name=button, exact=True).click()
        if button == "送达":  # the confirmation that a stray tap cannot give
            phone.get_by_role("button", name="确认送达").click()
        expect(phone.locator("main")).to_contain_text(status)
    desk.goto(f"{store.server.url}/store/finance")
    completed = kpis(desk)
    assert completed["available"] - before["available"] == share
    assert completed["pending"] == before["pending"]
    store.shot("finance-completed-withdrawable")

    # --- 4. the store withdraws 50 yuan, giving its bank account the first time
    desk.get_by_role("link", name="去提现").click()
    expect(desk.locator("#withdraw-form")).to_contain_text("提现协议")
    desk.get_by_label("提现金额（元）").fill("50")
    desk.get_by_role("radio", name="银行卡").check()
    desk.get_by_label("收款人姓名").fill("王老板")
    desk.get_by_label("收款账号").fill("6222 0202 0011 2233 445")
    desk.get_by_label("开户银行（银行卡必填）").fill("中国工商银行海口分行")
    desk.get_by_label("我已阅读并同意提现协议").check()
    store.shot("withdraw-form-first-time")
    desk.get_by_role("button", name="提交提现申请").click()
    expect(desk.locator("#flash")).to_contain_text("提现申请已提交")
    assert "冻结" in store_asked[-1]  # asked before the money is held for review
    requested = kpis(desk)
    assert requested["available"] == completed["available"] - 5000
    expect(desk.locator("#finance-table")).to_contain_text("待审核")
    store.shot("withdrawal-requested")

    # --- 5. the platform approves, pays offline, marks it paid with the transfer's reference
    platform = people("platform", DESKTOP)
    asked = accept_dialogs(platform)
    ops = platform.login("13800000001")
    ops.goto(f"{platform.server.url}/platform/finance/withdrawals")
    row = ops.locator("table tbody tr", has_text=KITCHEN).first
    expect(row).to_contain_text("￥50.00")
    expect(row).to_contain_text("待审核")
    platform.shot("withdrawals-to-approve")
    row.get_by_role("button", name="通过").click()
    expect(row).to_contain_text("待打款")
    assert "￥50.00" in asked[-1]
    row.get_by_label("打款流水号").fill("ICBC20261201001")
    row.get_by_role("button", name="确认打款").click()
    expect(row).to_contain_text("已打款")
    assert "不能撤销" in asked[-1]
    platform.shot("withdrawal-paid")
    ops.goto(f"{platform.server.url}/platform/finance")
    expect(ops.locator("main")).to_contain_text("￥50.00")
    expect(ops.locator("svg[role=img]")).to_be_visible()
    platform.shot("finance-overview")

    # --- 6. the store's 已提现 shows it
    desk.goto(f"{store.server.url}/store/finance")
    withdrawn = kpis(desk)
    assert withdrawn["withdrawn"] - before["withdrawn"] == 5000
    assert withdrawn["payout"] == before["payout"]
    expect(desk.locator("#finance-table")).to_contain_text("已打款")
    store.shot("finance-withdrawn")

    # --- 7. a return after completion: the refund and the commission given back
    page.goto(f"{buyer.server.url}/shop/orders/{number}")
    page.get_by_role("link", name=re.compile("申请售后")).click()
    page.get_by_label(re.compile("退货退款")).check()
    page.get_by_label("商品质量问题").check()
    page.get_by_label("问题描述").fill("鸡丁不新鲜")
    page.get_by_role("button", name=re.compile("提交申请")).click()
    expect(page.locator("main")).to_contain_text("￥64.00")
    aftersale_url = page.url
    desk.goto(f"{store.server.url}/store/aftersales")
    desk.locator("table.grid tbody tr", has_text=number).first.locator("a").first.click()
    desk.get_by_role("button", name="同意退货").click()
    expect(desk.locator("#aftersale-detail")).to_contain_text("已同意")
    page.goto(aftersale_url)
    page.get_by_label("快递公司").fill("中通快递")
    page.get_by_label("快递单号").fill("ZT998877665544")
    page.get_by_role("button", name=re.compile("提交退货单号")).click()
    expect(page.locator("main")).to_contain_text("已寄回，等待商家收货")
    desk.reload()
    desk.get_by_label(re.compile("我确认已收到退货")).check()
    desk.get_by_role("button", name="确认收到退货").click()
    expect(desk.locator("#aftersale-detail")).to_contain_text(re.compile("退款中|已退款"))
    desk.goto(f"{store.server.url}/store/finance")
    returned = kpis(desk)
    back = (320 * 6400 * 2 + 6700) // (2 * 6700)  # the commission on 64.00 of 67.00, half up
    assert returned["available"] == withdrawn["available"] - 6400 + back
    desk.get_by_role("link", name="资金明细").click()
    expect(desk.locator("#finance-table")).to_contain_text("退款")
    expect(desk.locator("#finance-table")).to_contain_text("佣金退回")
    store.shot("finance-after-return")

    # --- 8. the rider withdraws their commission
    phone.goto(f"{rider.server.url}/rider/me")
    available = fen(phone.locator("#rider-available").inner_text())
    assert available - rider_before == 600  # 椰城小厨 pays its riders 6.00 a task
    phone_shot(rider, "rider-me")
    phone.get_by_role("link", name="提现").first.click()
    phone.get_by_label("提现金额（元）").fill(f"{available // 100}")
    phone.get_by_role("radio", name="支付宝").check()
    phone.get_by_label("收款人姓名").fill("赵骑手")
    phone.get_by_label("收款账号").fill("13800000006")
    phone.get_by_label("我已阅读并同意提现协议").check()
    phone_shot(rider, "rider-withdraw-form")
    phone.get_by_role("button", name="提交提现申请").click()
    expect(phone.locator("#flash")).to_contain_text("提现申请已提交")
    phone.goto(f"{rider.server.url}/rider/withdrawals")
    expect(phone.locator("main")).to_contain_text("待审核")
    phone_shot(rider, "rider-withdrawals")

    with store.server.app.app_context():
        assert check() == ([], [])  # every balance is the sum of its entries
        db.session.remove()
    assert not bugs, "\n".join(bugs)
