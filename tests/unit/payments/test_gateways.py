"""Each adapter, through its vendor's SDK, against its stand-in: the stand-in checks the SDK's
signatures with its own implementation of the vendor's algorithm, and signs what it sends."""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest

from app.payments.alipay import AlipayGateway
from app.payments.gateways import (
    BadNotification,
    GatewayError,
    PaymentRequest,
    RefundOutcome,
    TradeAlreadyPaid,
)
from app.payments.standins import AlipayStandin, WechatPayStandin, _new_key, _private_pem
from app.payments.wechat import WechatPayGateway


def _request(no: str, fen: int = 1234) -> PaymentRequest:
    return PaymentRequest(
        no, fen, "测试店铺 订单", "http://shop.test/notify", "http://shop.test/back"
    )


class Inbox:
    """Stands in for the app's callback URL: keeps what the gateway posted."""

    def __init__(self) -> None:
        self.posts: list[tuple[str, dict, bytes]] = []

    def __call__(self, url, headers, body) -> int:
        self.posts.append((url, headers, body))
        return 204


@pytest.fixture
def inbox():
    return Inbox()


@pytest.fixture
def wechat(inbox):
    with WechatPayStandin(deliver=inbox) as standin:
        yield standin


@pytest.fixture
def alipay(inbox):
    with AlipayStandin(deliver=inbox) as standin:
        yield standin


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read().decode()


# --- WeChat Pay API v3 -------------------------------------------------------------------------


def test_wechat_pays_through_the_pay_page_and_the_notification_is_verified_and_decrypted(
    wechat, inbox
):
    gw = WechatPayGateway(wechat.settings())
    url = gw.create_payment(_request("W1"))
    assert url.startswith(wechat.url + "/h5pay?") and "redirect_url=http%3A%2F%2Fshop.test" in url
    page = _get(url)
    assert "¥12.34" in page and "确认支付" in page and "取消" in page
    assert gw.query("W1").paid is False

    wechat.pay("W1")
    [(url, headers, body)] = inbox.posts
    assert url == "http://shop.test/notify"
    assert b'"out_trade_no"' not in body and b'"amount"' not in body  # encrypted resource
    notice = gw.parse_notification(headers, body)
    assert (notice.kind, notice.out_trade_no, notice.amount_fen, notice.paid) == (
        "payment",
        "W1",
        1234,
        True,
    )
    assert notice.merchant_id == wechat.mchid and notice.txn_id
    state = gw.query("W1")
    assert state.paid and state.txn_id == notice.txn_id and state.amount_fen == 1234


def test_wechat_refuses_forged_and_badly_encrypted_notifications(wechat):
    gw = WechatPayGateway(wechat.settings())
    gw.create_payment(_request("W2"))
    wechat.notify_on_pay = False
    wechat.pay("W2")
    forged = wechat.payment_notification("W2", signing_key=_new_key())
    with pytest.raises(BadNotification) as refused:
        gw.parse_notification(*forged)
    assert refused.value.outcome == "bad_signature"
    wrong_key = wechat.payment_notification("W2", api_v3_key="0" * 32)
    with pytest.raises(BadNotification) as refused:
        gw.parse_notification(*wrong_key)
    assert refused.value.outcome == "bad_signature"
    headers, body = wechat.payment_notification("W2")
    with pytest.raises(BadNotification):
        gw.parse_notification(headers, body.replace(b'"summary"', b'"Summary"'))  # tampered


def test_wechat_downloads_a_rotated_platform_certificate(wechat):
    gw = WechatPayGateway(wechat.settings())
    gw.create_payment(_request("W3"))
    wechat.notify_on_pay = False
    wechat.pay("W3")
    wechat.rotate_platform_certificate()
    assert gw.parse_notification(*wechat.payment_notification("W3")).paid
    assert gw.query("W3").paid  # answers signed by the new certificate verify too


def test_wechat_close_query_and_refund(wechat):
    gw = WechatPayGateway(wechat.settings())
    assert gw.query("NOPE") is None
    gw.create_payment(_request("W4", 1000))
    gw.close("W4")
    assert gw.query("W4").closed
    gw.create_payment(_request("W5", 1000))
    wechat.notify_on_pay = False
    wechat.pay("W5")
    with pytest.raises(TradeAlreadyPaid):
        gw.close("W5")
    first = gw.refund("W5", "R1", 600, 1000, "缺货")
    assert first.outcome == RefundOutcome.SUCCEEDED and first.reference
    assert gw.refund("W5", "R1", 600, 1000, "缺货").reference == first.reference  # idempotent
    too_much = gw.refund("W5", "R2", 500, 1000, "再退")
    assert too_much.outcome == RefundOutcome.FAILED
    assert gw.refund("W5", "R3", 400, 1000, "余额").outcome == RefundOutcome.SUCCEEDED


