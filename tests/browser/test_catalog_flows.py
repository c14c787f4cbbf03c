"""Catalog flows (SPEC §3, §4): the supplier publishes a product with specs, member-level prices
and a pack size → the platform reviews it → a visitor sees no wholesale price, a 金牌 member the
gold price in whole packs; a buyer finds a product by search, orders it, reviews it once the order
is complete, and the store's reply shows on the product page."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import expect
from sqlalchemy import select

from app.accounts.models import User
from app.catalog.models import Product
from app.extensions import db
from tests.browser.conftest import DESKTOP

pytestmark = pytest.mark.browser

NAME = "好商鲜榨芒果汁"


def photo(tmp_path, name: str, colour: tuple[int, int, int]) -> str:
    """A JPEG a phone could have taken: a coloured field with a bottle-ish shape."""
    image = Image.new("RGB", (800, 800), colour)
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((300, 160, 500, 700), radius=40, fill=(255, 200, 40), outline="white")
    draw.rectangle((360, 90, 440, 160), fill="white")
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    path = tmp_path / name
    path.write_bytes(out.getvalue())
    return str(path)


def lookup(server, model, **where) -> int:
    """The id of the one row that matches, read from the live app's database."""
    with server.app.app_context():
        row_id = db.session.execute(select(model.id).filter_by(**where)).scalar_one()
        db.session.remove()
        return row_id


def switch_to_supplier(page):
    page.locator("details.switcher summary").click()
    page.get_by_role("button", name=re.compile("海南批发供应")).click()
    page.wait_for_load_state("networkidle")
    expect(page.locator("details.switcher summary")).to_be_visible()


