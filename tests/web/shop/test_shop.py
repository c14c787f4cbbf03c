"""The buyer's storefront: browse, cart, checkout into one order per store, follow the order."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.accounts.models import Address, Member, MemberStatus, Role
from app.catalog.models import Sku
from app.clock import utcnow
from app.delivery.services import grab_task, ship_with_assistant
from app.extensions import db
from app.jobs import commit
from app.ordering.cart import add_to_cart
from app.ordering.models import CartItem, Order
from app.ordering.states import OrderStatus
from app.stores.models import BusinessStatus, StoreKind
from app.wholesale.services import confirm_order, ship_other_way
from tests.factories import (
    actor_of,
    make_buyer,
    make_product,
    make_region,
    make_store,
    make_user,
    place_order,
)

HX = {"HX-Request": "true"}


@pytest.fixture
def buyer(app, login):
    user = make_buyer()
    commit()
    login(user)
    return user


def cart_of(user) -> list[CartItem]:
    return list(db.session.execute(select(CartItem).filter_by(user_id=user.id)).scalars())


def orders_of(user) -> list[Order]:
    return list(db.session.execute(select(Order).filter_by(buyer_id=user.id)).scalars())


# --- mall and store pages -------------------------------------------------------------------


def test_mall_lists_open_stores_and_hides_the_others(client, app):
    make_store(name="椰城小厨", category="美食", intro="海南家常菜", delivery_fee_fen=300)
    make_store(name="休息的店", business_status=BusinessStatus.RESTING)
    make_store(name="关闭的店", business_status=BusinessStatus.SHUT)
    commit()

    page = client.get("/shop/").get_data(as_text=True)

    assert "椰城小厨" in page and "海南家常菜" in page and "￥3.00" in page
    assert "休息的店" not in page and "关闭的店" not in page


def test_visitor_sees_products_and_is_asked_to_log_in_to_buy(client, app):
    store = make_store()
    make_product(store, "海南鸡饭")
    commit()

    page = client.get(f"/shop/stores/{store.id}").get_data(as_text=True)

    assert "海南鸡饭" in page
    assert "登录后购买" in page
    assert "加入购物车" not in page


def test_store_page_steps_the_quantity_by_the_pack_size(client, login):
    login(make_buyer(region=make_region()))  # an approved wholesale member may buy here
    store = make_store(kind=StoreKind.WHOLESALE)
    product = make_product(store, "椰子汁 1L", price_fen=650, min_order_qty=12)
    product.pack_unit = "12瓶/箱"
    commit()

    page = client.get(f"/shop/stores/{store.id}").get_data(as_text=True)

    assert "12瓶/箱" in page and "起订 12" in page
    assert re.search(r'name="quantity" value="12" min="12" step="12"', page)


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (BusinessStatus.RESTING, "商家休息中"),
        (BusinessStatus.CLOSED_TODAY, "该商户已打烊，看看其他吧"),
        (BusinessStatus.SHUT, "该商户已关闭，看看其他吧"),
    ],
)
def test_store_that_is_not_open_says_so_and_sells_nothing(client, buyer, status, message):
    store = make_store(business_status=status)
    make_product(store, "清补凉")
    commit()

    page = client.get(f"/shop/stores/{store.id}").get_data(as_text=True)

    assert message in page
    assert "加入购物车" not in page


def test_unknown_store_is_404(client, app):
    assert client.get("/shop/stores/999").status_code == 404


# --- cart -----------------------------------------------------------------------------------


def test_add_to_cart_then_the_cart_shows_the_line_and_total(client, buyer):
    store = make_store(name="椰城小厨", delivery_fee_fen=300)
    product = make_product(store, "宫保鸡丁", price_fen=3200)
    commit()

    response = client.post("/shop/cart/add", data={"sku_id": product.skus[0].id, "quantity": 2})
    assert response.status_code == 303
    page = client.get("/shop/cart").get_data(as_text=True)

    assert "宫保鸡丁" in page and "椰城小厨" in page
    assert "￥67.00" in page  # 2 × 32.00 + 3.00 delivery


def test_add_to_cart_with_htmx_answers_only_the_cart_bar(client, buyer):
    product = make_product(make_store(), price_fen=1000)
    commit()

    response = client.post(
        "/shop/cart/add", data={"sku_id": product.skus[0].id, "quantity": 3}, headers=HX
    )
    html = response.get_data(as_text=True)

    assert response.status_code == 200
    assert "<html" not in html
    assert 'id="cart-bar"' in html and "已加入购物车" in html and "￥30.00" in html


def test_quantity_off_the_pack_size_is_refused_with_the_rule(client, buyer):
    product = make_product(make_store(), "矿泉水", min_order_qty=24)
    commit()

    response = client.post(
        "/shop/cart/add", data={"sku_id": product.skus[0].id, "quantity": 10}, headers=HX
    )

    assert response.status_code == 422
    assert "须按 24 的整数倍订购" in response.get_data(as_text=True)
    assert cart_of(buyer) == []


def test_wholesale_goods_are_refused_to_a_buyer_who_is_not_an_approved_member(client, buyer):
    product = make_product(make_store(kind=StoreKind.WHOLESALE), min_order_qty=12)
    commit()

    response = client.post(
        "/shop/cart/add", data={"sku_id": product.skus[0].id, "quantity": 12}, headers=HX
    )

    assert response.status_code == 409
    assert "批发商品仅对已审核会员开放" in response.get_data(as_text=True)


def test_setting_a_cart_line_to_zero_removes_it(client, buyer):
    product = make_product(make_store(), "椰子饭")
    line = add_to_cart(buyer.id, product.skus[0].id, 1)
    commit()

    response = client.post(f"/shop/cart/{line.id}", data={"quantity": 0}, headers=HX)

    assert response.status_code == 200
    assert "购物车是空的" in response.get_data(as_text=True)
    assert cart_of(buyer) == []


def test_buyer_cannot_change_another_buyers_cart_line(client, buyer):
    other = make_buyer()
    line = add_to_cart(other.id, make_product(make_store()).skus[0].id, 1)
    commit()

    response = client.post(f"/shop/cart/{line.id}", data={"quantity": 5}, headers=HX)

    assert response.status_code == 422
    db.session.refresh(line)
    assert line.quantity == 1


def test_visitor_is_sent_to_log_in_before_the_cart(client, app):
    response = client.get("/shop/cart")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


# --- checkout -------------------------------------------------------------------------------


def test_checkout_splits_a_two_store_cart_into_two_orders(client, buyer):
    kitchen, bakery = make_store(name="椰城小厨"), make_store(name="面包坊")
    rice = make_product(kitchen, "海南鸡饭")
    bread = make_product(bakery, "椰子包")
    add_to_cart(buyer.id, rice.skus[0].id, 1)
    add_to_cart(buyer.id, bread.skus[0].id, 2)
    commit()

    response = client.post(
        "/shop/checkout",
        data={
            "address_id": buyer_address_id(client),
            "payment_method": "cod",
            f"remark_{kitchen.id}": "少放辣",
            f"remark_{bakery.id}": "",
        },
        follow_redirects=True,
    )

    assert "下单成功，共 2 个订单" in response.get_data(as_text=True)
    orders = {order.store_id: order for order in orders_of(buyer)}
    assert set(orders) == {kitchen.id, bakery.id}
    assert orders[kitchen.id].buyer_remark == "少放辣"
    assert cart_of(buyer) == []


def buyer_address_id(client) -> int:
    """The address the checkout page preselects: the buyer's default one."""
    page = client.get("/shop/checkout").get_data(as_text=True)
    return int(re.search(r'name="address_id" value="(\d+)" checked', page).group(1))


