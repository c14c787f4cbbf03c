"""SMS providers behind one adapter pattern (ARCHITECTURE rule 9).

`SMS` is the registry; `build_provider(config)` builds the one named by `SMS_PROVIDER` ("log" by
default) from the settings mapping (the Flask config or the environment). The vendors are called
through their maintained SDKs; `app.notifications.standins` speaks each vendor's protocol on
loopback for development and tests.

A provider sends by *our* template name: the vendors get their template code (mapped in the
settings) and the parameters, the log provider writes the rendered Chinese text.
"""

from __future__ import annotations

import json
import logging
import string
import uuid
from collections import deque
from collections.abc import Mapping
from typing import Any, Protocol

from alibabacloud_dysmsapi20170525 import models as aliyun_models
from alibabacloud_dysmsapi20170525.client import Client as AliyunSmsClient
from alibabacloud_tea_openapi.utils_models import Config as AliyunConfig
from Tea.exceptions import TeaException
from tencentcloud.common.credential import Credential as TencentCredential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile as TencentClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile as TencentHttpProfile
from tencentcloud.sms.v20210111 import models as tencent_models
from tencentcloud.sms.v20210111.sms_client import SmsClient as TencentSmsClient

from app.adapters import Registry
from app.notifications.templates import SMS_TEMPLATES

log = logging.getLogger(__name__)

# Short network timeouts: a send that hangs would hold a worker; the job retries instead.
CONNECT_TIMEOUT_SECONDS = 3
READ_TIMEOUT_SECONDS = 5


class SmsSendFailed(Exception):
    """The provider refused or could not be reached; the job retries."""


class SmsProvider(Protocol):
    name: str

    def send(self, phone: str, template: str, params: dict[str, str | int], text: str) -> str:
        """Send one message; return the provider's reference (BizId / SerialNo). Raise SmsSendFailed."""


SMS = Registry[SmsProvider]("SMS provider")


def build_provider(config: Mapping[str, Any]) -> SmsProvider:
    """The provider named by config["SMS_PROVIDER"] ("log" default), built from its settings."""
    name = config.get("SMS_PROVIDER") or "log"
    return SMS.get(name, config)


# --- settings helpers -------------------------------------------------------------------------


def _required(config: Mapping[str, Any], *names: str) -> dict[str, str]:
    values = {name: str(config.get(name) or "").strip() for name in names}
    missing = [name for name, value in values.items() if not value]
    if missing:
        raise ValueError(f"SMS settings missing: {', '.join(missing)}")
    return values


def _template_map(config: Mapping[str, Any], name: str) -> dict[str, str]:
    """Our template name -> vendor template code, from a dict or a JSON object string."""
    raw = config.get(name) or {}
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError as exc:
            raise ValueError(f"{name} is not valid JSON: {exc}") from None
    if not isinstance(raw, Mapping):
        raise ValueError(f"{name} must map template names to vendor template codes")
    return {str(ours): str(code) for ours, code in raw.items() if code}


def _vendor_code(templates: Mapping[str, str], template: str, setting: str) -> str:
    try:
        return templates[template]
    except KeyError:
        raise SmsSendFailed(f"SMS template {template!r} has no vendor code in {setting}") from None


def template_param_order(template: str) -> list[str]:
    """The `{names}` of one of our templates, in the order they appear in its text."""
    try:
        text = SMS_TEMPLATES[template]
    except KeyError:
        raise SmsSendFailed(f"unknown SMS template {template!r}") from None
    order: list[str] = []
    for _literal, field, _spec, _conversion in string.Formatter().parse(text):
        if field and field not in order:
            order.append(field)
    return order


def _domestic(phone: str) -> str:
    """Aliyun takes mainland numbers without the country code."""
    phone = phone.strip()
    return phone[3:] if phone.startswith("+86") else phone


def _e164(phone: str) -> str:
    """Tencent takes E.164; a bare number is a mainland one."""
    phone = phone.strip()
    return phone if phone.startswith("+") else f"+86{phone}"


# --- providers --------------------------------------------------------------------------------


@SMS.register("log")
class LogProvider:
    """Writes messages to the log (development and tests: nothing leaves the machine) and keeps
    the last few in `inbox`, the phones' side, where a developer or a test reads a verification
    code (the SmsMessage rows keep no secret once it is sent)."""

    name = "log"
    inbox: deque[tuple[str, str, str]] = deque(maxlen=200)  # (phone, template, text), oldest first

    def __init__(self, config: Mapping[str, Any] | None = None) -> None:
        pass

    def send(self, phone: str, template: str, params: dict[str, str | int], text: str) -> str:
        ref = uuid.uuid4().hex[:16]
        log.info("SMS to %s [%s] %s: %s", phone, ref, template, text)
        self.inbox.append((phone, template, text))
        return ref


