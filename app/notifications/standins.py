"""Local stand-ins for the SMS vendors: small HTTP servers on loopback that speak each vendor's
protocol, verify the signed request themselves, and record what they accepted.

    with AliyunSmsStandin("dev-key", "dev-secret") as aliyun:
        provider = build_provider({**aliyun.settings(), "ALIYUN_SMS_SIGN_NAME": "...", ...})
        provider.send(...)
        aliyun.messages  # [{"phone", "sign", "template_code", "params"}]

Each verifies the signature with its own implementation of the vendor's documented algorithm
(never the SDK's signer), so a test passing here means the real SDK signs as the vendor expects:

- Aliyun (dysmsapi 2017-05-25): the V3 header signature ACS3-HMAC-SHA256 that
  `alibabacloud-tea-openapi` 0.4 sends by default.
- Tencent Cloud (sms 2021-01-11): TC3-HMAC-SHA256.

From the shell: `python -m app.notifications.standins aliyun --port 8701` prints the settings to
point the app at it.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import secrets
import threading
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.wrappers import Request, Response

from app.notifications.templates import SMS_TEMPLATES

LOOPBACK = "127.0.0.1"


class _Refused(Exception):
    """The stand-in turns the request away with the vendor's error shape."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status


def _sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _hmac_sha256(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode("utf-8"), hashlib.sha256).digest()


def _auth_fields(value: str) -> dict[str, str]:
    """`Credential=..., SignedHeaders=..., Signature=...` (either comma style) -> dict."""
    fields = {}
    for part in value.split(","):
        key, sep, val = part.strip().partition("=")
        if sep:
            fields[key.strip()] = val.strip()
    return fields


class _SmsStandin:
    """A threaded werkzeug server on a free loopback port; subclasses answer the requests."""

    vendor = ""

    def __init__(self, refuse_phones: Iterable[str] = ()) -> None:
        self.messages: list[dict[str, Any]] = []
        self.refuse_phones: set[str] = set(refuse_phones)
        self.requests_refused: list[str] = []  # the error codes sent back, newest last
        self._lock = threading.Lock()
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    # --- life cycle ---------------------------------------------------------------------------

    def start(self, port: int = 0) -> str:
        """Listen on loopback (a free port unless given); return "127.0.0.1:port"."""
        if self._server is None:
            self._server = make_server(LOOPBACK, port, self._wsgi, threaded=True)
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": 0.05},  # so that stop() returns at once
                name=f"{self.vendor}-sms-standin",
                daemon=True,
            )
            self._thread.start()
        return self.endpoint

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

    @property
    def endpoint(self) -> str:
        if self._server is None:
            raise RuntimeError(f"{self.vendor} SMS stand-in is not started")
        return f"{LOOPBACK}:{self._server.server_port}"

    @property
    def url(self) -> str:
        return f"http://{self.endpoint}"

    # --- requests -----------------------------------------------------------------------------

    def _wsgi(self, environ, start_response):
        request = Request(environ)
        return self.handle(request)(environ, start_response)

    def handle(self, request: Request) -> Response:
        raise NotImplementedError

    def _record(self, message: dict[str, Any]) -> None:
        with self._lock:
            self.messages.append(message)

    def _note_refusal(self, code: str) -> None:
        with self._lock:
            self.requests_refused.append(code)

    def _refuses(self, phone: str) -> bool:
        bare = phone[3:] if phone.startswith("+86") else phone
        return phone in self.refuse_phones or bare in self.refuse_phones

    @staticmethod
    def _json(payload: dict, status: int = 200, content_type: str = "application/json") -> Response:
        return Response(
            json.dumps(payload, ensure_ascii=False), status=status, content_type=content_type
        )


# --- Aliyun -------------------------------------------------------------------------------------


def _acs3_encode(value: str) -> str:
    """RFC 3986 percent-encoding, UTF-8; only A-Z a-z 0-9 - _ . ~ stay as they are."""
    return quote(value, safe="-_.~")


def _dev_template_codes(prefix: str) -> str:
    """A template code per template of ours, for a development set-up against a stand-in."""
    return json.dumps({name: f"{prefix}{n:04d}" for n, name in enumerate(SMS_TEMPLATES, 1)})