def test_checkout_reserves_the_stock(client, buyer):
    product = make_product(make_store(), stock=5)
    add_to_cart(buyer.id, product.skus[0].id, 3)
    commit()

    client.post(
        "/shop/checkout",
        data={"address_id": buyer_address_id(client), "payment_method": "cod"},
    )

    assert db.session.get(Sku, product.skus[0].id).stock == 2


def test_checkout_refuses_when_stock_ran_short_and_keeps_the_cart(client, buyer):
    product = make_product(make_store(), "清补凉", stock=5)
    add_to_cart(buyer.id, product.skus[0].id, 3)
    commit()
    address_id = buyer_address_id(client)
    product.skus[0].stock = 2  # somebody else bought in the meantime
    commit()

    response = client.post(
        "/shop/checkout",
        data={"address_id": address_id, "payment_method": "cod"},
        headers={"Referer": "/shop/checkout"},
        follow_redirects=True,
    )

    assert "「清补凉 标准」库存不足" in response.get_data(as_text=True)
    assert orders_of(buyer) == []
    assert db.session.get(Sku, product.skus[0].id).stock == 2
    assert len(cart_of(buyer)) == 1


def test_same_city_store_refuses_a_method_other_than_cash_on_delivery(client, buyer):
    store = make_store(name="椰城小厨")
    add_to_cart(buyer.id, make_product(store).skus[0].id, 1)
    commit()

    response = client.post(
        "/shop/checkout",
        data={"address_id": buyer_address_id(client), "payment_method": "bank_transfer"},
        headers=HX,
    )

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "请选择支付方式" in page  # bank transfer is not even offered
    assert 'value="bank_transfer"' not in page and 'value="cod"' in page
    assert orders_of(buyer) == []


def test_a_same_city_cart_offers_only_what_the_store_accepts(client, buyer):
    add_to_cart(buyer.id, make_product(make_store(name="椰城小厨")).skus[0].id, 1)
    commit()

    page = client.get("/shop/checkout").get_data(as_text=True)

    offered = re.findall(r'name="payment_method"[^>]*value="(\w+)"', page)
    assert offered == ["online", "cod"]  # a same-city store takes nothing offline but cash