def last_text_to(phone: str, template: str) -> str | None:
    """The newest message of `template` the log provider sent to `phone` (development, tests)."""
    for to, sent_template, text in reversed(LogProvider.inbox):
        if to == phone and sent_template == template:
            return text
    return None


@SMS.register("aliyun")
class AliyunProvider:
    """Aliyun SMS (dysmsapi 2017-05-25 SendSms) through `alibabacloud-dysmsapi20170525`."""

    name = "aliyun"

    def __init__(self, config: Mapping[str, Any]) -> None:
        settings = _required(
            config,
            "ALIYUN_SMS_ACCESS_KEY_ID",
            "ALIYUN_SMS_ACCESS_KEY_SECRET",
            "ALIYUN_SMS_SIGN_NAME",
        )
        self.sign_name = settings["ALIYUN_SMS_SIGN_NAME"]
        self.templates = _template_map(config, "ALIYUN_SMS_TEMPLATES")
        self.client = AliyunSmsClient(
            AliyunConfig(
                access_key_id=settings["ALIYUN_SMS_ACCESS_KEY_ID"],
                access_key_secret=settings["ALIYUN_SMS_ACCESS_KEY_SECRET"],
                endpoint=config.get("ALIYUN_SMS_ENDPOINT") or "dysmsapi.aliyuncs.com",
                protocol=config.get("ALIYUN_SMS_PROTOCOL") or "https",
                connect_timeout=CONNECT_TIMEOUT_SECONDS * 1000,
                read_timeout=READ_TIMEOUT_SECONDS * 1000,
            )
        )

    def send(self, phone: str, template: str, params: dict[str, str | int], text: str) -> str:
        code = _vendor_code(self.templates, template, "ALIYUN_SMS_TEMPLATES")
        request = aliyun_models.SendSmsRequest(
            phone_numbers=_domestic(phone),
            sign_name=self.sign_name,
            template_code=code,
            template_param=(
                json.dumps({k: str(v) for k, v in params.items()}, ensure_ascii=False)
                if params
                else None
            ),
        )
        try:
            body = self.client.send_sms(request).body
        except TeaException as exc:
            raise SmsSendFailed(f"aliyun: {exc.code}: {exc.message}") from exc
        if body is None or body.code != "OK":
            code_, message = (body.code, body.message) if body else ("", "empty response")
            raise SmsSendFailed(f"aliyun: {code_}: {message}")
        return body.biz_id or ""


@SMS.register("tencent")
class TencentProvider:
    """Tencent Cloud SMS (SendSms 2021-01-11) through `tencentcloud-sdk-python-sms`."""

    name = "tencent"

    def __init__(self, config: Mapping[str, Any]) -> None:
        settings = _required(
            config,
            "TENCENT_SMS_SECRET_ID",
            "TENCENT_SMS_SECRET_KEY",
            "TENCENT_SMS_SDK_APP_ID",
            "TENCENT_SMS_SIGN_NAME",
        )
        self.sdk_app_id = settings["TENCENT_SMS_SDK_APP_ID"]
        self.sign_name = settings["TENCENT_SMS_SIGN_NAME"]
        self.templates = _template_map(config, "TENCENT_SMS_TEMPLATES")
        http = TencentHttpProfile(
            protocol=config.get("TENCENT_SMS_PROTOCOL") or "https",
            endpoint=config.get("TENCENT_SMS_ENDPOINT") or "sms.tencentcloudapi.com",
            reqTimeout=READ_TIMEOUT_SECONDS,
        )
        self.client = TencentSmsClient(
            TencentCredential(
                settings["TENCENT_SMS_SECRET_ID"], settings["TENCENT_SMS_SECRET_KEY"]
            ),
            config.get("TENCENT_SMS_REGION") or "ap-guangzhou",
            TencentClientProfile(httpProfile=http),
        )

    def send(self, phone: str, template: str, params: dict[str, str | int], text: str) -> str:
        template_id = _vendor_code(self.templates, template, "TENCENT_SMS_TEMPLATES")
        order = template_param_order(template)
        missing = [name for name in order if name not in params]
        if missing:
            raise SmsSendFailed(f"SMS template {template!r} lacks params: {', '.join(missing)}")
        request = tencent_models.SendSmsRequest()
        request.PhoneNumberSet = [_e164(phone)]
        request.SmsSdkAppId = self.sdk_app_id
        request.SignName = self.sign_name
        request.TemplateId = template_id
        request.TemplateParamSet = [str(params[name]) for name in order]
        try:
            response = self.client.SendSms(request)
        except TencentCloudSDKException as exc:
            raise SmsSendFailed(f"tencent: {exc.code}: {exc.message}") from exc
        statuses = response.SendStatusSet or []
        if not statuses:
            raise SmsSendFailed(f"tencent: no send status (request {response.RequestId})")
        status = statuses[0]
        if status.Code != "Ok":
            raise SmsSendFailed(f"tencent: {status.Code}: {status.Message}")
        return status.SerialNo or ""
