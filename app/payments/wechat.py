"""WeChat Pay API v3 (直连商户, H5 payment) through the maintained SDK `wechatpayv3`.

The SDK signs every request (WECHATPAY2-SHA256-RSA2048 with the merchant key), verifies every
answer and notification against the platform certificate (or the newer 微信支付公钥) and decrypts
the AES-256-GCM resource with the API v3 key. We only point it at WECHATPAY_BASE_URL (the real
gateway, or the stand-in in development and tests): the SDK keeps its gateway in
`Core._gate_way`, set in its constructor, and downloads platform certificates from there when a
notification names a certificate it does not hold (rotation).
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from wechatpayv3 import WeChatPay, WeChatPayType
from werkzeug.datastructures import Headers

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
    inbox_id,
    read_pem,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
MAX_SKEW_SECONDS = 300  # a notification signed longer ago than this is refused (replay window)


def _platform_cert_dir(settings: Mapping[str, Any]) -> str | None:
    """The SDK reads platform certificates from a directory: the configured one, seeded with
    WECHATPAY_PLATFORM_CERT when that is given (a stand-in's, or one downloaded by hand)."""
    cert = read_pem(settings.get("WECHATPAY_PLATFORM_CERT", ""))
    if not cert:
        directory = settings.get("WECHATPAY_CERT_DIR") or None
        if directory:
            os.makedirs(directory, exist_ok=True)
        return directory
    directory = tempfile.mkdtemp(prefix="wechatpay-certs-")
    with open(os.path.join(directory, "platform.pem"), "w", encoding="utf-8") as file:
        file.write(cert)
    return directory


@GATEWAYS.register("wechat")
class WechatPayGateway:
    name = "wechat"
    answer_type = "application/json"

    def __init__(self, settings: Mapping[str, Any]) -> None:
        self.merchant_id = settings["WECHATPAY_MCHID"]
        self.appid = settings["WECHATPAY_APPID"]
        self.base_url = settings.get("WECHATPAY_BASE_URL", "").rstrip("/")
        public_key = read_pem(settings.get("WECHATPAY_PUBLIC_KEY", "")) or None
        public_key_id = settings.get("WECHATPAY_PUBLIC_KEY_ID") or None
        timeout = float(settings.get("PAYMENT_TIMEOUT") or 10)
        try:
            self.client = WeChatPay(
                wechatpay_type=WeChatPayType.H5,
                mchid=self.merchant_id,
                private_key=read_pem(settings["WECHATPAY_PRIVATE_KEY"]),
                cert_serial_no=settings["WECHATPAY_CERT_SERIAL_NO"],
                appid=self.appid,
                apiv3_key=settings["WECHATPAY_API_V3_KEY"],
                cert_dir=None if public_key else _platform_cert_dir(settings),
                public_key=public_key,
                public_key_id=public_key_id if public_key else None,
                timeout=(min(timeout, 5), timeout),
            )
        except Exception as exc:  # the SDK raises bare Exceptions (keys, certificates)
            raise GatewayError(f"WeChat Pay set-up failed: {exc}") from exc
        if self.base_url:
            self.client._core._gate_way = self.base_url  # the SDK's one gateway setting

    # --- calls ----------------------------------------------------------------------------------

    def _call(self, method, *args, **kwargs) -> tuple[int, dict]:
        try:
            code, text = method(*args, **kwargs)
        except Exception as exc:  # network, or "failed to verify the signature"
            raise GatewayError(f"WeChat Pay: {exc}") from exc
        try:
            data = json.loads(text) if text else {}
        except (TypeError, ValueError):
            data = {}
        return code, data

    def create_payment(self, request: PaymentRequest) -> str:
        expire = None
        if request.expires_at is not None:
            local = request.expires_at.replace(tzinfo=ZoneInfo("UTC")).astimezone(SHANGHAI)
            expire = local.isoformat(timespec="seconds")
        code, data = self._call(
            self.client.pay,
            description=request.description[:127],
            out_trade_no=request.out_trade_no,
            amount={"total": request.amount_fen, "currency": "CNY"},
            notify_url=request.notify_url,
            time_expire=expire,
            scene_info={"payer_client_ip": request.client_ip, "h5_info": {"type": "Wap"}},
        )
        if code != 200 or not data.get("h5_url"):
            raise GatewayError(f"WeChat Pay prepay refused: {code} {data}")
        # H5: the browser opens h5_url; redirect_url brings the buyer back after paying
        return f"{data['h5_url']}&redirect_url={quote(request.return_url, safe='')}"

    def query(self, out_trade_no: str) -> TradeState | None:
        code, data = self._call(self.client.query, out_trade_no=out_trade_no)
        if code == 404 or data.get("code") == "ORDER_NOT_EXIST":
            return None
        if code != 200:
            raise GatewayError(f"WeChat Pay query failed: {code} {data}")
        state = data.get("trade_state", "")
        return TradeState(
            out_trade_no=data.get("out_trade_no", ""),
            txn_id=data.get("transaction_id") or "",
            amount_fen=int((data.get("amount") or {}).get("total") or 0),
            merchant_id=data.get("mchid", ""),
            paid=state in ("SUCCESS", "REFUND"),
            closed=state in ("CLOSED", "REVOKED", "PAYERROR"),
        )

    def close(self, out_trade_no: str) -> None:
        code, data = self._call(self.client.close, out_trade_no=out_trade_no)
        if code in (200, 204):
            return
        if data.get("code") in ("ORDER_PAID", "ORDERPAID"):
            raise TradeAlreadyPaid(out_trade_no)
        if data.get("code") in ("ORDER_NOT_EXIST", "ORDER_CLOSED"):
            return
        raise GatewayError(f"WeChat Pay close failed: {code} {data}")

    def refund(
        self,
        out_trade_no: str,
        out_refund_no: str,
        amount_fen: int,
        total_fen: int,
        reason: str,
        notify_url: str = "",
    ) -> RefundResult:
        code, data = self._call(
            self.client.refund,
            out_refund_no=out_refund_no,
            out_trade_no=out_trade_no,
            amount={"refund": amount_fen, "total": total_fen, "currency": "CNY"},
            reason=(reason or "")[:80] or None,
            notify_url=notify_url or None,
        )
        if code >= 500:
            raise GatewayError(f"WeChat Pay refund failed: {code} {data}")
        if code != 200:
            return RefundResult(RefundOutcome.FAILED, "", data.get("message", str(code)))
        status = data.get("status", "")
        outcome = {
            "SUCCESS": RefundOutcome.SUCCEEDED,
            "PROCESSING": RefundOutcome.PENDING,
        }.get(status, RefundOutcome.FAILED)
        return RefundResult(outcome, data.get("refund_id", ""), status)

    # --- notifications --------------------------------------------------------------------------

    def notification_id(self, headers: Mapping[str, str], body: bytes) -> str:
        try:
            gateway_id = str(json.loads(body).get("id") or "")
        except (ValueError, AttributeError, UnicodeDecodeError):
            gateway_id = ""
        return inbox_id(gateway_id or body_digest(body), body)

    def parse_notification(self, headers: Mapping[str, str], body: bytes) -> Notice:
        headers = Headers(list(headers.items()))
        try:
            sent = int(headers.get("Wechatpay-Timestamp", ""))
        except ValueError:
            raise BadNotification("bad_signature", "no timestamp") from None
        if abs(time.time() - sent) > MAX_SKEW_SECONDS:
            raise BadNotification("stale", "timestamp outside the replay window")
        try:
            text = body.decode("utf-8")
            data = self.client.callback(headers, text)
        except Exception as exc:  # unknown algorithm, bad serial, bad JSON
            raise BadNotification("malformed", str(exc)[:200]) from exc
        if not data:
            raise BadNotification("bad_signature", "signature or decryption failed")
        resource = data.get("resource") or {}
        event = data.get("event_type", "")
        amount = resource.get("amount") or {}
        if event.startswith("REFUND."):
            outcome = {
                "SUCCESS": RefundOutcome.SUCCEEDED,
                "PROCESSING": RefundOutcome.PENDING,
            }.get(resource.get("refund_status", ""), RefundOutcome.FAILED)
            return Notice(
                kind="refund",
                out_trade_no=resource.get("out_trade_no", ""),
                txn_id=resource.get("transaction_id", ""),
                amount_fen=int(amount.get("total") or 0),
                merchant_id=resource.get("mchid", ""),
                paid=True,
                out_refund_no=resource.get("out_refund_no", ""),
                refund_outcome=outcome,
                refund_id=resource.get("refund_id", ""),
            )
        if not resource.get("out_trade_no"):
            raise BadNotification("malformed", f"no out_trade_no in {event}")
        return Notice(
            kind="payment",
            out_trade_no=resource["out_trade_no"],
            txn_id=resource.get("transaction_id", ""),
            amount_fen=int(amount.get("total") or 0),
            merchant_id=resource.get("mchid", ""),
            paid=resource.get("trade_state") == "SUCCESS",
        )

    def answer(self, ok: bool, message: str = "") -> tuple[int, str]:
        if ok:
            return 204, ""
        return 400, json.dumps({"code": "FAIL", "message": message or "失败"}, ensure_ascii=False)
