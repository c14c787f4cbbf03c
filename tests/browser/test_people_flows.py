"""People and merchants, end to end in the browser:

1. a visitor signs up with an SMS code, adds an address (located by the geocoder), orders from
   椰城小厨 cash on delivery and finds the order in 我的订单;
2. a member applies to open a shop, the operator approves it, the new owner sets the store's
   place in 店铺设置, buyers find it in the mall sorted by distance, and the operator rests it;
3. a wholesale customer signs up through the 海口 manager's QR link, completes the profile the
   gate asks for, customer service approves them with a level, and they see wholesale prices.
"""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import expect
from sqlalchemy import select

from app.extensions import db
from app.notifications.models import SmsMessage
from tests.browser.conftest import DESKTOP
from tests.support.sms import code_sent_to

pytestmark = pytest.mark.browser

APPROVED_SMS = "您的账号已通过审核，请刷新小程序，可获得内部批发价格。"


def photo(tmp_path, name: str, colour: str) -> str:
    """A small JPEG standing in for a photo taken on the phone."""
    image = Image.new("RGB", (640, 480), colour)
    ImageDraw.Draw(image).rectangle((40, 40, 600, 440), outline="white", width=8)
    out = io.BytesIO()
    image.save(out, "JPEG")
    path = tmp_path / name
    path.write_bytes(out.getvalue())
    return str(path)


def sms_rows(server, phone: str, template: str) -> list[SmsMessage]:
    """The SMS log rows for `phone`, newest first, read through the live server's app."""
    with server.app.app_context():
        rows = list(
            db.session.execute(
                select(SmsMessage)
                .where(SmsMessage.phone == phone, SmsMessage.template == template)
                .order_by(SmsMessage.id.desc())
            ).scalars()
        )
        for row in rows:
            db.session.expunge(row)
        db.session.remove()
    return rows


def sign_up(person, phone: str, password: str = "", path: str = "/signup"):
    """注册 with the code the phone got (its SMS is in the log too); lands where a new buyer lands."""
    page = person.page
    page.goto(path if path.startswith("http") else person.server.url + path)
    page.fill("#code-phone", phone)
    page.get_by_role("button", name="获取验证码").click()
    expect(page.locator("#code-form")).to_contain_text(
        f"验证码已发送至 {phone[:3]}****{phone[-4:]}"
    )
    expect(page.get_by_role("button", name=re.compile("秒后重发"))).to_be_disabled()
    person.shot("code-sent")
    # the code as the phone got it (the log provider's inbox): the SMS log row keeps no code
    # once it is sent, only the row itself
    assert sms_rows(person.server, phone, "verify_code")
    code = code_sent_to(phone)
    page.fill("input[name=code]", code)
    if password:
        page.fill("input[name=password]", password)
    page.get_by_role("button", name="注册", exact=True).click()
    expect(page.locator("#flash")).to_contain_text("注册成功")
    return page


def tab(page, name: str):
    """A tab of the storefront's bottom bar."""
    return page.locator("nav.tabbar").get_by_role("link", name=name, exact=True)


def km(text: str) -> float:
    number, unit = text.split()
    return float(number) / (1000 if unit == "m" else 1)