def test_checkout_without_an_address_rerenders_the_form_with_422(client, buyer):
    add_to_cart(buyer.id, make_product(make_store()).skus[0].id, 1)
    commit()

    response = client.post("/shop/checkout", data={"payment_method": "cod"})

    assert response.status_code == 422
    assert "请选择收货地址" in response.get_data(as_text=True)
    assert orders_of(buyer) == []


def test_checkout_refuses_someone_elses_address(client, buyer):
    other = make_buyer()
    add_to_cart(buyer.id, make_product(make_store()).skus[0].id, 1)
    commit()
    foreign = db.session.execute(select(Address).filter_by(user_id=other.id)).scalar_one()

    response = client.post(
        "/shop/checkout", data={"address_id": foreign.id, "payment_method": "cod"}
    )

    assert response.status_code == 422
    assert orders_of(buyer) == []


# --- order centre ---------------------------------------------------------------------------


def test_order_list_shows_newest_first_in_the_buyers_words(client, buyer):
    store = make_store(name="椰城小厨")
    place_order(buyer, make_product(store, "海南鸡饭"))
    place_order(buyer, make_product(store, "椰子饭"))

    page = client.get("/shop/orders").get_data(as_text=True)

    assert page.index("椰子饭") < page.index("海南鸡饭")
    assert "商家备货中" in page


def test_buyer_cannot_open_another_buyers_order(client, buyer):
    order = place_order(make_buyer(), make_product(make_store()))

    assert client.get(f"/shop/orders/{order.no}").status_code == 404
    assert client.post(f"/shop/orders/{order.no}/receive").status_code == 404


def test_order_status_poll_returns_the_status_block_with_the_rider(client, buyer):
    store = make_store()
    owner = make_user(Role.STORE_STAFF, store=store)
    order = place_order(buyer, make_product(store))
    task = ship_with_assistant(order, actor_of(owner))
    commit()
    grab_task(task, actor_of(make_user(Role.RIDER, name="赵骑手", phone="13912345678")))
    commit()

    response = client.get(f"/shop/orders/{order.no}", headers=HX)
    html = response.get_data(as_text=True)

    assert "<html" not in html
    assert 'hx-trigger="every 5s"' in html
    assert "赵骑手" in html and "13912345678" in html and "已接单" in html
    assert "确认收货" not in html  # the rider's 已送达 completes it


def test_rider_delivered_order_cannot_be_confirmed_by_the_buyer(client, buyer):
    store = make_store()
    order = place_order(buyer, make_product(store))
    ship_with_assistant(order, actor_of(make_user(Role.STORE_STAFF, store=store)))
    commit()

    response = client.post(f"/shop/orders/{order.no}/receive", data={"confirm": "yes"}, headers=HX)

    assert response.status_code == 409
    db.session.refresh(order)
    assert order.status == OrderStatus.SHIPPED


def wholesale_order_shipped_by_express(buyer_user):
    region = make_region()
    db.session.add(Member(user_id=buyer_user.id, region_id=region.id, status=MemberStatus.APPROVED))
    store = make_store(kind=StoreKind.WHOLESALE)
    manager = make_user(Role.SALES_MANAGER, region=region)
    order = place_order(buyer_user, make_product(store, "椰子汁", min_order_qty=12), 12)
    confirm_order(order, actor_of(manager))
    ship_other_way(order, "express", "顺丰 SF123", actor_of(manager))
    commit()
    return order


def test_buyer_confirms_receipt_of_an_order_shipped_by_express(client, buyer):
    order = wholesale_order_shipped_by_express(buyer)

    page = client.get(f"/shop/orders/{order.no}").get_data(as_text=True)
    assert "确认收货" in page

    response = client.post(
        f"/shop/orders/{order.no}/receive", data={"confirm": "yes"}, follow_redirects=True
    )

    assert "已确认收货" in response.get_data(as_text=True)
    db.session.refresh(order)
    assert order.status == OrderStatus.COMPLETED
    assert "已收货" in client.get("/shop/orders").get_data(as_text=True)


def test_order_centre_warns_when_the_store_has_shut_down(client, buyer):
    store = make_store()
    place_order(buyer, make_product(store))
    store.business_status = BusinessStatus.SHUT
    commit()

    page = client.get("/shop/orders").get_data(as_text=True)

    assert "该商户已关闭，若已付款，请联系商家处理" in page


def test_a_deleted_store_is_gone_for_buyers(client, buyer):
    store = make_store(name="旧店")
    make_product(store, "清补凉")
    store.deleted_at = utcnow()
    commit()

    assert client.get(f"/shop/stores/{store.id}").status_code == 404
    assert "旧店" not in client.get("/shop/").get_data(as_text=True)


def test_the_store_page_shows_its_announcement_and_rating(client, buyer):
    store = make_store(name="椰城小厨", announcement="新店开业，全场免配送费", rating=4)
    make_product(store, "清补凉")
    commit()

    page = client.get(f"/shop/stores/{store.id}").get_data(as_text=True)

    assert "新店开业，全场免配送费" in page
    assert "★★★★☆" in page
