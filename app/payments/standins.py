"""Local stand-ins for the payment gateways: small HTTP servers on loopback that speak each
vendor's protocol, with keys generated at start, and a "pay" page the buyer's browser opens.

    with WechatPayStandin() as wechat:
        app.config.update(wechat.settings())
        ...  # the app sends the buyer to wechat's pay page; 确认支付 notifies the app

Each verifies requests with its own implementation of the vendor's documented algorithm (never
the SDK's), so a test passing here means the real SDK signs as the vendor expects:

- WeChat Pay API v3: the merchant's `Authorization: WECHATPAY2-SHA256-RSA2048 mchid=...,
  nonce_str=...,signature=...,timestamp=...,serial_no=...` over "METHOD\\nURL\\nTS\\nNONCE\\nBODY\\n"
  with the merchant's public key; answers and notifications are signed with a generated
  platform certificate (Wechatpay-Serial/-Timestamp/-Nonce/-Signature), served encrypted at
  /v3/certificates; notification resources are AES-256-GCM with the API v3 key. H5 prepay,
  query by out_trade_no, close, refunds (and refund notifications when refunds are PROCESSING).
- Alipay openapi: RSA2 `sign` over the sorted parameters (all but `sign`); answers are
  `{"<method>_response": {...}, "sign": ...}` signed over the response object's text; async
  notifications are form posts signed over the sorted parameters (all but sign and sign_type).
  wap/page pay (the pay page), trade.query, trade.close, trade.refund.

Notifications go to the notify_url the app gave, through `deliver(url, headers, body) -> status`:
an HTTP POST by default; tests replace it with one that posts through Flask's test client. Tests
can also build a notification themselves (`payment_notification`), tamper with it, replay it,
or turn `notify_on_pay` off so the app has to query.

From the shell: `python -m app.payments.standins wechat --port 8801 --keys-dir DIR` writes the
keys as PEM files in DIR (kept across restarts) and prints the settings pointing the app at it.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import re
import secrets
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from html import escape, unescape
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.x509.oid import NameOID
from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.wrappers import Request, Response

LOOPBACK = "127.0.0.1"
Deliver = Callable[[str, dict[str, str], bytes], int]


# --- keys -----------------------------------------------------------------------------------------


def _new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _private_pem(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def _public_pem(key: rsa.RSAPrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def _load_or_make_key(path: Path | None) -> rsa.RSAPrivateKey:
    if path is not None and path.exists():
        return serialization.load_pem_private_key(path.read_bytes(), password=None)  # type: ignore[return-value]
    key = _new_key()
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(_private_pem(key))
        path.chmod(0o600)
    return key


def _sign_sha256(key: rsa.RSAPrivateKey, message: str) -> str:
    signature = key.sign(message.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(signature).decode()


def _verify_sha256(public_key, message: str, signature: str) -> bool:
    try:
        public_key.verify(
            base64.b64decode(signature, validate=True),
            message.encode("utf-8"),
            padding.PKCS1v15(),
            hashes.SHA256(),
        )
    except (InvalidSignature, ValueError):
        return False
    return True


def _yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def _fen(yuan: str) -> int:
    return int(Decimal(yuan) * 100)


def _http_deliver(url: str, headers: dict[str, str], body: bytes) -> int:
    """POST a notification the way the gateway does; the HTTP status the app answered."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return 0


