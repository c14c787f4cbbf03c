"""Phone details (#12 §6) in Chromium at 390 px: 退出登录 at the bottom of 我的 and no 退出 in
the header; the sales tab row fades at its edge and shows "全部" whole; a confirmed order takes
the manager to 待发货; an empty driver choice answers next to the select; the driver reads the
whole address wrapped, copies it and records 已收款; a session ended elsewhere says 请重新登录."""

from __future__ import annotations

import re

import pytest
from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import select

from app.accounts.actor import Actor
from app.accounts.models import Address, Role, User
from app.catalog.models import Product
from app.extensions import db
from app.jobs import commit
from app.ordering.cart import add_to_cart
from app.ordering.checkout import place_orders
from app.stores.models import Store

pytestmark = pytest.mark.browser

ADDRESS = "海南省海口市美兰区海甸岛人民大道 58 号 2 栋 101"  # the demo buyer's address


def _cod_order(server) -> tuple[int, str]:
    """周会员 orders from 海南批发供应, cash on delivery (what a checkout does)."""
    with server.app.app_context():
        buyer = db.session.execute(select(User).where(User.phone == "13800000007")).scalar_one()
        store = db.session.execute(select(Store).where(Store.name == "海南批发供应")).scalar_one()
        product = db.session.execute(
            select(Product).where(Product.store_id == store.id).order_by(Product.id).limit(1)
        ).scalar_one()
        address = db.session.execute(
            select(Address).where(Address.user_id == buyer.id).limit(1)
        ).scalar_one()
        add_to_cart(buyer.id, product.skus[0].id, max(product.min_order_qty or 1, 1))
        me = Actor(buyer.id, Role.BUYER, name=buyer.name)
        [order] = place_orders(me, address, "cod").orders
        commit()
        found = order.id, order.no
        db.session.remove()
        return found


def _height(locator) -> float:
    return locator.bounding_box()["height"]


