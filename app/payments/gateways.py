"""One Protocol for every payment gateway, a registry keyed by name, and the settings that choose.

    gw = gateway("wechat")             # built from the app's settings (cached per settings)
    url = gw.create_payment(PaymentRequest(...))   # where the buyer's browser pays
    notice = gw.parse_notification(headers, body)  # verified + decoded, or BadNotification
    state = gw.query(out_trade_no)     # TradeState, or None when the gateway does not know it
    gw.close(out_trade_no)             # TradeAlreadyPaid if the money came first
    result = gw.refund(out_trade_no, out_refund_no, amount_fen, total_fen, reason, notify_url)
    status, body = gw.answer(ok)       # what the gateway expects back from a callback

Implementations: `app.payments.wechat` (WeChat Pay API v3 through `wechatpayv3`) and
`app.payments.alipay` (Alipay openapi through `python-alipay-sdk`). Each has a local stand-in
in `app.payments.standins` that speaks the vendor's protocol.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any, Protocol

from flask import current_app

from app.adapters import Registry
from app.i18n_markers import N_

GATEWAY_LABELS = {"wechat": N_("微信支付"), "alipay": N_("支付宝")}


class GatewayError(Exception):
    """The gateway could not be reached or answered with an error (the call may be retried)."""


class TradeAlreadyPaid(GatewayError):
    """Closing a trade the buyer has paid meanwhile: query it and take the money instead."""


class BadNotification(Exception):
    """A callback that must not be acted on; `outcome` is stored on the inbox row."""

    def __init__(self, outcome: str, detail: str = "") -> None:
        super().__init__(f"{outcome}: {detail}" if detail else outcome)
        self.outcome = outcome


class RefundOutcome(StrEnum):
    SUCCEEDED = "succeeded"
    PENDING = "pending"  # accepted, confirmed later (WeChat: a REFUND.SUCCESS notification)
    FAILED = "failed"


@dataclass(frozen=True)
class PaymentRequest:
    out_trade_no: str
    amount_fen: int
    description: str
    notify_url: str
    return_url: str
    client_ip: str = "127.0.0.1"
    expires_at: datetime | None = None  # UTC: the gateway stops taking money then


@dataclass(frozen=True)
class Notice:
    """A verified, decoded notification."""

    kind: str  # "payment" | "refund"
    out_trade_no: str
    txn_id: str
    amount_fen: int  # the trade's total
    merchant_id: str  # mchid (WeChat) / app_id (Alipay): must be ours
    paid: bool
    out_refund_no: str = ""
    refund_outcome: str = ""  # RefundOutcome, for kind "refund"
    refund_id: str = ""


@dataclass(frozen=True)
class TradeState:
    out_trade_no: str
    txn_id: str
    amount_fen: int
    merchant_id: str
    paid: bool
    closed: bool


@dataclass(frozen=True)
class RefundResult:
    outcome: RefundOutcome
    reference: str = ""  # the gateway's refund id
    message: str = ""


class PaymentGateway(Protocol):
    name: str
    merchant_id: str  # what notifications must carry as mchid / app_id
    answer_type: str  # content type of the callback answer

    def create_payment(self, request: PaymentRequest) -> str: ...

    def notification_id(self, headers: Mapping[str, str], body: bytes) -> str: ...

    def parse_notification(self, headers: Mapping[str, str], body: bytes) -> Notice: ...

    def query(self, out_trade_no: str) -> TradeState | None: ...

    def close(self, out_trade_no: str) -> None: ...

    def refund(
        self,
        out_trade_no: str,
        out_refund_no: str,
        amount_fen: int,
        total_fen: int,
        reason: str,
        notify_url: str = "",
    ) -> RefundResult: ...

    def answer(self, ok: bool, message: str = "") -> tuple[int, str]: ...


GATEWAYS: Registry[PaymentGateway] = Registry("payment gateway")
# Each vendor's module (and its SDK) is imported when a payment first needs it.
GATEWAYS.register_module("wechat", "app.payments.wechat")
GATEWAYS.register_module("alipay", "app.payments.alipay")

# Settings each gateway needs before it is offered to buyers.
REQUIRED_SETTINGS = {
    "wechat": (
        "WECHATPAY_MCHID",
        "WECHATPAY_APPID",
        "WECHATPAY_API_V3_KEY",
        "WECHATPAY_PRIVATE_KEY",
        "WECHATPAY_CERT_SERIAL_NO",
    ),
    "alipay": ("ALIPAY_APPID", "ALIPAY_APP_PRIVATE_KEY", "ALIPAY_PUBLIC_KEY"),
}
SETTING_PREFIXES = ("WECHATPAY_", "ALIPAY_", "PAYMENT_TIMEOUT")

_cache: dict[tuple, PaymentGateway] = {}
_cache_lock = threading.Lock()


def gateway_settings(config: Mapping[str, Any] | None = None) -> dict[str, Any]:
    config = current_app.config if config is None else config
    return {k: v for k, v in config.items() if k.startswith(SETTING_PREFIXES)}


def enabled_gateways(config: Mapping[str, Any] | None = None) -> list[str]:
    """The gateways offered to buyers: listed in PAYMENT_GATEWAYS and configured."""
    config = current_app.config if config is None else config
    return [
        name
        for name in config.get("PAYMENT_GATEWAYS", ())
        if name in GATEWAYS and all(config.get(key) for key in REQUIRED_SETTINGS.get(name, ()))
    ]


def gateway(name: str, config: Mapping[str, Any] | None = None) -> PaymentGateway:
    """The adapter of that name built with these settings (one per distinct settings, kept)."""
    settings = gateway_settings(config)
    key = (name, tuple(sorted((k, str(v)) for k, v in settings.items())))
    with _cache_lock:
        found = _cache.get(key)
        if found is None:
            found = _cache[key] = GATEWAYS.get(name, settings)
    return found


def read_pem(value: str) -> str:
    """A PEM given as text, or a path to a file holding it."""
    value = (value or "").strip()
    if value and "-----BEGIN" not in value:
        with open(value, encoding="utf-8") as file:
            return file.read()
    return value


def body_digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()[:32]


def inbox_id(gateway_id: str, body: bytes) -> str:
    """The inbox key: the gateway's notification id with a digest of the body, so a forged
    callback that borrows a real id cannot pre-empt the real one (it gets its own row)."""
    return f"{gateway_id[:60]}#{body_digest(body)}"


def yuan_to_fen(value: Any) -> int:
    """Alipay's "12.34" -> 1234, exactly (no float)."""
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise BadNotification("malformed", f"bad amount {value!r}") from None
    fen = amount * 100
    if fen != fen.to_integral_value():
        raise BadNotification("malformed", f"bad amount {value!r}")
    return int(fen)


def fen_to_yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def notify_url_for(name: str, config: Mapping[str, Any] | None = None) -> str:
    """The callback URL outside a request (refunds sent by a job): PAYMENT_NOTIFY_BASE_URL plus
    the callback path; empty when no public address is configured."""
    config = current_app.config if config is None else config
    base = (config.get("PAYMENT_NOTIFY_BASE_URL") or "").rstrip("/")
    return f"{base}/pay/notify/{name}" if base else ""


def gateway_label(name: str) -> str:
    return GATEWAY_LABELS.get(name, name)
