"""The Dada open API (newopen.imdada.cn): the signed envelope and one method per endpoint.

Every request is a POST of JSON {app_key, body, format, timestamp, v, source_id, signature}:
`body` is the business JSON as a string, `timestamp` Unix seconds, and
signature = UPPER(MD5(app_secret + k1v1k2v2... + app_secret)) over the other six fields sorted
by name. Answers are {status, code, msg, result}: status "success" (code 0) carries the result;
anything else is refused with Dada's msg (`DadaRefused`); no answer, a timeout or a 5xx is
`DadaUnavailable` (the jobs retry it through the outbox).

Callbacks are signed without the secret (MD5 of the sorted values of client_id, order_id and
update_time joined): anyone can compute that, so a callback is only a hint to re-query.

Dada counts money in yuan as JSON numbers; here it is fen, converted at this border only.

HTTP goes through `requests` (what the payment SDKs use), with a connect and a read timeout.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

import requests
from flask import current_app

from app.config import is_development
from app.delivery.dada.local import APP_KEY as STANDIN_APP_KEY
from app.delivery.dada.local import APP_SECRET as STANDIN_APP_SECRET
from app.delivery.dada.local import DEFAULT_PORT
from app.delivery.dada.local import SOURCE_ID as STANDIN_SOURCE_ID
from app.errors import DomainError
from app.i18n_markers import N_
from app.messages import define

PRODUCTION_URL = "https://newopen.imdada.cn"
STANDIN_URL = f"http://127.0.0.1:{DEFAULT_PORT}"

DADA_REFUSED = define("dada_refused", N_("达达：%(msg)s"))
DADA_UNREACHABLE = define("dada_unreachable", N_("达达暂时无法连接，请稍后再试"))


class DadaError(DomainError):
    """Dada said no, or could not be asked."""


class DadaRefused(DadaError):
    """Dada answered with an error: its msg is shown as Dada wrote it."""

    status_code = 422

    def __init__(self, code: int | str, msg: str) -> None:
        super().__init__(DADA_REFUSED(msg=msg or str(code)))
        self.code = code
        self.dada_msg = msg


class DadaUnavailable(DadaError):
    """No answer (network, timeout, 5xx, not JSON): the call may be tried again later."""

    status_code = 503

    def __init__(self, detail: str = "") -> None:
        super().__init__(DADA_UNREACHABLE())
        self.detail = detail


# ---- money and signatures ---------------------------------------------------------------------


def fen_to_yuan(fen: int) -> float:
    """The wire wants a JSON number in yuan; a float of a two-decimal value prints exactly."""
    return float(Decimal(int(fen)) / 100)


def yuan_to_fen(value: Any) -> int:
    """Dada's 8.5 -> 850 (half up to the fen); anything unreadable counts as 0."""
    try:
        amount = Decimal(str(value if value not in (None, "") else 0))
    except InvalidOperation:
        return 0
    return int((amount * 100).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def sign(fields: Mapping[str, Any], app_secret: str) -> str:
    """UPPER(MD5(secret + key1value1key2value2... + secret)), keys sorted, signature left out."""
    pairs = "".join(f"{key}{fields[key]}" for key in sorted(fields) if key != "signature")
    return hashlib.md5(f"{app_secret}{pairs}{app_secret}".encode()).hexdigest().upper()


def callback_signature(client_id: Any, order_id: Any, update_time: Any) -> str:
    """MD5 of the three values sorted as strings and joined (no secret: Dada's rule)."""
    values = sorted(str(v if v is not None else "") for v in (client_id, order_id, update_time))
    return hashlib.md5("".join(values).encode()).hexdigest()


def envelope(
    business: Any, app_key: str, app_secret: str, source_id: str, timestamp: int | None = None
) -> dict[str, str]:
    """The request Dada expects; `business` is sent as a JSON string ("" for no parameters)."""
    body = (
        business
        if isinstance(business, str)
        else json.dumps(business, ensure_ascii=False, separators=(",", ":"))
    )
    fields = {
        "app_key": app_key,
        "body": body,
        "format": "json",
        "timestamp": str(int(time.time()) if timestamp is None else timestamp),
        "v": "1.0",
        "source_id": source_id,
    }
    fields["signature"] = sign(fields, app_secret)
    return fields


# ---- settings -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DadaSettings:
    app_key: str
    app_secret: str
    source_id: str
    base_url: str
    timeout: float
    local: bool  # the stand-in's keys (development, tests)


def dada_settings(config: Mapping[str, Any] | None = None) -> DadaSettings | None:
    """The configured account; in development and tests the stand-in's when none is set.
    None: Dada is not configured, so no store is offered it."""
    app = current_app
    config = app.config if config is None else config
    local = bool(app.testing or is_development(app))
    key = config.get("DADA_APP_KEY") or (STANDIN_APP_KEY if local else "")
    secret = config.get("DADA_APP_SECRET") or (STANDIN_APP_SECRET if local else "")
    source = config.get("DADA_SOURCE_ID") or (STANDIN_SOURCE_ID if local else "")
    if not (key and secret and source):
        return None
    base = config.get("DADA_BASE_URL") or (STANDIN_URL if local else PRODUCTION_URL)
    return DadaSettings(
        app_key=key,
        app_secret=secret,
        source_id=str(source),
        base_url=base.rstrip("/"),
        timeout=float(config.get("DADA_TIMEOUT") or 8),
        local=key == STANDIN_APP_KEY,
    )


# ---- answers --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FeeQuote:
    """queryDeliverFee's answer: the fee the store pays and the number to order it with."""

    delivery_no: str
    fee_fen: int  # 实际运费: the fee less Dada's coupons
    deliver_fee_fen: int
    distance_m: int


@dataclass(frozen=True)
class DadaOrder:
    """status/query's answer."""

    order_id: str
    status: int
    status_msg: str
    rider_id: str
    rider_name: str
    rider_phone: str
    fee_fen: int  # deliveryFee: fee, tips and insurance
    actual_fee_fen: int  # actualFee: what the balance paid
    tips_fen: int
    deduct_fen: int  # 违约金 of a cancel
    distance_m: int


@dataclass(frozen=True)
class CancelReason:
    id: int
    reason: str


class DadaClient:
    def __init__(self, settings: DadaSettings) -> None:
        self.settings = settings

    def call(self, path: str, business: Any = "") -> Any:
        """One signed request; the `result` of a success, else DadaRefused / DadaUnavailable."""
        s = self.settings
        fields = envelope(business, s.app_key, s.app_secret, s.source_id)
        try:
            response = requests.post(
                s.base_url + path,
                json=fields,
                timeout=(min(3.0, s.timeout), s.timeout),
                headers={"Content-Type": "application/json"},
            )
        except requests.RequestException as exc:
            raise DadaUnavailable(f"{path}: {exc}") from exc
        if response.status_code >= 500:
            raise DadaUnavailable(f"{path}: HTTP {response.status_code}")
        try:
            answer = response.json()
        except ValueError:
            raise DadaUnavailable(f"{path}: not JSON (HTTP {response.status_code})") from None
        if not isinstance(answer, dict):
            raise DadaUnavailable(f"{path}: unexpected answer")
        if answer.get("status") != "success" or str(answer.get("code", 0)) != "0":
            raise DadaRefused(answer.get("code", response.status_code), str(answer.get("msg", "")))
        return answer.get("result")

    # --- orders ----------------------------------------------------------------------------------

    def query_deliver_fee(self, order: Mapping[str, Any]) -> FeeQuote:
        result = self.call("/api/order/queryDeliverFee", dict(order)) or {}
        return FeeQuote(
            delivery_no=str(result.get("deliveryNo", "")),
            fee_fen=yuan_to_fen(result.get("fee")),
            deliver_fee_fen=yuan_to_fen(result.get("deliverFee", result.get("fee"))),
            distance_m=int(float(result.get("distance") or 0)),
        )

    def add_after_query(self, delivery_no: str) -> None:
        self.call("/api/order/addAfterQuery", {"deliveryNo": delivery_no})

    def add_order(self, order: Mapping[str, Any]) -> int:
        """Publish directly; returns the fee in fen."""
        result = self.call("/api/order/addOrder", dict(order)) or {}
        return yuan_to_fen(result.get("fee"))

    def re_add_order(self, order: Mapping[str, Any]) -> int:
        """Publish again an order Dada cancelled, expired or failed; returns the fee in fen."""
        result = self.call("/api/order/reAddOrder", dict(order)) or {}
        return yuan_to_fen(result.get("fee"))

    def add_tip(self, order_id: str, tips_fen: int, info: str = "") -> None:
        self.call(
            "/api/order/addTip",
            {"order_id": order_id, "tips": fen_to_yuan(tips_fen), "info": info[:512]},
        )

    def formal_cancel(self, order_id: str, reason_id: int, reason: str = "") -> int:
        """Cancel; returns the 违约金 Dada deducted, in fen."""
        result = self.call(
            "/api/order/formalCancel",
            {"order_id": order_id, "cancel_reason_id": int(reason_id), "cancel_reason": reason},
        )
        return yuan_to_fen((result or {}).get("deduct_fee"))

    def cancel_reasons(self) -> list[CancelReason]:
        result = self.call("/api/order/cancel/reasons") or []
        return [
            CancelReason(int(row["id"]), str(row.get("reason", "")))
            for row in result
            if isinstance(row, dict) and str(row.get("id", "")).isdigit()
        ]

    def status(self, order_id: str) -> DadaOrder:
        result = self.call("/api/order/status/query", {"order_id": order_id}) or {}
        return DadaOrder(
            order_id=str(result.get("orderId", order_id)),
            status=int(result.get("statusCode") or 0),
            status_msg=str(result.get("statusMsg", "")),
            rider_id=str(result.get("transporterId") or ""),
            rider_name=str(result.get("transporterName") or ""),
            rider_phone=str(result.get("transporterPhone") or ""),
            fee_fen=yuan_to_fen(result.get("deliveryFee")),
            actual_fee_fen=yuan_to_fen(result.get("actualFee")),
            tips_fen=yuan_to_fen(result.get("tips")),
            deduct_fen=yuan_to_fen(result.get("deductFee")),
            distance_m=int(float(result.get("distance") or 0)),
        )

    def balance(self) -> int:
        """The merchant's delivery balance (运费账户), in fen."""
        result = self.call("/api/balance/query", {"category": 1}) or {}
        return yuan_to_fen(result.get("deliverBalance"))

    # --- the test environment's simulators (newopen.qa.imdada.cn and the stand-in) ---------------

    def simulate(self, action: str, order_id: str, reason: str = "") -> None:
        """accept, fetch, finish, cancel or expire an order as Dada's test environment does."""
        if action not in ("accept", "fetch", "finish", "cancel", "expire"):
            raise ValueError(f"unknown simulator {action}")
        business: dict[str, Any] = {"order_id": order_id}
        if action == "cancel":
            business["reason"] = reason
        self.call(f"/api/order/{action}", business)


def dada_client() -> DadaClient | None:
    settings = dada_settings()
    return DadaClient(settings) if settings else None
