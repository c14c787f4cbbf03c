"""The buyer pays online end to end: the shop's 收银台, the stand-in's pay page in the buyer's
browser (plain HTTP here), the notification to the app, and the way back to the shop."""

from __future__ import annotations

import html
import http.client
import re
import urllib.request
from urllib.parse import urlencode, urlsplit

from sqlalchemy import select

from app.accounts.actor import SYSTEM
from app.extensions import db
from app.jobs import commit
from app.ordering.models import Order
from app.ordering.services import move_order_once
from app.ordering.states import OrderStatus
from app.payments.models import Payment, PaymentStatus, Refund, RefundStatus
from app.payments.standins import hidden_fields
from tests.factories import make_buyer, make_product, make_store, place_order
from tests.unit.payments import standin_fixtures

alipay = standin_fixtures.alipay  # fixture
wechat = standin_fixtures.wechat  # fixture


def _browser_get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read().decode()


def _browser_post(url: str, fields: dict) -> tuple[int, str]:
    """POST a form like a browser, without following the redirect: (status, Location)."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    connection.request(
        "POST",
        parts.path,
        body=urlencode(fields),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    response = connection.getresponse()
    response.read()
    connection.close()
    return response.status, response.getheader("Location", "")


def _buyer_with_order(login, price_fen=2350):
    buyer = make_buyer()
    order = place_order(
        buyer,
        make_product(make_store(name="椰城小厨"), price_fen=price_fen),
        payment="online",
        accept=False,
    )
    commit()
    login(buyer)
    return buyer, order


def _pay_in_browser(client, order, gateway: str) -> str:
    """Press the gateway's button, pay on the stand-in's page; returns where it sends us back."""
    answer = client.post(f"/shop/pay/{order.checkout_id}", data={"gateway": gateway})
    # a page of ours forwards to the gateway (a 303 after a form post breaks the CSP's
    # form-action 'self'); with HTMX the answer is an HX-Redirect there
    forward = answer.get_data(as_text=True)
    assert answer.status_code == 200 and "正在前往" in forward
    page_url = html.unescape(re.search(r'http-equiv="refresh" content="0;url=([^"]+)"', forward)[1])
    twin = client.post(
        f"/shop/pay/{order.checkout_id}", data={"gateway": gateway}, headers={"HX-Request": "true"}
    )
    assert urlsplit(twin.headers["HX-Redirect"]).netloc == urlsplit(page_url).netloc
    page = _browser_get(page_url)
    assert order.no not in page and "确认支付" in page
    amount = f"¥{order.total_fen // 100}.{order.total_fen % 100:02d}"
    assert amount in page
    action = "/h5pay" if gateway == "wechat" else "/alipay/pay"
    status, back = _browser_post(
        f"{urlsplit(page_url).scheme}://{urlsplit(page_url).netloc}{action}",
        hidden_fields(page) | {"action": "pay"},
    )
    assert status == 303
    return back


def test_buyer_pays_with_wechat_through_the_standin_pay_page(app, client, login, wechat):
    _, order = _buyer_with_order(login)
    page = client.get(f"/shop/pay/{order.checkout_id}").get_data(as_text=True)
    assert "微信支付" in page and "椰城小厨" in page and order.no in page

    back = _pay_in_browser(client, order, "wechat")
    assert back == f"http://localhost/shop/pay/{order.checkout_id}/return"
    result = client.get(urlsplit(back).path).get_data(as_text=True)
    assert "支付成功" in result
    db.session.expire_all()
    assert order.status == OrderStatus.AWAITING_SHIPMENT
    order_page = client.get(f"/shop/orders/{order.no}").get_data(as_text=True)
    assert "去支付" not in order_page


def test_buyer_pays_with_alipay_and_the_app_queries_when_the_callback_is_lost(
    app, client, login, alipay
):
    _, order = _buyer_with_order(login)
    alipay.notify_on_pay = False
    back = _pay_in_browser(client, order, "alipay")
    assert back.startswith(f"http://localhost/shop/pay/{order.checkout_id}/return?")
    waiting = client.get(urlsplit(back).path).get_data(as_text=True)
    assert "等待支付结果" in waiting  # a GET writes nothing: the page asks with a POST
    done = client.post(f"/shop/pay/{order.checkout_id}/sync")
    assert done.status_code == 303
    assert "支付成功" in client.get(done.headers["Location"]).get_data(as_text=True)
    db.session.expire_all()
    assert order.status == OrderStatus.AWAITING_SHIPMENT


def test_the_order_page_offers_to_pay_while_unpaid(app, client, login, wechat):
    _, order = _buyer_with_order(login)
    page = client.get(f"/shop/orders/{order.no}").get_data(as_text=True)
    assert "去支付" in page and f"/shop/pay/{order.checkout_id}" in page and "分钟" in page


def test_another_buyers_checkout_is_not_found(app, client, login, wechat):
    _, order = _buyer_with_order(login)
    other = make_buyer()
    commit()
    login(other)
    assert client.get(f"/shop/pay/{order.checkout_id}").status_code == 404
    assert (
        client.post(f"/shop/pay/{order.checkout_id}", data={"gateway": "wechat"}).status_code == 404
    )
    assert client.get(f"/shop/pay/{order.checkout_id}/return").status_code == 404
    assert db.session.execute(select(Payment)).first() is None


def test_an_unknown_gateway_is_refused(app, client, login, wechat):
    _, order = _buyer_with_order(login)
    answer = client.post(f"/shop/pay/{order.checkout_id}", data={"gateway": "paypal"})
    assert answer.status_code == 422
    assert db.session.execute(select(Payment)).first() is None


def test_paying_an_order_closed_meanwhile_refunds_it_and_the_timeline_says_so(
    app, client, login, wechat
):
    _, order = _buyer_with_order(login)
    answer = client.post(
        f"/shop/pay/{order.checkout_id}", data={"gateway": "wechat"}, headers={"HX-Request": "true"}
    )
    page_url = answer.headers["HX-Redirect"]
    page = _browser_get(page_url)
    move_order_once(db.session.get(Order, order.id), OrderStatus.CLOSED, SYSTEM)  # time limit
    commit()
    parts = urlsplit(page_url)
    _browser_post(f"http://{parts.netloc}/h5pay", hidden_fields(page) | {"action": "pay"})

    db.session.expire_all()
    payment = db.session.execute(select(Payment)).scalar_one()
    assert payment.status == PaymentStatus.PAID and order.status == OrderStatus.CLOSED
    refund = db.session.execute(select(Refund)).scalar_one()
    assert (refund.amount_fen, refund.status) == (order.total_fen, RefundStatus.SUCCEEDED)
    assert wechat.trades[payment.no]["refunded"] == order.total_fen
    order_page = client.get(f"/shop/orders/{order.no}").get_data(as_text=True)
    assert "已自动原路退款" in order_page
    assert "已退款" in order_page  # the refund and its state