def test_phone_details_across_rider_sales_and_driver(people, tmp_path):
    # -- the rider: 退出登录 at the bottom of 我的, nothing of it in the header ----------------
    rider = people("rider")
    page = rider.login("13800000006")
    page.goto(rider.server.url + "/rider/me")
    header = page.locator("header.phone-top")
    expect(header).not_to_contain_text("退出")
    logout = page.get_by_role("button", name="退出登录")
    expect(logout).to_be_visible()
    last_form = page.locator("main > *").last
    expect(last_form).to_contain_text("退出登录")  # the last thing on the page
    above = page.locator("main > section").last.bounding_box()
    assert logout.bounding_box()["y"] - (above["y"] + above["height"]) >= 24  # set apart
    for tool in header.locator("button, a, summary").all():
        assert _height(tool) >= 44
    rider.shot("me-with-logout-at-the-bottom")
    logout.click()
    expect(page).to_have_url(re.compile(r"/login"))
    expect(page.locator("#flash")).to_contain_text("已退出登录")

    # -- the manager: store named, tabs that show they scroll, confirm lands on 待发货 --------
    order_id, order_no = _cod_order(rider.server)
    manager = people("manager")
    phone = manager.login("13800000004")
    tabs = phone.locator("nav.tabs")
    assert tabs.evaluate("el => el.scrollWidth > el.clientWidth")  # more tabs than fit at 390 px
    fade = tabs.evaluate("el => getComputedStyle(el, '::after').backgroundImage")
    assert "linear-gradient" in fade
    manager.shot("tabs-fade-at-the-edge")
    tabs.evaluate("el => { el.scrollLeft = el.scrollWidth; }")
    whole = phone.locator("nav.tabs a", has_text="全部")
    edge = tabs.bounding_box()
    box = whole.bounding_box()
    assert box["x"] >= edge["x"] and box["x"] + box["width"] <= edge["x"] + edge["width"] + 0.5
    assert _height(whole) >= 44
    manager.shot("tabs-scrolled-to-all")

    phone.goto(manager.server.url + f"/sales/orders/{order_id}")
    expect(phone.locator("main")).to_contain_text("海南批发供应")
    assert _height(phone.locator("header .button", has_text="返回")) >= 44
    phone.get_by_role("button", name="确认订单").click()
    expect(phone).to_have_url(re.compile(r"/sales/\?tab=awaiting_shipment"))
    expect(phone.locator("#flash")).to_contain_text(f"订单已确认：{order_no} 已移到“待发货”")
    expect(phone.locator("nav.tabs a.active")).to_contain_text("待发货")
    manager.shot("confirmed-lands-on-awaiting-shipment")
    phone.locator("main a.block", has_text=order_no).click()
    phone.get_by_role("button", name="指派司机").last.click()  # nothing chosen
    expect(phone.locator("#ship-actions .field-error")).to_have_text("请选择司机")
    manager.shot("empty-driver-choice-answered-inline")
    choice = phone.locator("select[name=driver_id] option", has_text="刘师傅")
    phone.locator("select[name=driver_id]").select_option(choice.get_attribute("value"))
    phone.get_by_role("button", name="指派司机").last.click()
    expect(phone.locator("#flash")).to_contain_text("已指派司机")
    expect(phone.locator("header.phone-top")).not_to_contain_text("退出")
    phone.goto(manager.server.url + "/sales/me")
    expect(phone.locator("main > *").last).to_contain_text("退出登录")
    manager.shot("sales-me")

    # -- the driver: the whole address wrapped, 复制地址, 已收款 ------------------------------
    driver = people("driver")
    van = driver.login("13800000005")
    van.goto(driver.server.url + f"/driver/orders/{order_id}")
    address = van.locator("#address")
    expect(address).to_have_text(ADDRESS)
    assert address.evaluate("el => el.scrollWidth <= el.clientWidth")  # nothing cut off
    line = float(address.evaluate("el => parseFloat(getComputedStyle(el).lineHeight)"))
    assert _height(address) > line * 1.5  # wrapped onto a second line at 390 px
    copy = van.get_by_role("button", name="复制地址")
    expect(copy).to_be_visible()
    assert _height(copy) >= 44
    assert _height(van.locator("header .button", has_text="返回")) >= 44
    driver.shot("whole-address-with-copy")
    copy.click()
    expect(van.locator("[data-copy]")).to_have_text("已复制")

    receipt = van.locator("#driver-receipt")
    expect(receipt).to_contain_text("未收")
    van.once("dialog", lambda dialog: dialog.accept())
    receipt.get_by_label("已当面点清收款金额").check()
    driver.shot("cash-to-record")
    receipt.get_by_role("button", name="登记已收款").click()
    expect(van.locator("#flash")).to_contain_text("已登记收款")
    expect(van.locator("#driver-receipt")).to_contain_text("已收款")
    expect(van.locator("#driver-receipt input[name=amount]")).to_have_count(0)
    driver.shot("cash-recorded")
    van.goto(driver.server.url + "/driver/me")
    expect(van.locator("header.phone-top")).not_to_contain_text("退出")
    expect(van.locator("main > *").last).to_contain_text("退出登录")
    driver.shot("driver-me")

    # -- a session ended in another tab: 请重新登录, with the way back --------------------------
    van.goto(driver.server.url + f"/driver/orders/{order_id}")
    other_tab = driver.context.new_page()
    other_tab.goto(driver.server.url + "/driver/me")
    other_tab.get_by_role("button", name="退出登录").click()
    expect(other_tab).to_have_url(re.compile(r"/login"))
    other_tab.close()
    van.locator("input[type=file][capture=environment]").set_input_files(_photo(tmp_path))
    van.get_by_role("button", name=re.compile("上传签收单")).click()
    flash = van.locator("#flash")
    expect(flash).to_contain_text("登录已失效，请重新登录")
    expect(flash).not_to_contain_text("页面已过期")
    again = flash.get_by_role("link", name="去登录")
    expect(again).to_have_attribute("href", f"/login?next=/driver/orders/{order_id}")
    assert _height(again) >= 44
    driver.shot("session-ended-elsewhere")
    again.click()
    van.fill("input[name=phone]", "13800000005")
    van.fill("input[name=password]", "demo1234")
    van.click("button[type=submit]")
    expect(van).to_have_url(re.compile(rf"/driver/orders/{order_id}$"))  # back where it was


def _photo(tmp_path) -> str:
    path = tmp_path / "slip.jpg"
    Image.new("RGB", (600, 800), "white").save(path, "JPEG")
    return str(path)