def test_visitor_signs_up_adds_an_address_and_orders(people):
    visitor = people("visitor")
    page = visitor.go("/signup")
    expect(page.locator("h1")).to_have_text("注册")
    visitor.shot("signup")
    sign_up(visitor, "13900000101")
    expect(page).to_have_url(re.compile(r"/shop/$"))
    visitor.shot("signed-up")

    tab(page, "我的").click()
    page.get_by_role("link", name="收货地址").click()
    expect(page.locator("main")).to_contain_text("还没有收货地址")
    page.get_by_role("link", name="新增地址").click()
    page.get_by_label("收货人").fill("林小姐")
    page.get_by_label("联系电话").fill("13900000101")
    page.get_by_label("省份").fill("海南省")
    page.get_by_label("城市").fill("海口市")
    page.get_by_label("区县").fill("美兰区")
    page.get_by_label("详细地址").fill("国兴大道 5 号 3 栋 502")
    visitor.shot("address-form")
    page.get_by_role("button", name="保存").click()
    expect(page.locator("#flash")).to_contain_text("收货地址已保存")
    card = page.locator("article.address")
    expect(card).to_contain_text("林小姐 13900000101")
    expect(card).to_contain_text("海南省海口市美兰区国兴大道 5 号 3 栋 502")
    expect(card).to_contain_text("默认")
    expect(card).not_to_contain_text("未能定位")  # the geocoder placed it
    visitor.shot("address-book")

    page.goto(visitor.server.url + "/shop/?sort=distance")
    expect(page.locator(".mall-origin")).to_contain_text("距离从收货地址算起")
    expect(
        page.locator("article.store-card", has_text="椰城小厨").locator(".distance")
    ).to_have_text(re.compile(r"^\d+(\.\d)? k?m$"))
    visitor.shot("mall-by-distance")
    page.get_by_role("link", name=re.compile("椰城小厨")).click()
    dish = page.locator("article.product", has_text="宫保鸡丁")
    dish.get_by_role("button", name="加入购物车").first.click()
    expect(page.locator("#cart-bar")).to_contain_text("已加入购物车")
    page.get_by_role("link", name="去购物车").click()
    expect(page.locator("main")).to_contain_text("宫保鸡丁")
    page.get_by_role("button", name="去结算").click()
    expect(page.get_by_role("radio", name=re.compile("林小姐"))).to_be_checked()
    page.get_by_label("货到付款").check()
    visitor.shot("checkout")
    page.get_by_role("button", name=re.compile("提交订单")).click()
    expect(page.locator("#flash")).to_contain_text("下单成功，共 1 个订单")
    expect(page).to_have_url(re.compile(r"/shop/orders$"))
    order = page.locator("article.order-card")
    expect(order).to_have_count(1)
    expect(order).to_contain_text("椰城小厨")
    expect(order).to_contain_text("宫保鸡丁")
    visitor.shot("my-orders")
    order.locator("a.block").click()
    expect(page.locator("main")).to_contain_text("等待商家接单")
    expect(page.locator("main")).to_contain_text("国兴大道 5 号 3 栋 502")
    visitor.shot("order")