class AliyunSmsStandin(_SmsStandin):
    """Aliyun dysmsapi (2017-05-25) SendSms over the V3 signature ACS3-HMAC-SHA256.

    Verifies: the Authorization header (algorithm, AccessKeyId, SignedHeaders covering host and
    the x-acs-* headers, Signature recomputed from the canonical request: method, URI, sorted
    RFC 3986 query, signed headers, SHA-256 of the body as received), x-acs-content-sha256
    against the body, x-acs-date within 15 minutes, x-acs-signature-nonce used once, and the
    action/version. Answers like the vendor: HTTP 4xx with {"Code", "Message", "RequestId"} for
    a refused request, HTTP 200 with Code "OK" and a BizId, or a business Code such as
    "isv.MOBILE_NUMBER_ILLEGAL" for a phone in `refuse_phones`.
    """

    vendor = "aliyun"
    algorithm = "ACS3-HMAC-SHA256"
    must_sign = (
        "host",
        "x-acs-action",
        "x-acs-content-sha256",
        "x-acs-date",
        "x-acs-signature-nonce",
        "x-acs-version",
    )
    max_skew = timedelta(minutes=15)

    def __init__(
        self, access_key_id: str, access_key_secret: str, refuse_phones: Iterable[str] = ()
    ) -> None:
        super().__init__(refuse_phones)
        self.access_key_id = access_key_id
        self.access_key_secret = access_key_secret
        self._nonces: set[str] = set()

    def settings(self) -> dict[str, str]:
        """The provider settings that point the app at this stand-in."""
        return {
            "SMS_PROVIDER": "aliyun",
            "ALIYUN_SMS_ACCESS_KEY_ID": self.access_key_id,
            "ALIYUN_SMS_ACCESS_KEY_SECRET": self.access_key_secret,
            "ALIYUN_SMS_ENDPOINT": self.endpoint,
            "ALIYUN_SMS_PROTOCOL": "http",
            "ALIYUN_SMS_SIGN_NAME": "好商",
            "ALIYUN_SMS_TEMPLATES": _dev_template_codes("SMS_DEV_"),
        }

    def handle(self, request: Request) -> Response:
        request_id = str(uuid.uuid4()).upper()
        try:
            self._verify(request)
            return self._json(self._send_sms(request, request_id) | {"RequestId": request_id})
        except _Refused as refused:
            self._note_refusal(refused.code)
            payload = {
                "Code": refused.code,
                "Message": refused.message,
                "RequestId": request_id,
                "HostId": request.host,
            }
            return self._json(payload, refused.status, "application/json;charset=utf-8")

    def _verify(self, request: Request) -> None:
        scheme, _, rest = request.headers.get("Authorization", "").partition(" ")
        if scheme != self.algorithm:
            raise _Refused(
                "IncompleteSignature", "The request signature does not conform to Aliyun standards."
            )
        fields = _auth_fields(rest)
        credential = fields.get("Credential", "")
        signed = fields.get("SignedHeaders", "")
        signature = fields.get("Signature", "")
        if not (credential and signed and signature):
            raise _Refused(
                "IncompleteSignature", "The request signature does not conform to Aliyun standards."
            )
        if credential != self.access_key_id:
            raise _Refused("InvalidAccessKeyId.NotFound", "Specified access key is not found.", 404)
        signed_names = signed.split(";")
        if signed_names != sorted(set(signed_names)) or any(n != n.lower() for n in signed_names):
            raise _Refused("IncompleteSignature", "SignedHeaders must be lowercase and sorted.")
        unsigned = [name for name in self.must_sign if name not in signed_names]
        if unsigned:
            raise _Refused("IncompleteSignature", f"Headers not signed: {', '.join(unsigned)}.")
        absent = [name for name in signed_names if name not in request.headers]
        if absent:
            raise _Refused("IncompleteSignature", f"Signed headers missing: {', '.join(absent)}.")

        body = request.get_data(cache=True)
        body_hash = _sha256_hex(body)
        if request.headers["x-acs-content-sha256"].strip() != body_hash:
            raise _Refused(
                "SignatureDoesNotMatch", "The x-acs-content-sha256 does not match the body."
            )
        query = "&".join(
            f"{_acs3_encode(key)}={_acs3_encode(value)}"
            for key, value in sorted(request.args.items(multi=True))
        )
        headers = "".join(f"{name}:{request.headers[name].strip()}\n" for name in signed_names)
        canonical = "\n".join(
            [request.method, request.path or "/", query, headers, signed, body_hash]
        )
        string_to_sign = f"{self.algorithm}\n{_sha256_hex(canonical.encode('utf-8'))}"
        expected = _hmac_sha256(self.access_key_secret.encode("utf-8"), string_to_sign).hex()
        if not hmac.compare_digest(expected, signature.lower()):
            raise _Refused(
                "SignatureDoesNotMatch", "Specified signature does not match our calculation."
            )

        try:
            sent_at = datetime.strptime(request.headers["x-acs-date"], "%Y-%m-%dT%H:%M:%SZ")
        except ValueError:
            raise _Refused(
                "InvalidTimeStamp.Format", "Specified time stamp is not valid."
            ) from None
        if abs(datetime.now(UTC) - sent_at.replace(tzinfo=UTC)) > self.max_skew:
            raise _Refused(
                "InvalidTimeStamp.Expired", "Specified time stamp or date value is expired."
            )
        nonce = request.headers["x-acs-signature-nonce"]
        with self._lock:
            if nonce in self._nonces:
                raise _Refused("SignatureNonceUsed", "Specified signature nonce was used already.")
            self._nonces.add(nonce)

        action = request.headers["x-acs-action"]
        version = request.headers["x-acs-version"]
        if action != "SendSms" or version != "2017-05-25":
            raise _Refused(
                "InvalidAction.NotFound", f"Specified api {action} {version} is not found.", 404
            )

    def _send_sms(self, request: Request, request_id: str) -> dict[str, str]:
        params = request.args.to_dict() | request.form.to_dict()
        for name in ("PhoneNumbers", "SignName", "TemplateCode"):
            if not params.get(name):
                raise _Refused(f"Missing{name}", f"{name} is mandatory for this action.")
        template_params: dict[str, Any] = {}
        if params.get("TemplateParam"):
            try:
                template_params = json.loads(params["TemplateParam"])
            except ValueError:
                template_params = None  # type: ignore[assignment]
            if not isinstance(template_params, dict):
                return {
                    "Code": "isv.INVALID_JSON_PARAM",
                    "Message": "JSON参数不合法，只接受字符串值",
                }
        phones = params["PhoneNumbers"].split(",")
        for phone in phones:
            if self._refuses(phone):
                return {"Code": "isv.MOBILE_NUMBER_ILLEGAL", "Message": "非法手机号"}
        for phone in phones:
            self._record(
                {
                    "phone": phone,
                    "sign": params["SignName"],
                    "template_code": params["TemplateCode"],
                    "params": template_params,
                }
            )
        biz_id = f"{secrets.randbelow(10**18):018d}^0"
        return {"Code": "OK", "Message": "OK", "BizId": biz_id}