def test_wechat_standin_refuses_a_request_not_signed_by_the_merchant(wechat):
    settings = wechat.settings() | {"WECHATPAY_PRIVATE_KEY": _private_pem(_new_key())}
    with pytest.raises(GatewayError):
        WechatPayGateway(settings).create_payment(_request("W6"))
    assert wechat.refused == ["SIGN_ERROR"]
    assert "W6" not in wechat.trades


def test_wechat_processing_refund_is_confirmed_by_a_refund_notification(wechat, inbox):
    wechat.refund_status = "PROCESSING"
    gw = WechatPayGateway(wechat.settings())
    gw.create_payment(_request("W7", 500))
    wechat.pay("W7")
    refund = gw.refund("W7", "R7", 500, 500, "", notify_url="http://shop.test/notify")
    assert refund.outcome == RefundOutcome.PENDING
    assert wechat.send_refund_notifications() == [204]
    notice = gw.parse_notification(*inbox.posts[-1][1:])
    assert (notice.kind, notice.out_refund_no, notice.refund_outcome) == (
        "refund",
        "R7",
        RefundOutcome.SUCCEEDED,
    )


# --- Alipay ------------------------------------------------------------------------------------


def test_alipay_pays_through_the_pay_page_and_the_notification_is_verified(alipay, inbox):
    gw = AlipayGateway(alipay.settings())
    url = gw.create_payment(_request("A1"))
    assert url.startswith(alipay.url + "/gateway.do?")
    assert gw.query("A1") is None  # Alipay knows a page-pay trade once the buyer opens it
    page = _get(url)
    assert "¥12.34" in page and "确认支付" in page
    assert gw.query("A1").paid is False
    alipay.pay("A1")
    [(url, headers, body)] = inbox.posts
    notice = gw.parse_notification(headers, body)
    assert (notice.out_trade_no, notice.amount_fen, notice.paid) == ("A1", 1234, True)
    assert notice.merchant_id == alipay.appid
    assert gw.query("A1").paid


def test_alipay_standin_refuses_a_tampered_pay_url(alipay):
    gw = AlipayGateway(alipay.settings())
    url = gw.create_payment(_request("A2", 1000))
    with pytest.raises(urllib.error.HTTPError) as refused:
        _get(url.replace("10.00", "00.01"))
    assert refused.value.code == 400
    assert alipay.refused == ["isv.invalid-signature"] and "A2" not in alipay.trades


def test_alipay_refuses_forged_notifications(alipay):
    gw = AlipayGateway(alipay.settings())
    _get(gw.create_payment(_request("A3", 1000)))
    alipay.notify_on_pay = False
    alipay.pay("A3")
    with pytest.raises(BadNotification) as refused:
        gw.parse_notification(*alipay.payment_notification("A3", signing_key=_new_key()))
    assert refused.value.outcome == "bad_signature"
    headers, body = alipay.payment_notification("A3")
    with pytest.raises(BadNotification):
        gw.parse_notification(headers, body.replace(b"total_amount=10.00", b"total_amount=0.01"))


def test_alipay_close_and_refund(alipay):
    gw = AlipayGateway(alipay.settings())
    _get(gw.create_payment(_request("A4", 1000)))
    gw.close("A4")
    assert gw.query("A4").closed
    _get(gw.create_payment(_request("A5", 1000)))
    alipay.notify_on_pay = False
    alipay.pay("A5")
    with pytest.raises(TradeAlreadyPaid):
        gw.close("A5")
    assert gw.refund("A5", "R1", 700, 1000, "退货").outcome == RefundOutcome.SUCCEEDED
    assert gw.refund("A5", "R1", 700, 1000, "退货").outcome == RefundOutcome.SUCCEEDED
    assert gw.refund("A5", "R2", 400, 1000, "超额").outcome == RefundOutcome.FAILED
    assert alipay.trades["A5"]["refunded"] == 700