def test_supplier_publishes_a_reviewed_product_with_member_prices_and_packs(people, tmp_path):
    operator = people("platform", DESKTOP)
    ops = operator.login("13800000001")
    ops.goto(operator.server.url + "/platform/catalog/settings")
    ops.locator("label.choice", has_text="开启：").click()
    ops.get_by_role("button", name="保存").click()
    expect(ops.locator("main")).to_contain_text("商品审核已开启")
    expect(ops.locator("main")).to_contain_text("已开启")
    operator.shot("audit-on")

    supplier = people("supplier", DESKTOP)
    desk = supplier.login("13800000003")
    switch_to_supplier(desk)
    desk.goto(supplier.server.url + "/store/products/new")
    desk.get_by_label("商品标题").fill(NAME)
    desk.get_by_label("商品分类").select_option(label="食品饮料 / 饮料 / 果汁")
    expect(desk.locator("#category-params")).to_contain_text("产地")
    desk.locator("#category-params").get_by_label("产地").fill("海南三亚")
    desk.get_by_label("单位").select_option(label="瓶")
    desk.get_by_label("包装").fill("12瓶/箱")
    desk.locator("input[name=images]").set_input_files(photo(tmp_path, "mango.jpg", (250, 170, 60)))
    for value in ("原味", "无糖", "1L"):
        desk.get_by_label(value, exact=True).check()
    desk.get_by_role("button", name="生成规格").click()
    rows = desk.locator("#sku-matrix tbody tr")
    expect(rows).to_have_count(2)
    for spec, price, gold in (("原味", "10.00", "8.50"), ("无糖", "11.00", "9.50")):
        row = rows.filter(has_text=spec)
        expect(row).to_contain_text("1L")
        row.get_by_label("价格", exact=True).fill(price)
        row.get_by_label("金牌会员", exact=True).fill(gold)
        row.get_by_label("库存").fill("600")
    desk.get_by_label("商品详情", exact=True).fill("当季芒果鲜榨，整箱 12 瓶批发。")
    supplier.shot("product-form")
    desk.get_by_role("button", name="提交审核").click()
    expect(desk.locator("main")).to_contain_text("商品已提交审核")
    expect(desk.locator("main")).to_contain_text(NAME)
    supplier.shot("product-submitted")

    product_id = lookup(supplier.server, Product, name=NAME)
    visitor = people("visitor")
    response = visitor.page.goto(visitor.server.url + f"/shop/products/{product_id}")
    assert response.status == 404  # not on sale before the platform approves it

    ops.goto(operator.server.url + "/platform/products?tab=pending")
    expect(ops.locator("nav.tabs a.active")).to_contain_text("待审核")
    row = ops.locator("#products-table tbody tr", has_text=NAME)
    expect(row).to_contain_text("海南批发供应")
    expect(row).to_contain_text("待审核")
    operator.shot("review-queue")
    row.get_by_role("link", name=NAME).click()
    detail = ops.locator("#product-detail")
    expect(detail).to_contain_text("金牌会员 ￥8.50")
    expect(detail).to_contain_text("12瓶/箱")
    expect(detail.locator(".photos img")).to_have_count(1)
    operator.shot("product-to-approve")
    asked: list[str] = []
    ops.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    ops.get_by_role("button", name="通过审核").click()
    expect(detail).to_contain_text("已审核通过")
    expect(detail).to_contain_text("已上架")
    assert asked == ["确认审核通过？"]
    operator.shot("approved")

    shop = visitor.go(f"/shop/products/{product_id}")
    buy = shop.locator("#buy")
    expect(shop.locator(".gallery img")).to_have_count(1)
    expect(buy).to_contain_text("登录后可见")
    expect(buy).not_to_contain_text("￥")
    expect(buy).to_contain_text("包装 12瓶/箱")
    expect(buy.get_by_role("link", name="登录后购买")).to_be_visible()
    visitor.shot("no-price-for-visitor")

    buyer = people("buyer")
    page = buyer.login("13800000007")
    page.goto(buyer.server.url + f"/shop/products/{product_id}")
    buy = page.locator("#buy")
    expect(buy).to_contain_text("￥10.00")  # 普通会员: the base price
    member_id = lookup(buyer.server, User, phone="13800000007")

    service = people("service", DESKTOP)
    desk_cs = service.login("13800000002")
    desk_cs.goto(service.server.url + f"/platform/members/{member_id}")
    level_form = desk_cs.locator("form", has=desk_cs.locator("select[name=level_id]"))
    level_form.locator("select[name=level_id]").select_option(label="金牌会员")
    level_form.get_by_role("button", name="保存").click()
    expect(desk_cs.locator("#member-detail")).to_contain_text("会员等级已更新")
    expect(desk_cs.locator("#member-detail")).to_contain_text("金牌会员")
    service.shot("member-made-gold")

    page.reload()
    expect(buy).to_contain_text("￥8.50")
    expect(buy).to_contain_text("按 12 的整数倍订购")
    buy.locator("input[name=quantity]").fill("13")
    buy.get_by_role("button", name="订货").click()
    expect(page.locator("#cart-bar")).to_contain_text(
        "须按 12 的整数倍订购，已调整为 24，并加入购物车"
    )
    expect(page.locator("#cart-bar")).to_contain_text("￥204.00")  # 24 × 8.50
    buyer.shot("gold-price-whole-packs")
    page.goto(buyer.server.url + "/shop/cart")
    line = page.locator(".cart-line", has_text=NAME)
    expect(line).to_contain_text("原味")
    expect(line.locator("input[type=number][name=quantity]")).to_have_value("24")
    expect(line).to_contain_text("￥8.50/瓶")
    expect(line).to_contain_text("￥204.00")
    buyer.shot("cart")