# --- Tencent Cloud ------------------------------------------------------------------------------


class TencentSmsStandin(_SmsStandin):
    """Tencent Cloud SMS (2021-01-11) SendSms over TC3-HMAC-SHA256.

    Verifies: the Authorization header (algorithm, SecretId, credential scope
    date/service/tc3_request with the date of X-TC-Timestamp and service "sms", SignedHeaders
    covering content-type and host, Signature recomputed from the canonical request: method, URI,
    query, lowercase signed headers, SHA-256 of the body as received, signed with the key derived
    from "TC3" + SecretKey, date, service, "tc3_request"), X-TC-Timestamp within 5 minutes, the
    action/version/region headers and, when given, the SmsSdkAppId. Answers like the vendor:
    HTTP 200 with Response.Error for a refused request (e.g. AuthFailure.SignatureFailure), or
    Response.SendStatusSet with Code "Ok" and a SerialNo per phone, or
    "FailedOperation.PhoneNumberInBlacklist" for a phone in `refuse_phones`.
    """

    vendor = "tencent"
    algorithm = "TC3-HMAC-SHA256"
    service = "sms"
    must_sign = ("content-type", "host")
    max_skew = timedelta(minutes=5)

    def __init__(
        self,
        secret_id: str,
        secret_key: str,
        sdk_app_id: str | None = None,
        refuse_phones: Iterable[str] = (),
    ) -> None:
        super().__init__(refuse_phones)
        self.secret_id = secret_id
        self.secret_key = secret_key
        self.sdk_app_id = sdk_app_id

    def settings(self) -> dict[str, str]:
        """The provider settings that point the app at this stand-in."""
        settings = {
            "SMS_PROVIDER": "tencent",
            "TENCENT_SMS_SECRET_ID": self.secret_id,
            "TENCENT_SMS_SECRET_KEY": self.secret_key,
            "TENCENT_SMS_ENDPOINT": self.endpoint,
            "TENCENT_SMS_PROTOCOL": "http",
            "TENCENT_SMS_SIGN_NAME": "好商",
            "TENCENT_SMS_SDK_APP_ID": self.sdk_app_id or "1400000000",
            "TENCENT_SMS_TEMPLATES": _dev_template_codes("10"),
        }
        return settings

    def handle(self, request: Request) -> Response:
        request_id = str(uuid.uuid4())
        try:
            self._verify(request)
            payload = self._send_sms(request)
        except _Refused as refused:
            self._note_refusal(refused.code)
            payload = {"Error": {"Code": refused.code, "Message": refused.message}}
        return self._json({"Response": payload | {"RequestId": request_id}})

    def _verify(self, request: Request) -> None:
        scheme, _, rest = request.headers.get("Authorization", "").partition(" ")
        if scheme != self.algorithm:
            raise _Refused(
                "AuthFailure.InvalidAuthorization",
                "Authorization header is not in the TC3-HMAC-SHA256 format.",
            )
        fields = _auth_fields(rest)
        scope_parts = fields.get("Credential", "").split("/")
        signed = fields.get("SignedHeaders", "")
        signature = fields.get("Signature", "")
        if len(scope_parts) != 4 or not signed or not signature:
            raise _Refused("AuthFailure.InvalidAuthorization", "Authorization header is invalid.")
        secret_id, date, service, terminator = scope_parts
        if secret_id != self.secret_id:
            raise _Refused(
                "AuthFailure.SecretIdNotFound",
                "The SecretId is not found, please ensure that your SecretId is correct.",
            )
        try:
            timestamp = int(request.headers.get("X-TC-Timestamp", ""))
        except ValueError:
            raise _Refused(
                "AuthFailure.InvalidAuthorization", "X-TC-Timestamp is missing or invalid."
            ) from None
        sent_at = datetime.fromtimestamp(timestamp, UTC)
        if abs(datetime.now(UTC) - sent_at) > self.max_skew:
            raise _Refused(
                "AuthFailure.SignatureExpire",
                "Signature expired. Timestamp and server time cannot exceed five minutes.",
            )
        if (
            terminator != "tc3_request"
            or service != self.service
            or date != sent_at.strftime("%Y-%m-%d")
        ):
            raise _Refused(
                "AuthFailure.SignatureFailure",
                f"The credential scope {'/'.join(scope_parts[1:])} is not valid for this request.",
            )
        signed_names = signed.split(";")
        unsigned = [name for name in self.must_sign if name not in signed_names]
        absent = [name for name in signed_names if name not in request.headers]
        if unsigned or absent or signed_names != sorted(signed_names):
            raise _Refused(
                "AuthFailure.SignatureFailure",
                "SignedHeaders must list content-type and host, sorted, all present.",
            )

        if request.method != "POST":
            raise _Refused("UnsupportedProtocol", "This stand-in takes POST with a JSON body.")
        payload_hash = _sha256_hex(request.get_data(cache=True))
        query = request.query_string.decode("utf-8")
        headers = "".join(
            f"{name}:{request.headers[name].strip().lower()}\n" for name in signed_names
        )
        canonical = "\n".join(
            [request.method, request.path or "/", query, headers, signed, payload_hash]
        )
        scope = f"{date}/{service}/{terminator}"
        string_to_sign = "\n".join(
            [self.algorithm, str(timestamp), scope, _sha256_hex(canonical.encode("utf-8"))]
        )
        key = ("TC3" + self.secret_key).encode("utf-8")
        for part in (date, service, terminator):
            key = _hmac_sha256(key, part)
        expected = _hmac_sha256(key, string_to_sign).hex()
        if not hmac.compare_digest(expected, signature.lower()):
            raise _Refused(
                "AuthFailure.SignatureFailure",
                "The provided credentials could not be validated. "
                "Please check your signature is correct.",
            )

        action = request.headers.get("X-TC-Action", "")
        if action != "SendSms":
            raise _Refused("InvalidAction", f"The action {action!r} does not exist.")
        version = request.headers.get("X-TC-Version", "")
        if version != "2021-01-11":
            raise _Refused("NoSuchVersion", f"The API version {version!r} does not exist.")
        if not request.headers.get("X-TC-Region"):
            raise _Refused(
                "MissingParameter", "The request is missing a required parameter `Region`."
            )

    def _send_sms(self, request: Request) -> dict[str, Any]:
        try:
            params = json.loads(request.get_data(cache=True) or b"{}")
        except ValueError:
            raise _Refused("InvalidParameter", "The request body is not valid JSON.") from None
        if not isinstance(params, dict):
            raise _Refused("InvalidParameter", "The request body is not a JSON object.")
        for name in ("PhoneNumberSet", "SmsSdkAppId", "TemplateId"):
            if not params.get(name):
                raise _Refused("MissingParameter", f"The request is missing `{name}`.")
        if self.sdk_app_id and params["SmsSdkAppId"] != self.sdk_app_id:
            raise _Refused("InvalidParameterValue.SdkAppIdNotExist", "SdkAppId not exist.")
        template_params = params.get("TemplateParamSet") or []
        if not all(isinstance(value, str) for value in template_params):
            raise _Refused(
                "InvalidParameterValue.TemplateParameterFormatError",
                "TemplateParamSet must be a list of strings.",
            )
        statuses = []
        for phone in params["PhoneNumberSet"]:
            status = {
                "SerialNo": "",
                "PhoneNumber": phone,
                "Fee": 0,
                "SessionContext": params.get("SessionContext", ""),
                "IsoCode": "CN" if phone.startswith("+86") else "",
            }
            if self._refuses(phone):
                status |= {
                    "Code": "FailedOperation.PhoneNumberInBlacklist",
                    "Message": "phone number in blacklist",
                }
            else:
                self._record(
                    {
                        "phone": phone,
                        "sign": params.get("SignName", ""),
                        "template_code": params["TemplateId"],
                        "params": list(template_params),
                        "app_id": params["SmsSdkAppId"],
                    }
                )
                serial = f"{secrets.randbelow(10**4)}:{secrets.token_hex(12)}"
                status |= {"SerialNo": serial, "Fee": 1, "Code": "Ok", "Message": "send success"}
            statuses.append(status)
        return {"SendStatusSet": statuses}


# --- shell ----------------------------------------------------------------------------------------

STANDINS = {"aliyun": AliyunSmsStandin, "tencent": TencentSmsStandin}


def serve_forever(vendor: str, port: int = 0, key_id: str = "dev", key_secret: str = "dev") -> None:
    """Run one stand-in in the foreground and print the settings that point the app at it."""
    standin = STANDINS[vendor](key_id, key_secret)
    standin.start(port)
    for name, value in standin.settings().items():
        print(f"{name}={value}")
    print(f"# {vendor} SMS stand-in on {standin.url}; Ctrl-C stops it", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        standin.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=serve_forever.__doc__)
    parser.add_argument("vendor", choices=sorted(STANDINS))
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--key-id", default="dev")
    parser.add_argument("--key-secret", default="dev")
    options = parser.parse_args()
    serve_forever(options.vendor, options.port, options.key_id, options.key_secret)