class _Refused(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.status = status
        self.code = code
        self.message = message


PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body{{font-family:system-ui,sans-serif;margin:0;background:#f4f4f4;color:#222}}
main{{max-width:420px;margin:0 auto;padding:24px 16px}}
.card{{background:#fff;border-radius:12px;padding:24px;text-align:center}}
.brand{{color:{colour};font-weight:700;font-size:20px}}
.amount{{font-size:40px;font-weight:700;margin:16px 0}}
.muted{{color:#888;font-size:14px}}
button{{display:block;width:100%;padding:16px;margin-top:12px;font-size:18px;border-radius:8px;
border:0;cursor:pointer}}
.pay{{background:{colour};color:#fff}} .cancel{{background:#eee;color:#333}}
</style></head>
<body><main><div class="card">
<div class="brand">{brand}（本地模拟）</div>
<p class="muted">{merchant}</p>
<p>{subject}</p>
<div class="amount">¥{amount}</div>
<p class="muted">{state}</p>
<form method="post" action="{action}">
{fields}
<button class="pay" type="submit" name="action" value="pay"{disabled}>确认支付</button>
<button class="cancel" type="submit" name="action" value="cancel">取消</button>
</form>
</div></main></body></html>"""


class _GatewayStandin:
    """A threaded werkzeug server on a free loopback port; subclasses answer the requests."""

    vendor = ""
    brand = ""
    colour = "#333"

    def __init__(self, deliver: Deliver | None = None) -> None:
        self.trades: dict[str, dict[str, Any]] = {}
        self.deliveries: list[dict[str, Any]] = []  # notifications sent: url, status, body
        self.refused: list[str] = []  # error codes answered, newest last
        self.notify_on_pay = True  # False: paying sends no notification (the app must query)
        self.deliver: Deliver = deliver or _http_deliver
        self._lock = threading.RLock()
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    # --- life cycle -----------------------------------------------------------------------------

    def start(self, port: int = 0, host: str = LOOPBACK) -> str:
        if self._server is None:
            self._server = make_server(host, port, self._wsgi, threaded=True)
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": 0.05},
                name=f"{self.vendor}-pay-standin",
                daemon=True,
            )
            self._thread.start()
        return self.url

    def stop(self) -> None:
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    served_elsewhere: str = ""  # the URL of a twin serving the same keys in another process

    @property
    def url(self) -> str:
        if self._server is None:
            if self.served_elsewhere:
                return self.served_elsewhere
            raise RuntimeError(f"{self.vendor} pay stand-in is not started")
        return f"http://{LOOPBACK}:{self._server.server_port}"

    def _wsgi(self, environ, start_response):
        request = Request(environ)
        return self.handle(request)(environ, start_response)

    def handle(self, request: Request) -> Response:
        raise NotImplementedError

    def _refuse(self, code: str) -> None:
        with self._lock:
            self.refused.append(code)

    def _send(self, url: str, headers: dict[str, str], body: bytes) -> int:
        status = self.deliver(url, headers, body)
        with self._lock:
            self.deliveries.append({"url": url, "status": status, "headers": headers, "body": body})
        return status

    def replay(self, index: int = -1) -> int:
        """Send a notification already sent once again, byte for byte (a retry, a replay)."""
        with self._lock:
            sent = self.deliveries[index]
        return self._send(sent["url"], sent["headers"], sent["body"])

    def trade(self, out_trade_no: str) -> dict[str, Any]:
        with self._lock:
            return dict(self.trades[out_trade_no])

    def _page(self, trade: dict, action: str, fields: dict[str, str], merchant: str) -> Response:
        paid = trade["state"] in self.paid_states
        html = PAGE.format(
            title=f"{self.brand} - 本地模拟收银台",
            brand=self.brand,
            colour=self.colour,
            merchant=escape(merchant),
            subject=escape(trade.get("subject", "")),
            amount=_yuan(trade["amount"]),
            state="已支付" if paid else "",
            action=escape(action),
            fields="\n".join(
                f'<input type="hidden" name="{escape(k)}" value="{escape(v)}">'
                for k, v in fields.items()
            ),
            disabled=" disabled" if paid or trade["state"] in self.closed_states else "",
        )
        return Response(html, content_type="text/html; charset=utf-8")

    paid_states: tuple[str, ...] = ()
    closed_states: tuple[str, ...] = ()


# --- WeChat Pay API v3 -------------------------------------------------------------------------


class WechatPayStandin(_GatewayStandin):
    vendor = "wechat"
    brand = "微信支付"
    colour = "#07c160"
    paid_states = ("SUCCESS", "REFUND")
    closed_states = ("CLOSED",)
    max_skew = timedelta(minutes=5)

    def __init__(
        self,
        mchid: str = "1900000109",
        appid: str = "wxd678efh567hg6787",
        api_v3_key: str | None = None,
        refund_status: str = "SUCCESS",
        keys_dir: str | Path | None = None,
        deliver: Deliver | None = None,
    ) -> None:
        super().__init__(deliver)
        keys = Path(keys_dir) if keys_dir else None
        self.mchid = mchid
        self.appid = appid
        key_file = keys / "apiv3_key.txt" if keys else None
        if api_v3_key is None and key_file is not None and key_file.exists():
            api_v3_key = key_file.read_text().strip()
        self.api_v3_key = api_v3_key or secrets.token_hex(16)  # 32 characters
        if key_file is not None and not key_file.exists():
            key_file.write_text(self.api_v3_key)
        self.merchant_key = _load_or_make_key(keys / "apiclient_key.pem" if keys else None)
        modulus = self.merchant_key.public_key().public_numbers().n
        self.merchant_serial = hashlib.sha1(str(modulus).encode()).hexdigest().upper()
        self.refund_status = refund_status  # SUCCESS, PROCESSING or ABNORMAL
        self.pending_refund_notices: list[tuple[str, dict]] = []
        self._nonces: set[str] = set()
        self.keys_dir = keys
        self.platform: list[tuple[rsa.RSAPrivateKey, x509.Certificate]] = [
            self._platform_certificate(keys / "platform_key.pem" if keys else None)
        ]

    # --- keys -----------------------------------------------------------------------------------

    def _platform_certificate(self, key_path: Path | None = None):
        key = _load_or_make_key(key_path)
        cert_path = key_path.with_name("platform_cert.pem") if key_path else None
        if cert_path is not None and cert_path.exists():
            cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
            if cert.not_valid_after_utc > datetime.now(UTC) + timedelta(days=1):
                return key, cert  # kept: every process using these keys signs alike
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Tenpay.com Root CA (stand-in)")])
        now = datetime.now(UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=365))
            .sign(key, hashes.SHA256())
        )
        if cert_path is not None:
            cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        return key, cert

    @property
    def platform_serial(self) -> str:
        return format(self.platform[-1][1].serial_number, "X")

    @property
    def platform_cert_pem(self) -> str:
        return self.platform[0][1].public_bytes(serialization.Encoding.PEM).decode()

    def rotate_platform_certificate(self) -> str:
        """A new platform certificate signs from now on (the app must download it)."""
        with self._lock:
            self.platform.append(self._platform_certificate())
        return self.platform_serial

    def settings(self) -> dict[str, str]:
        """The settings that point the app at this stand-in."""
        return {
            "WECHATPAY_MCHID": self.mchid,
            "WECHATPAY_APPID": self.appid,
            "WECHATPAY_API_V3_KEY": self.api_v3_key,
            "WECHATPAY_PRIVATE_KEY": _private_pem(self.merchant_key),
            "WECHATPAY_CERT_SERIAL_NO": self.merchant_serial,
            "WECHATPAY_PLATFORM_CERT": self.platform_cert_pem,
            "WECHATPAY_PUBLIC_KEY": "",
            "WECHATPAY_PUBLIC_KEY_ID": "",
            "WECHATPAY_BASE_URL": self.url,
        }

    def file_settings(self) -> dict[str, str]:
        """The same settings with the keys as files in keys_dir (for the shell)."""
        assert self.keys_dir is not None
        return self.settings() | {
            "WECHATPAY_PRIVATE_KEY": str(self.keys_dir / "apiclient_key.pem"),
            "WECHATPAY_PLATFORM_CERT": str(self.keys_dir / "platform_cert.pem"),
        }

    # --- signing --------------------------------------------------------------------------------

    def signed_headers(self, body: str, key: rsa.RSAPrivateKey | None = None) -> dict[str, str]:
        """Wechatpay-* headers over this body, signed with the newest platform certificate."""
        timestamp = str(int(time.time()))
        nonce = secrets.token_hex(16).upper()
        signing_key = key or self.platform[-1][0]
        return {
            "Wechatpay-Timestamp": timestamp,
            "Wechatpay-Nonce": nonce,
            "Wechatpay-Signature": _sign_sha256(signing_key, f"{timestamp}\n{nonce}\n{body}\n"),
            "Wechatpay-Serial": self.platform_serial,
            "Wechatpay-Signature-Type": "WECHATPAY2-SHA256-RSA2048",
        }

    def _encrypt(self, plaintext: str, associated_data: str) -> dict[str, str]:
        nonce = secrets.token_hex(6)  # 12 characters, as the vendor sends
        ciphertext = AESGCM(self.api_v3_key.encode()).encrypt(
            nonce.encode(), plaintext.encode("utf-8"), associated_data.encode()
        )
        return {
            "algorithm": "AEAD_AES_256_GCM",
            "ciphertext": base64.b64encode(ciphertext).decode(),
            "associated_data": associated_data,
            "nonce": nonce,
        }

    def _json(self, payload: dict | None, status: int = 200) -> Response:
        body = json.dumps(payload, ensure_ascii=False) if payload is not None else ""
        headers = {"Request-ID": secrets.token_hex(8)} | self.signed_headers(body)
        return Response(body, status=status, headers=headers, content_type="application/json")

    def _error(self, refused: _Refused) -> Response:
        self._refuse(refused.code)
        body = json.dumps({"code": refused.code, "message": refused.message}, ensure_ascii=False)
        return Response(body, status=refused.status, content_type="application/json")

    # --- requests -------------------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        path = request.path
        try:
            if path == "/h5pay":
                return self._pay_page(request)
            self._verify(request)
            if path == "/v3/certificates" and request.method == "GET":
                return self._certificates()
            if path in ("/v3/pay/transactions/h5", "/v3/pay/transactions/native"):
                return self._prepay(request, h5=path.endswith("h5"))
            prefix = "/v3/pay/transactions/out-trade-no/"
            if path.startswith(prefix) and path.endswith("/close") and request.method == "POST":
                return self._close(path[len(prefix) : -len("/close")], request)
            if path.startswith(prefix) and request.method == "GET":
                return self._query(path[len(prefix) :], request)
            if path == "/v3/refund/domestic/refunds" and request.method == "POST":
                return self._refund(request)
            refunds = "/v3/refund/domestic/refunds/"
            if path.startswith(refunds) and request.method == "GET":
                return self._query_refund(path[len(refunds) :])
            raise _Refused(404, "NOT_FOUND", "接口不存在")
        except _Refused as refused:
            return self._error(refused)

    def _verify(self, request: Request) -> None:
        scheme, _, rest = request.headers.get("Authorization", "").partition(" ")
        if scheme != "WECHATPAY2-SHA256-RSA2048":
            raise _Refused(401, "SIGN_ERROR", "Authorization 认证类型错误")
        fields = {}
        for part in rest.split(","):
            name, sep, value = part.strip().partition("=")
            if sep:
                fields[name] = value.strip('"')
        if fields.get("mchid") != self.mchid:
            raise _Refused(401, "SIGN_ERROR", "商户号与 Authorization 不符")
        if fields.get("serial_no", "").upper() != self.merchant_serial:
            raise _Refused(401, "SIGN_ERROR", "商户证书序列号有误")
        try:
            sent = datetime.fromtimestamp(int(fields.get("timestamp", "")), UTC)
        except ValueError:
            raise _Refused(401, "SIGN_ERROR", "timestamp 格式错误") from None
        if abs(datetime.now(UTC) - sent) > self.max_skew:
            raise _Refused(401, "SIGN_ERROR", "请求已过期")
        url = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI") or request.path
        body = request.get_data(as_text=True)
        message = f"{request.method}\n{url}\n{fields['timestamp']}\n{fields.get('nonce_str', '')}\n{body}\n"
        if not _verify_sha256(self.merchant_key.public_key(), message, fields.get("signature", "")):
            raise _Refused(401, "SIGN_ERROR", "签名错误")
        with self._lock:
            nonce = fields.get("nonce_str", "")
            if nonce in self._nonces:
                raise _Refused(401, "SIGN_ERROR", "nonce_str 重复")
            self._nonces.add(nonce)

    def _certificates(self) -> Response:
        data = []
        for _key, cert in self.platform:
            pem = cert.public_bytes(serialization.Encoding.PEM).decode()
            data.append(
                {
                    "serial_no": format(cert.serial_number, "X"),
                    "effective_time": cert.not_valid_before_utc.isoformat(),
                    "expire_time": cert.not_valid_after_utc.isoformat(),
                    "encrypt_certificate": self._encrypt(pem, "certificate"),
                }
            )
        return self._json({"data": data})

    def _params(self, request: Request) -> dict:
        try:
            params = json.loads(request.get_data(as_text=True) or "{}")
        except ValueError:
            raise _Refused(400, "PARAM_ERROR", "请求体不是 JSON") from None
        if not isinstance(params, dict):
            raise _Refused(400, "PARAM_ERROR", "请求体不是 JSON 对象")
        return params

    def _prepay(self, request: Request, h5: bool) -> Response:
        params = self._params(request)
        for name in ("appid", "mchid", "description", "out_trade_no", "notify_url", "amount"):
            if not params.get(name):
                raise _Refused(400, "PARAM_ERROR", f"缺少参数 {name}")
        if params["mchid"] != self.mchid or params["appid"] != self.appid:
            raise _Refused(400, "APPID_MCHID_NOT_MATCH", "appid 和 mch_id 不匹配")
        total = params["amount"].get("total")
        if not isinstance(total, int) or total <= 0:
            raise _Refused(400, "PARAM_ERROR", "amount.total 必须是正整数（分）")
        if h5 and not (params.get("scene_info") or {}).get("h5_info"):
            raise _Refused(400, "PARAM_ERROR", "H5 支付缺少 scene_info.h5_info")
        no = params["out_trade_no"]
        with self._lock:
            trade = self.trades.get(no)
            if trade is not None and (
                trade["amount"] != total or trade["subject"] != params["description"]
            ):
                raise _Refused(400, "INVALID_REQUEST", "201 商户订单号重复")
            if trade is None:
                trade = self.trades[no] = {
                    "out_trade_no": no,
                    "amount": total,
                    "subject": params["description"],
                    "notify_url": params["notify_url"],
                    "prepay_id": "wx" + secrets.token_hex(14),
                    "state": "NOTPAY",
                    "transaction_id": "",
                    "success_time": "",
                    "refunds": {},
                    "refunded": 0,
                }
            if trade["state"] == "CLOSED":
                raise _Refused(400, "ORDER_CLOSED", "订单已关闭")
        if h5:
            return self._json({"h5_url": f"{self.url}/h5pay?prepay_id={trade['prepay_id']}"})
        return self._json({"code_url": f"weixin://wxpay/bizpayurl?pr={trade['prepay_id']}"})

    def _trade_json(self, trade: dict) -> dict:
        payload = {
            "appid": self.appid,
            "mchid": self.mchid,
            "out_trade_no": trade["out_trade_no"],
            "trade_state": trade["state"],
            "trade_state_desc": {"NOTPAY": "订单未支付", "SUCCESS": "支付成功"}.get(
                trade["state"], trade["state"]
            ),
            "amount": {"total": trade["amount"], "currency": "CNY"},
        }
        if trade["state"] in self.paid_states:
            payload |= {
                "transaction_id": trade["transaction_id"],
                "trade_type": "MWEB",
                "bank_type": "OTHERS",
                "success_time": trade["success_time"],
                "payer": {"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"},
            }
            payload["amount"] |= {"payer_total": trade["amount"], "payer_currency": "CNY"}
        return payload

    def _query(self, no: str, request: Request) -> Response:
        if request.args.get("mchid") != self.mchid:
            raise _Refused(400, "PARAM_ERROR", "mchid 有误")
        with self._lock:
            trade = self.trades.get(no)
            if trade is None:
                raise _Refused(404, "ORDER_NOT_EXIST", "订单不存在")
            return self._json(self._trade_json(trade))

    def _close(self, no: str, request: Request) -> Response:
        if self._params(request).get("mchid") != self.mchid:
            raise _Refused(400, "PARAM_ERROR", "mchid 有误")
        with self._lock:
            trade = self.trades.get(no)
            if trade is None:
                raise _Refused(404, "ORDER_NOT_EXIST", "订单不存在")
            if trade["state"] in self.paid_states:
                raise _Refused(400, "ORDER_PAID", "订单已支付")
            trade["state"] = "CLOSED"
        return self._json(None, status=204)

    def _refund(self, request: Request) -> Response:
        params = self._params(request)
        no = params.get("out_trade_no") or ""
        refund_no = params.get("out_refund_no") or ""
        amount = params.get("amount") or {}
        if not refund_no or not isinstance(amount.get("refund"), int) or amount["refund"] <= 0:
            raise _Refused(400, "PARAM_ERROR", "缺少 out_refund_no 或 amount.refund")
        with self._lock:
            trade = self.trades.get(no) or next(
                (
                    t
                    for t in self.trades.values()
                    if t["transaction_id"] == params.get("transaction_id")
                ),
                None,
            )
            if trade is None or trade["state"] not in self.paid_states:
                raise _Refused(404, "RESOURCE_NOT_EXISTS", "订单不存在或未支付")
            known = trade["refunds"].get(refund_no)
            if known is not None:  # the same out_refund_no again: the same refund
                if known["amount"]["refund"] != amount["refund"]:
                    raise _Refused(400, "INVALID_REQUEST", "同一退款单号金额不一致")
                return self._json(known)
            if amount.get("total") != trade["amount"]:
                raise _Refused(400, "INVALID_REQUEST", "订单金额与原订单不一致")
            if trade["refunded"] + amount["refund"] > trade["amount"]:
                raise _Refused(403, "NOT_ENOUGH", "申请退款金额超过订单可退金额")
            trade["refunded"] += amount["refund"]
            trade["state"] = "REFUND"
            refund = {
                "refund_id": "50" + secrets.token_hex(15),
                "out_refund_no": refund_no,
                "transaction_id": trade["transaction_id"],
                "out_trade_no": trade["out_trade_no"],
                "channel": "ORIGINAL",
                "user_received_account": "支付用户零钱",
                "status": self.refund_status,
                "create_time": _now_text(),
                "amount": {
                    "refund": amount["refund"],
                    "total": trade["amount"],
                    "payer_refund": amount["refund"],
                    "payer_total": trade["amount"],
                    "currency": "CNY",
                },
                "reason": params.get("reason", ""),
            }
            if self.refund_status == "SUCCESS":
                refund["success_time"] = _now_text()
            trade["refunds"][refund_no] = refund
            if self.refund_status == "PROCESSING" and params.get("notify_url"):
                self.pending_refund_notices.append((params["notify_url"], refund))
        return self._json(refund)

    def _query_refund(self, refund_no: str) -> Response:
        with self._lock:
            for trade in self.trades.values():
                if refund_no in trade["refunds"]:
                    return self._json(trade["refunds"][refund_no])
        raise _Refused(404, "RESOURCE_NOT_EXISTS", "退款单不存在")

    # --- the buyer's pay page ---------------------------------------------------------------------

    def _pay_page(self, request: Request) -> Response:
        prepay_id = request.values.get("prepay_id", "")
        with self._lock:
            trade = next((t for t in self.trades.values() if t["prepay_id"] == prepay_id), None)
        if trade is None:
            return Response(
                "订单不存在或已过期", status=404, content_type="text/plain; charset=utf-8"
            )
        back = request.values.get("redirect_url", "")
        if request.method == "GET":
            return self._page(
                trade,
                "/h5pay",
                {"prepay_id": prepay_id, "redirect_url": back},
                f"商户号 {self.mchid}",
            )
        if request.values.get("action") == "pay" and trade["state"] == "NOTPAY":
            self.pay(trade["out_trade_no"])
        if back:
            return Response(status=303, headers={"Location": back})
        return Response("支付完成", content_type="text/plain; charset=utf-8")

    def pay(self, out_trade_no: str) -> int | None:
        """The buyer paid: the trade is SUCCESS and (unless `notify_on_pay` is off) the app is
        notified; returns the status the app answered."""
        with self._lock:
            trade = self.trades[out_trade_no]
            if trade["state"] == "NOTPAY":
                trade["state"] = "SUCCESS"
                trade["transaction_id"] = "42" + f"{secrets.randbelow(10**26):026d}"
                trade["success_time"] = _now_text()
            url = trade["notify_url"]
        if not self.notify_on_pay:
            return None
        headers, body = self.payment_notification(out_trade_no)
        return self._send(url, headers, body)

    def payment_notification(
        self,
        out_trade_no: str,
        resource: dict | None = None,
        signing_key: rsa.RSAPrivateKey | None = None,
        api_v3_key: str | None = None,
    ) -> tuple[dict[str, str], bytes]:
        """The TRANSACTION.SUCCESS notification for this trade, as the vendor sends it.
        `resource` overrides decrypted fields (a wrong amount, another mchid); `signing_key`
        signs with another key (a forgery); `api_v3_key` encrypts with another key."""
        with self._lock:
            plain = self._trade_json(self.trades[out_trade_no]) | (resource or {})
        return self._notification(
            "TRANSACTION.SUCCESS", "transaction", "支付成功", plain, signing_key, api_v3_key
        )

    def refund_notification(self, refund: dict) -> tuple[dict[str, str], bytes]:
        plain = {
            "mchid": self.mchid,
            "out_trade_no": refund["out_trade_no"],
            "transaction_id": refund["transaction_id"],
            "out_refund_no": refund["out_refund_no"],
            "refund_id": refund["refund_id"],
            "refund_status": "SUCCESS",
            "success_time": _now_text(),
            "user_received_account": refund["user_received_account"],
            "amount": {
                "total": refund["amount"]["total"],
                "refund": refund["amount"]["refund"],
                "payer_total": refund["amount"]["payer_total"],
                "payer_refund": refund["amount"]["payer_refund"],
            },
        }
        return self._notification("REFUND.SUCCESS", "refund", "退款成功", plain)

    def send_refund_notifications(self) -> list[int]:
        """Finish the PROCESSING refunds: each becomes SUCCESS and its notification is sent."""
        with self._lock:
            pending, self.pending_refund_notices = self.pending_refund_notices, []
            for _url, refund in pending:
                refund["status"] = "SUCCESS"
                refund["success_time"] = _now_text()
        return [self._send(url, *self.refund_notification(refund)) for url, refund in pending]

    def _notification(
        self,
        event: str,
        original_type: str,
        summary: str,
        plain: dict,
        signing_key: rsa.RSAPrivateKey | None = None,
        api_v3_key: str | None = None,
    ) -> tuple[dict[str, str], bytes]:
        key, self_key = api_v3_key, self.api_v3_key
        if key is not None:
            self.api_v3_key = key
        try:
            resource = self._encrypt(json.dumps(plain, ensure_ascii=False), original_type)
        finally:
            self.api_v3_key = self_key
        body = json.dumps(
            {
                "id": str(_uuid()),
                "create_time": _now_text(),
                "resource_type": "encrypt-resource",
                "event_type": event,
                "summary": summary,
                "resource": resource | {"original_type": original_type},
            },
            ensure_ascii=False,
        )
        headers = {"Content-Type": "application/json"} | self.signed_headers(body, signing_key)
        return headers, body.encode("utf-8")


def _uuid() -> str:
    return "EV-" + secrets.token_hex(16)


def _now_text() -> str:
    return datetime.now(UTC).astimezone().isoformat(timespec="seconds")


# --- Alipay ----------------------------------------------------------------------------------------


class AlipayStandin(_GatewayStandin):
    vendor = "alipay"
    brand = "支付宝"
    colour = "#1677ff"
    paid_states = ("TRADE_SUCCESS", "TRADE_FINISHED")
    closed_states = ("TRADE_CLOSED",)
    pay_methods = ("alipay.trade.wap.pay", "alipay.trade.page.pay")

    def __init__(
        self,
        appid: str = "2021000000000000",
        seller_id: str = "2088000000000000",
        keys_dir: str | Path | None = None,
        deliver: Deliver | None = None,
    ) -> None:
        super().__init__(deliver)
        keys = Path(keys_dir) if keys_dir else None
        self.appid = appid
        self.seller_id = seller_id
        self.keys_dir = keys
        self.app_key = _load_or_make_key(keys / "app_private_key.pem" if keys else None)
        self.alipay_key = _load_or_make_key(keys / "alipay_private_key.pem" if keys else None)

    def settings(self) -> dict[str, str]:
        return {
            "ALIPAY_APPID": self.appid,
            "ALIPAY_APP_PRIVATE_KEY": _private_pem(self.app_key),
            "ALIPAY_PUBLIC_KEY": _public_pem(self.alipay_key),
            "ALIPAY_GATEWAY_URL": f"{self.url}/gateway.do",
        }

    def file_settings(self) -> dict[str, str]:
        assert self.keys_dir is not None
        public = self.keys_dir / "alipay_public_key.pem"
        public.write_text(_public_pem(self.alipay_key))
        return self.settings() | {
            "ALIPAY_APP_PRIVATE_KEY": str(self.keys_dir / "app_private_key.pem"),
            "ALIPAY_PUBLIC_KEY": str(public),
        }

    # --- signing --------------------------------------------------------------------------------

    @staticmethod
    def _content(params: dict[str, str], leave_out: tuple[str, ...]) -> str:
        return "&".join(
            f"{k}={v}" for k, v in sorted(params.items()) if k not in leave_out and v != ""
        )

    def sign_params(self, params: dict[str, str], key: rsa.RSAPrivateKey | None = None) -> dict:
        """A notification or return: signed over all but sign and sign_type."""
        params = {k: v for k, v in params.items() if v != ""} | {"sign_type": "RSA2"}
        content = self._content(params, ("sign", "sign_type"))
        return params | {"sign": _sign_sha256(key or self.alipay_key, content)}

    def _answer(self, method: str, payload: dict) -> Response:
        name = method.replace(".", "_") + "_response"
        inner = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
        sign = _sign_sha256(self.alipay_key, inner)
        text = f'{{"{name}":{inner},"sign":"{sign}"}}'
        return Response(text, content_type="application/json; charset=utf-8")

    @staticmethod
    def _failure(code: str, msg: str, sub_code: str, sub_msg: str) -> dict:
        return {"code": code, "msg": msg, "sub_code": sub_code, "sub_msg": sub_msg}

    # --- requests -------------------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        if request.path == "/alipay/pay" and request.method == "POST":
            return self._paid_by_buyer(request)
        if request.path != "/gateway.do":
            return Response("not found", status=404)
        params = dict(request.values.items())
        method = params.get("method", "")
        failure = self._verify(params)
        if method in self.pay_methods:
            if failure:
                return Response(
                    f"错误代码 {failure['sub_code']}：{failure['sub_msg']}",
                    status=400,
                    content_type="text/plain; charset=utf-8",
                )
            return self._cashier(params)
        if failure:
            return self._answer(method or "error", failure)
        try:
            biz = json.loads(params.get("biz_content") or "{}")
        except ValueError:
            biz = {}
        handler = {
            "alipay.trade.query": self._query,
            "alipay.trade.close": self._close,
            "alipay.trade.refund": self._refund,
        }.get(method)
        if handler is None:
            self._refuse("isv.invalid-method")
            return self._answer(
                "error",
                self._failure("40002", "Invalid Arguments", "isv.invalid-method", "不存在的方法名"),
            )
        return self._answer(method, handler(biz))

    def _verify(self, params: dict[str, str]) -> dict | None:
        """Alipay's checks of a signed request; the failure payload, or None."""
        if params.get("app_id") != self.appid:
            self._refuse("isv.invalid-app-id")
            return self._failure(
                "40002", "Invalid Arguments", "isv.invalid-app-id", "无效的AppID参数"
            )
        if params.get("sign_type") != "RSA2":
            self._refuse("isv.invalid-signature-type")
            return self._failure(
                "40002", "Invalid Arguments", "isv.invalid-signature-type", "无效的签名类型"
            )
        content = self._content(params, ("sign",))
        if not _verify_sha256(self.app_key.public_key(), content, params.get("sign", "")):
            self._refuse("isv.invalid-signature")
            return self._failure("40002", "Invalid Arguments", "isv.invalid-signature", "验签出错")
        return None

    def _cashier(self, params: dict[str, str]) -> Response:
        try:
            biz = json.loads(params.get("biz_content") or "{}")
            amount = _fen(biz["total_amount"])
            no = biz["out_trade_no"]
        except (ValueError, KeyError, ArithmeticError):
            return Response("参数错误", status=400, content_type="text/plain; charset=utf-8")
        with self._lock:
            trade = self.trades.get(no)
            if trade is not None and trade["amount"] != amount:
                return Response(
                    "交易信息被篡改", status=400, content_type="text/plain; charset=utf-8"
                )
            if trade is None:
                trade = self.trades[no] = {
                    "out_trade_no": no,
                    "amount": amount,
                    "subject": biz.get("subject", ""),
                    "notify_url": params.get("notify_url", ""),
                    "return_url": params.get("return_url", ""),
                    "state": "WAIT_BUYER_PAY",
                    "trade_no": "",
                    "refunds": {},
                    "refunded": 0,
                    "gmt_payment": "",
                }
        return self._page(trade, "/alipay/pay", {"out_trade_no": no}, f"应用 {self.appid}")

    def _paid_by_buyer(self, request: Request) -> Response:
        no = request.form.get("out_trade_no", "")
        with self._lock:
            trade = self.trades.get(no)
        if trade is None:
            return Response("交易不存在", status=404, content_type="text/plain; charset=utf-8")
        if request.form.get("action") == "pay" and trade["state"] == "WAIT_BUYER_PAY":
            self.pay(no)
        back = trade.get("return_url")
        if not back:
            return Response("支付完成", content_type="text/plain; charset=utf-8")
        with self._lock:
            trade = dict(self.trades[no])
        if trade["state"] in self.paid_states:
            query = urlencode(
                self.sign_params(
                    {
                        "app_id": self.appid,
                        "method": "alipay.trade.wap.pay.return",
                        "charset": "utf-8",
                        "version": "1.0",
                        "timestamp": _alipay_now(),
                        "out_trade_no": no,
                        "trade_no": trade["trade_no"],
                        "total_amount": _yuan(trade["amount"]),
                        "seller_id": self.seller_id,
                    }
                )
            )
            sep = "&" if urlsplit(back).query else "?"
            back = f"{back}{sep}{query}"
        return Response(status=303, headers={"Location": back})

    def pay(self, out_trade_no: str) -> int | None:
        with self._lock:
            trade = self.trades[out_trade_no]
            if trade["state"] == "WAIT_BUYER_PAY":
                trade["state"] = "TRADE_SUCCESS"
                trade["trade_no"] = f"2026{secrets.randbelow(10**24):024d}"
                trade["gmt_payment"] = _alipay_now()
            url = trade["notify_url"]
        if not self.notify_on_pay or not url:
            return None
        headers, body = self.payment_notification(out_trade_no)
        return self._send(url, headers, body)

    def payment_notification(
        self,
        out_trade_no: str,
        fields: dict | None = None,
        signing_key: rsa.RSAPrivateKey | None = None,
    ) -> tuple[dict[str, str], bytes]:
        """The trade_status_sync notification (a form post) for this trade; `fields` override
        values before signing (a wrong amount, another app_id), `signing_key` forges it."""
        with self._lock:
            trade = dict(self.trades[out_trade_no])
        params = {
            "notify_time": _alipay_now(),
            "notify_type": "trade_status_sync",
            "notify_id": secrets.token_hex(16),
            "app_id": self.appid,
            "charset": "utf-8",
            "version": "1.0",
            "trade_no": trade["trade_no"],
            "out_trade_no": out_trade_no,
            "seller_id": self.seller_id,
            "trade_status": trade["state"],
            "total_amount": _yuan(trade["amount"]),
            "receipt_amount": _yuan(trade["amount"]),
            "buyer_pay_amount": _yuan(trade["amount"]),
            "subject": trade["subject"],
            "gmt_create": trade["gmt_payment"],
            "gmt_payment": trade["gmt_payment"],
        } | (fields or {})
        body = urlencode(self.sign_params(params, signing_key)).encode()
        return {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}, body

    def _query(self, biz: dict) -> dict:
        with self._lock:
            trade = self.trades.get(biz.get("out_trade_no", ""))
            if trade is None:
                return self._failure(
                    "40004", "Business Failed", "ACQ.TRADE_NOT_EXIST", "交易不存在"
                )
            answer = {
                "code": "10000",
                "msg": "Success",
                "out_trade_no": trade["out_trade_no"],
                "trade_status": trade["state"],
                "total_amount": _yuan(trade["amount"]),
                "buyer_logon_id": "159****5620",
            }
            if trade["trade_no"]:
                answer |= {"trade_no": trade["trade_no"], "send_pay_date": trade["gmt_payment"]}
            return answer

    def _close(self, biz: dict) -> dict:
        with self._lock:
            trade = self.trades.get(biz.get("out_trade_no", ""))
            if trade is None:
                return self._failure(
                    "40004", "Business Failed", "ACQ.TRADE_NOT_EXIST", "交易不存在"
                )
            if trade["state"] != "WAIT_BUYER_PAY":
                return self._failure(
                    "40004", "Business Failed", "ACQ.TRADE_STATUS_ERROR", "交易状态不合法"
                )
            trade["state"] = "TRADE_CLOSED"
            return {"code": "10000", "msg": "Success", "out_trade_no": trade["out_trade_no"]}

    def _refund(self, biz: dict) -> dict:
        with self._lock:
            trade = self.trades.get(biz.get("out_trade_no", ""))
            if trade is None:
                return self._failure(
                    "40004", "Business Failed", "ACQ.TRADE_NOT_EXIST", "交易不存在"
                )
            if trade["state"] not in self.paid_states:
                return self._failure(
                    "40004", "Business Failed", "ACQ.TRADE_STATUS_ERROR", "交易状态不合法"
                )
            try:
                amount = _fen(biz["refund_amount"])
            except (KeyError, ArithmeticError, ValueError):
                return self._failure(
                    "40002", "Invalid Arguments", "isv.invalid-parameter", "refund_amount 有误"
                )
            request_no = biz.get("out_request_no") or trade["out_trade_no"]
            fund_change = "N"
            if request_no not in trade["refunds"]:
                if trade["refunded"] + amount > trade["amount"]:
                    return self._failure(
                        "40004",
                        "Business Failed",
                        "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL",
                        "退款金额超限",
                    )
                trade["refunds"][request_no] = amount
                trade["refunded"] += amount
                fund_change = "Y"
            return {
                "code": "10000",
                "msg": "Success",
                "trade_no": trade["trade_no"],
                "out_trade_no": trade["out_trade_no"],
                "buyer_logon_id": "159****5620",
                "fund_change": fund_change,
                "refund_fee": _yuan(trade["refunded"]),
            }


def _alipay_now() -> str:
    return datetime.now(UTC).astimezone().strftime("%Y-%m-%d %H:%M:%S")


def hidden_fields(page_html: str) -> dict[str, str]:
    """The hidden fields of a stand-in pay page (tests press its buttons with them)."""
    return {k: unescape(v) for k, v in re.findall(r'name="([^"]+)" value="([^"]*)"', page_html)}


def parse_form(body: bytes) -> dict[str, str]:
    return dict(parse_qsl(body.decode()))


# --- shell -------------------------------------------------------------------------------------------

STANDINS = {"wechat": WechatPayStandin, "alipay": AlipayStandin}


def start_standin(
    vendor: str, port: int = 0, keys_dir: str | Path | None = None, host: str = LOOPBACK
):
    """Start one stand-in (keys kept in keys_dir/vendor when given); returns it, started."""
    folder = Path(keys_dir) / vendor if keys_dir else None
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
    standin = STANDINS[vendor](keys_dir=folder)
    standin.start(port, host)
    return standin


DEVELOPMENT_PORTS = {"wechat": 8801, "alipay": 8802}


def start_development_standins(config: dict, keys_dir: str | Path) -> list:
    """`make run` (development only): both stand-ins on their fixed loopback ports, keys kept in
    keys_dir, and the app's settings pointed at them (config is updated in place). A port
    already taken (the reloader's other process, a stand-in started from the shell with the
    same keys_dir) is used as it is: the settings are the same, read from the same keys."""
    running = []
    for vendor, port in DEVELOPMENT_PORTS.items():
        folder = Path(keys_dir) / vendor
        folder.mkdir(parents=True, exist_ok=True)
        standin = STANDINS[vendor](keys_dir=folder)
        try:
            standin.start(port)
            running.append(standin)
        except (OSError, SystemExit):  # in use (werkzeug exits): a twin with these keys serves it
            standin.served_elsewhere = f"http://{LOOPBACK}:{port}"
        config.update(standin.file_settings())
    return running


def serve_forever(vendor: str, port: int = 0, keys_dir: str | None = None) -> None:
    """Run stand-ins in the foreground and print the settings that point the app at them."""
    vendors = sorted(STANDINS) if vendor == "all" else [vendor]
    running = []
    for index, name in enumerate(vendors):
        standin = start_standin(name, port + index if port else 0, keys_dir)
        running.append(standin)
        settings = standin.file_settings() if keys_dir else standin.settings()
        for key, value in settings.items():
            print(f"{key}={json.dumps(value) if chr(10) in value else value}")
        print(f"# {name} pay stand-in on {standin.url}; Ctrl-C stops it", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        for standin in running:
            standin.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=serve_forever.__doc__)
    parser.add_argument("vendor", choices=[*sorted(STANDINS), "all"])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--keys-dir", default=None, help="keep the keys here as PEM files")
    options = parser.parse_args()
    serve_forever(options.vendor, options.port, options.keys_dir)