def test_member_opens_a_shop_that_buyers_find_by_distance(people, tmp_path):
    applicant = people("applicant")
    sign_up(applicant, "13900000102", password="kaidian888")
    page = applicant.page
    tab(page, "我的").click()
    page.get_by_role("link", name="申请开店").click()
    expect(page.locator("textarea.agreement")).to_have_value(re.compile("商家入驻协议"))
    page.get_by_role("button", name="提交申请").click()  # without the agreement: told where
    expect(page.locator("#apply-form")).to_contain_text("请先阅读并同意《商家入驻协议》")
    applicant.shot("apply-refused")
    page.get_by_label("我已阅读并同意《商家入驻协议》").check()
    page.get_by_label("店铺名称").fill("椰风小馆")
    page.get_by_label("经营类目").fill("美食")
    page.get_by_label("同城").check()
    page.get_by_label("联系人").fill("林店主")
    page.get_by_label("联系电话").fill("13900000102")
    page.get_by_label("店铺地址").fill("海口市龙华区国贸路 1 号")
    page.get_by_label("营业执照").set_input_files(photo(tmp_path, "licence.jpg", "#3c78c8"))
    page.get_by_label("店铺简介").fill("椰子鸡、清补凉，现点现做")
    applicant.shot("apply-filled")
    page.get_by_role("button", name="提交申请").click()
    expect(page.locator("#flash")).to_contain_text("申请已提交，请等待平台审核")
    expect(page.locator("#application-status")).to_contain_text("审核中")
    applicant.shot("applied")

    operator = people("operator", DESKTOP)
    ops = operator.login("13800000001")
    ops.goto(operator.server.url + "/platform/applications")
    row = ops.locator("table.grid tbody tr", has_text="椰风小馆")
    expect(row).to_contain_text("13900000102")
    operator.shot("applications")
    row.get_by_role("link", name="审核").click()
    expect(ops.locator(".photos img")).to_have_count(1)
    expect(ops.locator("main")).to_contain_text("海口市龙华区国贸路 1 号")
    operator.shot("application")
    asked = []
    ops.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    ops.get_by_role("button", name="通过并开通店铺").click()
    expect(ops.locator("#flash")).to_contain_text("已通过，店铺“椰风小馆”已开通")
    assert asked and "确定通过该申请吗" in asked[0]
    operator.shot("approved")
    assert any(
        "椰风小馆" in row.text for row in sms_rows(operator.server, "13900000102", "store_approved")
    )

    page.reload()
    expect(page.locator("#application-status")).to_contain_text("已通过")
    applicant.shot("apply-approved")
    page.get_by_role("button", name="进入商家后台").click()
    expect(page).to_have_url(re.compile(r"/store/"))

    owner = people("owner", DESKTOP)
    desk = owner.login("13900000102", "kaidian888")
    expect(desk).to_have_url(re.compile(r"/store/"))
    expect(desk.locator("body")).to_contain_text("椰风小馆")
    owner.shot("store-landing")
    desk.goto(owner.server.url + "/store/settings")
    expect(desk.get_by_label("店铺名称")).to_have_value("椰风小馆")
    expect(desk.locator("#profile-form")).to_contain_text("尚未定位")
    desk.get_by_label("店铺公告").fill("新店开业，全场免配送费")
    desk.evaluate(
        """() => {
            document.querySelector('#store-lat').value = '20.02';
            document.querySelector('#store-lng').value = '110.32';
        }"""
    )
    desk.locator("#profile-form button[type=submit]").click()
    expect(desk.locator("#flash")).to_contain_text("店铺资料已保存")
    expect(desk.locator("#profile-form")).to_contain_text("坐标：20.02, 110.32")
    owner.shot("settings-saved")

    buyer = people("buyer")
    mall = buyer.login("13800000007")
    mall.get_by_role("link", name="距离最近").click()
    expect(mall).to_have_url(re.compile(r"sort=distance"))
    expect(mall.locator(".mall-origin")).to_contain_text("距离从收货地址算起")
    cards = mall.locator("article.store-card")
    new_card = cards.filter(has_text="椰风小馆")
    expect(new_card).to_have_count(1)
    buyer.shot("mall-by-distance")
    names = [name.strip() for name in cards.locator("h2").all_inner_texts()]
    distances = [km(text) for text in cards.locator(".distance").all_inner_texts()]
    assert len(distances) == len(names) >= 5, (names, distances)
    assert distances == sorted(distances), list(zip(names, distances, strict=True))
    # from 海甸岛人民大道 (20.054, 110.330): 糖水铺 0.3 km, 椰城小厨 2.7, 椰风小馆 3.9, ...
    assert names.index("海甸糖水铺") < names.index("椰城小厨") < names.index("椰风小馆")
    store_path = new_card.locator("a.block").get_attribute("href")
    store_id = re.fullmatch(r"/shop/stores/(\d+)", store_path).group(1)

    ops.goto(f"{operator.server.url}/platform/stores/{store_id}")
    expect(ops.locator("#store-detail")).to_contain_text("(20.02, 110.32)")
    ops.get_by_label("改为").select_option(label="休息中")
    ops.get_by_label("原因（营业以外").fill("店主外出进货，暂停营业一天")
    ops.get_by_role("button", name="保存营业状态").click()
    expect(ops.locator("#store-detail")).to_contain_text("营业状态已改为「休息中」")
    expect(ops.locator(".timeline")).to_contain_text("店主外出进货，暂停营业一天")
    operator.shot("store-resting")

    mall.goto(buyer.server.url + store_path)
    expect(mall.locator(".store-closed")).to_contain_text("商家休息中")
    buyer.shot("store-resting")
    mall.goto(buyer.server.url + "/shop/?sort=distance")
    expect(mall.locator("article.store-card", has_text="椰风小馆")).to_have_count(0)