def test_buyer_searches_orders_reviews_and_sees_the_store_reply(people, tmp_path):
    buyer = people("buyer")
    page = buyer.login("13800000007")
    page.goto(buyer.server.url + "/shop/")
    page.get_by_role("searchbox", name="搜索商品").fill("椰子")
    page.get_by_role("button", name="搜索").click()
    card = page.locator("article.product-card", has_text="椰子汁")
    expect(card).to_be_visible()
    expect(card.locator("img.product-thumb")).to_be_visible()
    buyer.shot("search-results")
    card.get_by_role("link").click()
    expect(page.locator("h2").first).to_have_text("椰子汁")
    product_url = page.url
    expect(page.locator("#reviews")).to_contain_text("暂无评价")
    page.get_by_role("button", name="订货").click()
    expect(page.locator("#cart-bar")).to_contain_text("已加入购物车")
    buyer.shot("product-ordered")
    page.goto(buyer.server.url + "/shop/checkout")
    page.get_by_label("货到付款").check()
    page.get_by_role("button", name=re.compile("提交订单")).click()
    expect(page.locator("#flash")).to_contain_text("下单成功")
    page.locator("main a.block").first.click()
    order_url = page.url
    expect(page.locator("main")).to_contain_text("等待业务经理确认中")
    expect(page.get_by_role("link", name="评价")).to_have_count(0)  # not before completion

    manager = people("manager")
    phone = manager.login("13800000004")
    phone.locator("main a.block").first.click()
    phone.get_by_role("button", name="确认订单").click()
    expect(phone.locator("#flash")).to_contain_text("已移到“待发货”")  # where the order went
    phone.locator("main a.block").first.click()
    driver_choice = phone.locator("select[name=driver_id] option", has_text="刘师傅")
    phone.locator("select[name=driver_id]").select_option(driver_choice.get_attribute("value"))
    phone.get_by_role("button", name="指派司机").last.click()
    expect(phone.locator("#flash")).to_contain_text("已指派司机")

    driver = people("driver")
    van = driver.login("13800000005")
    van.locator("main a.block").first.click()
    van.locator("input[type=file][capture=environment]").set_input_files(
        photo(tmp_path, "slip.jpg", (255, 255, 255))
    )
    van.get_by_role("button", name=re.compile("上传签收单")).click()
    expect(van.locator("#flash")).to_contain_text("订单已完成")

    page.goto(order_url)
    expect(page.locator("main")).to_contain_text("已收货")
    page.get_by_role("link", name="评价").click()
    expect(page.locator("main")).to_contain_text("椰子汁")
    page.locator("label.choice", has_text="5 星").click()
    page.get_by_label("评价内容").fill("椰子汁很新鲜，整箱送到店里，司机师傅很准时。")
    page.locator("input[name=photos]").set_input_files(
        photo(tmp_path, "review.jpg", (240, 235, 220))
    )
    buyer.shot("review-form")
    page.get_by_role("button", name="提交评价").click()
    expect(page.locator("#flash")).to_contain_text("评价成功，感谢您的分享")
    expect(page.get_by_role("link", name="已评价")).to_be_visible()
    buyer.shot("order-reviewed")

    page.goto(product_url)
    reviews = page.locator("#reviews")
    expect(reviews).to_contain_text("椰子汁很新鲜")
    expect(reviews.locator(".stars").first).to_have_attribute("aria-label", "5 星")
    expect(reviews.locator(".photos img")).to_have_count(1)
    buyer.shot("review-on-product-page")

    store = people("store", DESKTOP)
    desk = store.login("13800000003")
    switch_to_supplier(desk)
    desk.goto(store.server.url + "/store/reviews")
    row = desk.locator("#reviews-table tbody tr", has_text="椰子汁很新鲜")
    expect(row.locator(".photos img")).to_have_count(1)
    row.get_by_label("回复内容").fill("感谢周老板支持，下次订货给您安排最新一批！")
    row.get_by_role("button", name="提交回复").click()
    row = desk.locator("#reviews-table tbody tr", has_text="椰子汁很新鲜")
    expect(row).to_contain_text("回复于")
    store.shot("store-replied")

    page.reload()
    expect(reviews).to_contain_text("商家回复：感谢周老板支持，下次订货给您安排最新一批！")
    buyer.shot("reply-on-product-page")
