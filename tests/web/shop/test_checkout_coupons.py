"""Checking out with coupons, points and delivery options: the server prices everything, the
buyer reads any problem at the top of the form, and nothing is created when it is refused."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.clock import travel
from app.extensions import db
from app.jobs import commit
from app.ordering.cart import add_to_cart
from app.ordering.models import CartItem, Checkout, Order
from app.promotions.coupons import claim
from app.promotions.models import UserCoupon
from tests.factories import make_buyer, make_product, make_store
from tests.unit.promotions.helpers import make_coupon

HX = {"HX-Request": "true"}


@pytest.fixture
def buyer(app, login):
    user = make_buyer()
    commit()
    login(user)
    return user


def form_of(client) -> dict[str, str]:
    """What the drawn checkout form would send as it stands (inputs and selected options)."""
    page = client.get("/shop/checkout").get_data(as_text=True)
    data = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', page))
    address = re.search(r'name="address_id" value="(\d+)"', page)
    data["address_id"] = address.group(1)
    data["payment_method"] = "online"
    for select_html in re.findall(r'<select name="(\w+)">(.*?)</select>', page, re.S):
        name, options = select_html
        chosen = re.search(r'<option value="([^"]*)" selected', options)
        data[name] = chosen.group(1) if chosen else "0"
    return data


def orders() -> list[Order]:
    return list(db.session.execute(select(Order).order_by(Order.id)).scalars())


def test_a_platform_coupon_splits_twenty_thirty_fifty_into_eighteen_twenty_seven_forty_five(
    client, buyer
):
    stores = [make_store(name=f"店{n}", delivery_fee_fen=0) for n in range(3)]
    for store, price in zip(stores, (2000, 3000, 5000), strict=True):
        add_to_cart(buyer.id, make_product(store, price_fen=price).skus[0].id, 1)
    held = claim(buyer.id, make_coupon(threshold_fen=0, discount_fen=1000))
    commit()

    data = form_of(client) | {"platform_coupon_id": str(held.id), "store_ids": "tampered"}
    response = client.post("/shop/checkout", data=data)

    assert response.status_code == 303
    assert [o.total_fen for o in orders()] == [1800, 2700, 4500]
    assert [o.platform_discount_fen for o in orders()] == [200, 300, 500]
    assert [o.items[0].discount_fen for o in orders()] == [200, 300, 500]
    checkout = db.session.execute(select(Checkout)).scalar_one()
    assert (checkout.total_fen, checkout.platform_coupon_id) == (9000, held.id)
    assert db.session.get(UserCoupon, held.id).used_at is not None


def test_each_order_of_a_checkout_has_its_own_number_from_the_checkout(client, buyer):
    """Numbers come from the checkout's row and the order's place in it, not from chance: a
    busy second can never hand two orders the same number."""
    for n in range(3):
        add_to_cart(buyer.id, make_product(make_store(name=f"号{n}")).skus[0].id, 1)
    commit()

    assert client.post("/shop/checkout", data=form_of(client)).status_code == 303

    checkout = db.session.execute(select(Checkout)).scalar_one()
    numbers = [o.no for o in orders()]
    assert len(set(numbers)) == 3
    assert [no[-8:] for no in numbers] == [f"{checkout.id % 10**6:06d}{i:02d}" for i in range(3)]
    assert all(len(no) == 22 and no.isdigit() for no in numbers)


def test_the_page_offers_the_usable_coupons_and_says_why_the_others_do_not_fit(client, buyer):
    store = make_store(name="椰城小厨")
    other = make_store(name="别家小店")
    add_to_cart(buyer.id, make_product(store, price_fen=6000).skus[0].id, 1)
    claim(buyer.id, make_coupon(store, threshold_fen=5000, discount_fen=500, name="满50减5"))
    claim(buyer.id, make_coupon(store, threshold_fen=10_000, discount_fen=900, name="满100减9"))
    claim(buyer.id, make_coupon(other, threshold_fen=0, discount_fen=100, name="别家券"))
    claim(buyer.id, make_coupon(threshold_fen=0, discount_fen=300, name="无门槛"))
    commit()

    page = client.get("/shop/checkout").get_data(as_text=True)

    assert re.search(r"selected>\s*满50减5", page)  # the best usable one is chosen
    assert re.search(r"disabled>\s*满100减9.*（未满 ￥100.00）", page)
    assert "仅限「别家小店」" in page
    # ￥60 − ￥5 store coupon − ￥3 platform coupon
    assert re.search(r'checkout-total">￥52.00', page)


def test_tampered_prices_and_totals_in_the_form_change_nothing(client, buyer):
    product = make_product(make_store(delivery_fee_fen=500), price_fen=1200)
    add_to_cart(buyer.id, product.skus[0].id, 2)
    commit()
    data = form_of(client) | {
        "payment_method": "cod",
        "total_fen": "1",
        "unit_price_fen": "1",
        "goods_fen": "1",
        "discount_fen": "99999",
    }
    assert client.post("/shop/checkout", data=data).status_code == 303
    [order] = orders()
    assert (order.goods_fen, order.delivery_fee_fen, order.total_fen) == (2400, 500, 2900)
    assert order.items[0].unit_price_fen == 1200


@pytest.mark.parametrize(
    "case, message",
    [
        ("below", "未满 ￥100.00"),
        ("expired", "已过期"),
        ("early", "未到使用时间"),
        ("someone_else", "这张优惠券不属于您"),
        ("garbage", "请选择有效的优惠券"),
    ],
)
def test_a_coupon_that_cannot_be_used_is_refused_at_the_top_and_nothing_is_placed(
    client, buyer, case, message
):
    add_to_cart(buyer.id, make_product(make_store(), price_fen=5000).skus[0].id, 1)
    owner = make_buyer() if case == "someone_else" else buyer
    early = timedelta(days=2) if case == "early" else None
    coupon = make_coupon(threshold_fen=10_000, discount_fen=500, days=1, starts_in=early)
    if case in ("expired", "someone_else", "early"):
        coupon.threshold_fen = 0
    held = claim(owner.id, coupon)
    commit()
    data = form_of(client) | {"platform_coupon_id": "x" if case == "garbage" else str(held.id)}

    if case == "expired":
        with travel(timedelta(days=1, minutes=1)):
            response = client.post("/shop/checkout", data=data, headers=HX)
    else:
        response = client.post("/shop/checkout", data=data, headers=HX)

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    errors = re.search(r'<div id="checkout-errors"[^>]*autofocus>(.*?)</div>', page, re.S)
    assert errors and message in errors.group(1)
    assert orders() == []
    assert db.session.execute(select(func.count(CartItem.id))).scalar_one() == 1
    assert db.session.get(UserCoupon, held.id).used_at is None


def test_a_store_coupon_of_another_store_is_refused(client, buyer):
    here, other = make_store(), make_store(name="别家小店")
    add_to_cart(buyer.id, make_product(here, price_fen=9000).skus[0].id, 1)
    held = claim(buyer.id, make_coupon(other, threshold_fen=0, discount_fen=500))
    commit()
    data = form_of(client) | {f"store_coupon_{here.id}": str(held.id)}

    response = client.post("/shop/checkout", data=data)

    assert response.status_code == 422
    assert "仅限「别家小店」" in response.get_data(as_text=True)
    assert orders() == []


def test_pickup_has_no_delivery_fee_and_a_six_digit_code(client, buyer):
    store = make_store(delivery_fee_fen=600)
    add_to_cart(buyer.id, make_product(store, price_fen=1000).skus[0].id, 1)
    commit()
    data = form_of(client) | {"payment_method": "cod", f"delivery_{store.id}": "pickup"}

    assert client.post("/shop/checkout", data=data).status_code == 303

    [order] = orders()
    assert (order.delivery_option, order.delivery_fee_fen, order.total_fen) == ("pickup", 0, 1000)
    assert re.fullmatch(r"\d{6}", order.pickup_code)


def test_a_delivery_option_the_store_does_not_offer_is_refused(client, buyer):
    store = make_store()  # same-city: delivery or pickup
    add_to_cart(buyer.id, make_product(store).skus[0].id, 1)
    commit()
    data = form_of(client) | {"payment_method": "cod", f"delivery_{store.id}": "ship_pickup"}

    response = client.post("/shop/checkout", data=data)

    assert response.status_code == 422
    assert "请选择配送方式" in response.get_data(as_text=True)
    assert orders() == []


def test_points_above_the_cap_are_refused_with_the_cap(client, buyer):
    buyer.points = 100_000
    add_to_cart(buyer.id, make_product(make_store(), price_fen=2000).skus[0].id, 1)
    commit()
    data = form_of(client) | {"points": "1500"}

    response = client.post("/shop/checkout", data=data)

    assert response.status_code == 422
    assert "本单最多可用 1000 积分" in response.get_data(as_text=True)
    assert orders() == []


def test_the_preview_recomputes_the_totals_for_the_choices(client, buyer):
    buyer.points = 500
    store = make_store(delivery_fee_fen=300)
    add_to_cart(buyer.id, make_product(store, price_fen=2000).skus[0].id, 1)
    commit()
    data = form_of(client) | {"points": "400", f"delivery_{store.id}": "pickup"}

    response = client.post("/shop/checkout/preview", data=data, headers=HX)

    assert response.status_code == 200
    block = response.get_data(as_text=True)
    assert block.lstrip().startswith('<section class="card" id="checkout-summary"')
    assert 'checkout-total">￥16.00' in block  # 20 − 4 in points, no fee for pickup
    assert orders() == []


def test_an_online_checkout_goes_on_to_pay(client, buyer, app):
    add_to_cart(buyer.id, make_product(make_store()).skus[0].id, 1)
    commit()

    response = client.post("/shop/checkout", data=form_of(client))

    assert response.status_code == 303
    checkout = db.session.execute(select(Checkout)).scalar_one()
    if "shop.pay" in app.view_functions:
        assert (
            response.headers["Location"].endswith(f"/{checkout.id}")
            or str(checkout.id) in response.headers["Location"]
        )
    else:
        assert response.headers["Location"].endswith("/shop/orders")


def test_the_coupon_centre_claims_with_a_button_and_lists_my_coupons(client, buyer):
    coupon = make_coupon(threshold_fen=10_000, discount_fen=1_000, name="满100减10")
    commit()

    page = client.get("/shop/coupons").get_data(as_text=True)
    assert "满100减10" in page and f"/shop/coupons/{coupon.id}/claim" in page

    response = client.post(f"/shop/coupons/{coupon.id}/claim", follow_redirects=True)
    assert "领取成功" in response.get_data(as_text=True)
    assert "满100减10" in client.get("/shop/coupons?tab=usable").get_data(as_text=True)
    again = client.post(f"/shop/coupons/{coupon.id}/claim")
    assert again.status_code == 409
    assert db.session.execute(select(func.count(UserCoupon.id))).scalar_one() == 1
    assert "满100减10" not in client.get("/shop/coupons?tab=used").get_data(as_text=True)


def test_a_coupon_not_in_the_centre_cannot_be_claimed(client, buyer):
    coupon = make_coupon()
    coupon.in_centre = False
    commit()
    assert client.post(f"/shop/coupons/{coupon.id}/claim").status_code == 404


def test_a_line_above_the_stock_left_is_flagged_and_checkout_refuses_it(client, buyer):
    product = make_product(make_store(), "椰子冻", stock=5)
    add_to_cart(buyer.id, product.skus[0].id, 4)
    product.skus[0].stock = 2  # sold elsewhere since
    commit()

    assert "库存不足，仅剩 2" in client.get("/shop/cart").get_data(as_text=True)
    response = client.post("/shop/checkout", data=form_of(client) | {"payment_method": "cod"})

    assert response.status_code == 422
    assert "「椰子冻 标准」库存不足" in response.get_data(as_text=True)
    assert orders() == []
