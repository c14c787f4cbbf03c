"""Walking skeleton b (SPEC §7): a 海口 member orders from the supplier → the 海口 manager gets the
SMS, confirms and assigns the driver → the driver calls, copies the address and uploads the signed
slip from the camera input → the manager sees 已送达, the customer 已收货 with driver details."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP

pytestmark = pytest.mark.browser


def slip_photo(tmp_path) -> str:
    image = Image.new("RGB", (900, 1200), "white")
    ImageDraw.Draw(image).rectangle((80, 900, 820, 1100), outline="black", width=6)
    path = tmp_path / "signed-slip.jpg"
    out = io.BytesIO()
    image.save(out, "JPEG")
    path.write_bytes(out.getvalue())
    return str(path)


def test_wholesale_order_is_confirmed_driven_and_signed_for(people, tmp_path):
    buyer = people("buyer")
    page = buyer.login("13800000007")
    page.get_by_role("link", name=re.compile("海南批发供应")).click()
    juice = page.locator("article.product", has_text="椰子汁")
    expect(juice).to_contain_text("12瓶/箱")
    expect(juice).to_contain_text("起订 12")
    juice.get_by_role("button", name="增加").click()  # one more case: 24 bottles
    expect(juice.locator("input[name=quantity]")).to_have_value("24")
    juice.get_by_role("button", name="加入购物车").click()
    expect(page.locator("#cart-bar")).to_contain_text("已加入购物车")
    buyer.shot("supplier-page")
    page.goto(buyer.server.url + "/shop/checkout")
    page.get_by_label("货到付款").check()
    page.get_by_role("button", name=re.compile("提交订单")).click()
    expect(page.locator("#flash")).to_contain_text("下单成功")
    page.locator("main a.block").first.click()
    order_url = page.url
    expect(page.locator("main")).to_contain_text("等待业务经理确认中")
    buyer.shot("waiting-for-manager")

    operator = people("platform", DESKTOP)
    ops = operator.login("13800000001")
    ops.goto(operator.server.url + "/platform/sms")
    sms_row = ops.locator("table.grid tbody tr", has_text="13800000004").first
    # the count includes the demo's orders already waiting for him (a bank transfer, a 月结)
    expect(sms_row).to_contain_text(re.compile(r"有新订单\d+，请尽快登录小程序业务管理查看处理。"))
    operator.shot("manager-sms-in-log")

    manager = people("manager")
    phone = manager.login("13800000004")
    expect(phone.locator("header")).to_contain_text("业务端")
    phone.locator("main a.block").first.click()
    manager.shot("order-to-confirm")
    phone.get_by_role("button", name="确认订单").click()
    expect(phone.locator("#flash")).to_contain_text("已移到“待发货”")  # where the order went
    phone.locator("main a.block").first.click()
    driver_choice = phone.locator("select[name=driver_id] option", has_text="刘师傅")
    phone.locator("select[name=driver_id]").select_option(driver_choice.get_attribute("value"))
    phone.get_by_role("button", name="指派司机").last.click()
    expect(phone.locator("#flash")).to_contain_text("已指派司机")
    expect(phone.locator(".person")).to_contain_text("车牌：琼A·D1234")
    manager.shot("driver-assigned")

    driver = people("driver")
    van = driver.login("13800000005")
    expect(van.locator("header")).to_contain_text("司机端")
    van.locator("main a.block").first.click()
    expect(van.locator("a.tel")).to_have_attribute("href", "tel:13800000007")
    expect(van.locator("#address")).to_have_text(re.compile("海甸岛人民大道 58 号"))
    expect(van.get_by_role("link", name="高德地图导航")).to_have_attribute(
        "href", re.compile("amap")
    )
    driver.shot("delivery-page")
    van.locator("input[type=file][capture=environment]").set_input_files(slip_photo(tmp_path))
    van.get_by_role("button", name=re.compile("上传签收单")).click()
    expect(van.locator("#flash")).to_contain_text("已上传 1 张签收单，订单已完成")
    expect(van.locator(".photos img")).to_have_count(1)
    driver.shot("slip-uploaded")

    phone.goto(manager.server.url + "/sales/?tab=completed")
    expect(phone.locator("main")).to_contain_text("已送达")
    manager.shot("manager-sees-delivered")

    page.goto(order_url)
    main = page.locator("main")
    for detail in ("已收货", "刘师傅", "13800000005", "琼A·D1234"):
        expect(main).to_contain_text(detail)
    buyer.shot("customer-sees-received")
