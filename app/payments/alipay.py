"""Alipay openapi (手机网站支付 alipay.trade.wap.pay) through `python-alipay-sdk`, RSA2.

The SDK signs requests with the app's private key and verifies answers and notifications with
Alipay's public key; we point its gateway (`_gateway`, set in its constructor) at
ALIPAY_GATEWAY_URL: the real openapi, or the stand-in in development and tests.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo

from alipay import AliPay
from alipay.exceptions import AliPayException, AliPayValidationError
from alipay.utils import AliPayConfig

from app.payments.gateways import (
    GATEWAYS,
    BadNotification,
    GatewayError,
    Notice,
    PaymentRequest,
    RefundOutcome,
    RefundResult,
    TradeAlreadyPaid,
    TradeState,
    body_digest,
    fen_to_yuan,
    inbox_id,
    read_pem,
    yuan_to_fen,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
PAID_STATES = ("TRADE_SUCCESS", "TRADE_FINISHED")
SUCCESS = "10000"


@GATEWAYS.register("alipay")
class AlipayGateway:
    name = "alipay"
    answer_type = "text/plain; charset=utf-8"

    def __init__(self, settings: Mapping[str, Any]) -> None:
        self.merchant_id = str(settings["ALIPAY_APPID"])
        try:
            self.client = AliPay(
                appid=self.merchant_id,
                app_private_key_string=read_pem(settings["ALIPAY_APP_PRIVATE_KEY"]),
                alipay_public_key_string=read_pem(settings["ALIPAY_PUBLIC_KEY"]),
                sign_type="RSA2",
                config=AliPayConfig(timeout=float(settings.get("PAYMENT_TIMEOUT") or 10)),
            )
        except Exception as exc:  # bad key text
            raise GatewayError(f"Alipay set-up failed: {exc}") from exc
        self.gateway_url = settings.get("ALIPAY_GATEWAY_URL") or self.client._gateway
        self.client._gateway = self.gateway_url  # the SDK's one gateway setting

    def _call(self, method, **kwargs) -> dict:
        try:
            return method(**kwargs)
        except AliPayValidationError as exc:
            raise GatewayError("Alipay answer failed signature verification") from exc
        except AliPayException as exc:
            raise GatewayError(f"Alipay: {exc}") from exc
        except OSError as exc:  # URLError, timeouts
            raise GatewayError(f"Alipay unreachable: {exc}") from exc

    def create_payment(self, request: PaymentRequest) -> str:
        extra = {}
        if request.expires_at is not None:
            local = request.expires_at.replace(tzinfo=ZoneInfo("UTC")).astimezone(SHANGHAI)
            extra["time_expire"] = f"{local:%Y-%m-%d %H:%M:%S}"
        query = self.client.api_alipay_trade_wap_pay(
            subject=request.description[:256],
            out_trade_no=request.out_trade_no,
            total_amount=fen_to_yuan(request.amount_fen),
            return_url=request.return_url,
            notify_url=request.notify_url,
            **extra,
        )
        return f"{self.gateway_url}?{query}"

    def query(self, out_trade_no: str) -> TradeState | None:
        data = self._call(self.client.api_alipay_trade_query, out_trade_no=out_trade_no)
        if data.get("code") != SUCCESS:
            if data.get("sub_code") == "ACQ.TRADE_NOT_EXIST":
                return None  # the buyer never opened the pay page
            raise GatewayError(f"Alipay query failed: {data}")
        status = data.get("trade_status", "")
        return TradeState(
            out_trade_no=data.get("out_trade_no", ""),
            txn_id=data.get("trade_no", ""),
            amount_fen=yuan_to_fen(data.get("total_amount", "0")),
            merchant_id=self.merchant_id,  # the answer is signed for our app id
            paid=status in PAID_STATES,
            closed=status == "TRADE_CLOSED",
        )

    def close(self, out_trade_no: str) -> None:
        data = self._call(self.client.api_alipay_trade_close, out_trade_no=out_trade_no)
        if data.get("code") == SUCCESS or data.get("sub_code") == "ACQ.TRADE_NOT_EXIST":
            return
        if data.get("sub_code") == "ACQ.TRADE_STATUS_ERROR":
            state = self.query(out_trade_no)
            if state is not None and state.paid:
                raise TradeAlreadyPaid(out_trade_no)
            return  # closed already
        raise GatewayError(f"Alipay close failed: {data}")

    def refund(
        self,
        out_trade_no: str,
        out_refund_no: str,
        amount_fen: int,
        total_fen: int,
        reason: str,
        notify_url: str = "",
    ) -> RefundResult:
        """Alipay answers a refund at once (no refund notification to wait for)."""
        data = self._call(
            self.client.api_alipay_trade_refund,
            refund_amount=fen_to_yuan(amount_fen),
            out_trade_no=out_trade_no,
            out_request_no=out_refund_no,
            refund_reason=(reason or "")[:256],
        )
        if data.get("code") == SUCCESS:
            return RefundResult(RefundOutcome.SUCCEEDED, data.get("trade_no", ""), "")
        if data.get("code") in ("20000", "40004") and data.get("sub_code", "").startswith(
            "ACQ.SYSTEM_ERROR"
        ):
            return RefundResult(RefundOutcome.PENDING, "", data.get("sub_msg", ""))
        return RefundResult(RefundOutcome.FAILED, "", data.get("sub_msg") or data.get("msg", ""))

    # --- notifications --------------------------------------------------------------------------

    @staticmethod
    def _form(body: bytes) -> dict[str, str]:
        try:
            return dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
        except UnicodeDecodeError:
            raise BadNotification("malformed", "not UTF-8") from None

    def notification_id(self, headers: Mapping[str, str], body: bytes) -> str:
        try:
            gateway_id = self._form(body).get("notify_id", "")
        except BadNotification:
            gateway_id = ""
        return inbox_id(gateway_id or body_digest(body), body)

    def parse_notification(self, headers: Mapping[str, str], body: bytes) -> Notice:
        data = self._form(body)
        signature = data.pop("sign", "")
        if not signature:
            raise BadNotification("bad_signature", "no sign")
        try:
            verified = self.client.verify(dict(data), signature)
        except (AliPayException, ValueError, TypeError) as exc:  # sign_type, base64
            raise BadNotification("bad_signature", str(exc)[:200]) from exc
        if not verified:
            raise BadNotification("bad_signature", "RSA2 signature does not match")
        if not data.get("out_trade_no"):
            raise BadNotification("malformed", "no out_trade_no")
        return Notice(
            kind="payment",
            out_trade_no=data["out_trade_no"],
            txn_id=data.get("trade_no", ""),
            amount_fen=yuan_to_fen(data.get("total_amount", "")),
            merchant_id=data.get("app_id", ""),
            # a refund also notifies (with refund_fee / out_biz_no): not a payment to act on
            paid=data.get("trade_status") in PAID_STATES and not data.get("out_biz_no"),
        )

    def answer(self, ok: bool, message: str = "") -> tuple[int, str]:
        return 200, "success" if ok else "fail"