def test_wholesale_customer_signs_up_by_manager_link_and_is_approved(people, tmp_path):
    manager = people("manager")
    sales = manager.login("13800000004")
    sales.goto(manager.server.url + "/sales/qr")
    expect(sales.locator("#referral-qr svg")).to_be_visible()
    link = sales.locator("#referral-link").input_value()
    assert link.endswith("/signup?ref=HKCHEN01"), link
    manager.shot("qr")

    customer = people("customer")
    page = customer.page
    page.goto(link)
    expect(page.locator("#code-form")).to_contain_text("业务经理 陈经理 邀请您注册")
    customer.shot("invited")
    sign_up(customer, "13900000103", path=link)

    tab(page, "我的").click()
    expect(page).to_have_url(re.compile(r"/shop/me/profile$"))
    expect(page.locator("#flash")).to_contain_text("完善资料后可继续访问")
    customer.shot("gate")
    page.get_by_role("button", name="提交审核").click()  # nothing filled in: told what is missing
    expect(page.locator("#profile")).to_contain_text("请填写店铺名称")
    customer.shot("profile-refused")
    page.get_by_label("店门照片").set_input_files(photo(tmp_path, "shop.jpg", "#d65a31"))
    page.get_by_label("营业执照").set_input_files(photo(tmp_path, "licence.jpg", "#3c78c8"))
    page.get_by_label("店铺名称").fill("林记士多")
    page.get_by_label("联系人").fill("林老板")
    expect(page.get_by_label("联系电话")).to_have_value("13900000103")
    page.get_by_label("微信号").fill("lin_shiduo")
    page.get_by_label("店铺地址").fill("海口市龙华区金贸西路 18 号")
    customer.shot("profile-filled")
    page.get_by_role("button", name="提交审核").click()
    expect(page.locator("#flash")).to_contain_text("资料已提交，请等待客服审核")
    expect(page.locator("#member-state")).to_contain_text("资料审核中")
    customer.shot("profile-sent")

    tab(page, "商城").click()
    page.get_by_role("link", name=re.compile("海南批发供应")).click()
    supplier_url = page.url
    juice = page.locator("article.product", has_text="椰子汁")
    expect(juice).to_contain_text("资料审核中，审核通过后可订货")
    expect(page.locator(".price-hidden").first).to_have_text("审核通过后可见")
    customer.shot("supplier-before-approval")

    service = people("service", DESKTOP)
    desk = service.login("13800000002")
    desk.goto(service.server.url + "/platform/members")
    row = desk.locator("table.grid tbody tr", has_text="13900000103")
    expect(row).to_contain_text("林记士多")
    expect(row).to_contain_text("陈经理")
    service.shot("members")
    row.get_by_role("link", name="审核").click()
    expect(desk.locator(".photos img")).to_have_count(2)
    desk.get_by_label("会员等级").select_option(label="银牌会员")
    desk.get_by_label("已核对店门照片、营业执照和联系方式").check()
    service.shot("member-review")
    desk.once("dialog", lambda dialog: dialog.accept())
    desk.get_by_role("button", name="通过审核").click()
    expect(desk.locator("#member-detail")).to_contain_text("已通过审核，会员会收到短信通知")
    expect(desk.locator("#member-detail")).to_contain_text("银牌会员")
    service.shot("member-approved")

    page.goto(supplier_url)
    expect(page.locator(".price-hidden")).to_have_count(0)
    expect(page.locator("main")).not_to_contain_text("审核通过后可见")
    expect(juice).to_contain_text("￥6.50")
    expect(juice.get_by_role("button", name="加入购物车")).to_be_visible()
    customer.shot("supplier-wholesale-prices")
    tab(page, "我的").click()
    expect(page.locator("#member-state")).to_contain_text("已通过审核，会员等级：银牌会员")
    customer.shot("me-approved")

    texts = [row.text for row in sms_rows(customer.server, "13900000103", "member_approved")]
    assert texts == [APPROVED_SMS]
