"""SMS providers: the real vendor SDKs talk to local stand-ins that check the signed request."""

from __future__ import annotations

import json
import logging

import pytest
from darabonba.core import DaraCore
from tencentcloud.common.http.request import ProxyConnection

from app.adapters import UnknownAdapter
from app.notifications.providers import (
    SMS,
    AliyunProvider,
    LogProvider,
    SmsSendFailed,
    TencentProvider,
    build_provider,
    template_param_order,
)
from app.notifications.standins import AliyunSmsStandin, TencentSmsStandin
from app.notifications.templates import SMS_TEMPLATES, render_sms

PHONE = "13800138000"
REFUSED_PHONE = "13900000000"

ALIYUN_CODES = {
    "member_approved": "SMS_100000001",
    "new_order": "SMS_100000002",
    "driver_assigned": "SMS_100000003",
    "order_shipping": "SMS_100000004",
    "verify_code": "SMS_100000005",
    "member_rejected": "SMS_100000006",
    "store_approved": "SMS_100000007",
    "store_rejected": "SMS_100000008",
}
TENCENT_IDS = {
    "member_approved": "2000001",
    "new_order": "2000002",
    "driver_assigned": "2000003",
    "order_shipping": "2000004",
    "verify_code": "2000005",
    "member_rejected": "2000006",
    "store_approved": "2000007",
    "store_rejected": "2000008",
}


def send(provider, template: str, params: dict, phone: str = PHONE) -> str:
    return provider.send(phone, template, params, render_sms(template, params))


@pytest.fixture
def aliyun():
    with AliyunSmsStandin("LTAI-test-key", "aliyun-test-secret", {REFUSED_PHONE}) as standin:
        yield standin


@pytest.fixture
def aliyun_settings(aliyun):
    return {
        **aliyun.settings(),
        "ALIYUN_SMS_SIGN_NAME": "鲜达商城",
        "ALIYUN_SMS_TEMPLATES": json.dumps(ALIYUN_CODES),  # as it comes from the environment
    }


@pytest.fixture
def tencent():
    with TencentSmsStandin(
        "AKID-test-id", "tencent-test-key", sdk_app_id="1400000001", refuse_phones={REFUSED_PHONE}
    ) as standin:
        yield standin


@pytest.fixture
def tencent_settings(tencent):
    return {
        **tencent.settings(),
        "TENCENT_SMS_SIGN_NAME": "鲜达商城",
        "TENCENT_SMS_TEMPLATES": TENCENT_IDS,
    }


# --- the registry ------------------------------------------------------------------------------


def test_every_provider_is_registered_by_name():
    assert SMS.names() == ["aliyun", "log", "tencent"]


def test_the_log_provider_is_the_default():
    assert isinstance(build_provider({}), LogProvider)
    assert isinstance(build_provider({"SMS_PROVIDER": ""}), LogProvider)


def test_an_unknown_provider_name_is_refused():
    with pytest.raises(UnknownAdapter, match="nope"):
        build_provider({"SMS_PROVIDER": "nope"})


def test_a_vendor_without_credentials_is_refused_when_built():
    with pytest.raises(ValueError, match="ALIYUN_SMS_ACCESS_KEY_SECRET"):
        build_provider({"SMS_PROVIDER": "aliyun", "ALIYUN_SMS_ACCESS_KEY_ID": "x"})
    with pytest.raises(ValueError, match="TENCENT_SMS_SDK_APP_ID"):
        build_provider({"SMS_PROVIDER": "tencent", "TENCENT_SMS_SECRET_ID": "x"})


def test_the_log_provider_logs_the_text_and_returns_a_reference(caplog):
    caplog.set_level(logging.INFO, logger="app.notifications.providers")
    ref = send(build_provider({"SMS_PROVIDER": "log"}), "new_order", {"n": 3})
    assert ref
    assert "有新订单3，请尽快登录小程序业务管理查看处理。" in caplog.text
    assert PHONE in caplog.text


def test_tencent_params_follow_the_order_of_the_names_in_our_template(monkeypatch):
    monkeypatch.setitem(SMS_TEMPLATES, "two_params", "订单{no}已付款{amount}元，订单{no}请发货")
    assert template_param_order("two_params") == ["no", "amount"]
    assert template_param_order("member_approved") == []
    assert template_param_order("driver_assigned") == ["no"]


# --- Aliyun ------------------------------------------------------------------------------------


def test_aliyun_message_reaches_the_vendor_with_phone_sign_template_code_and_params(
    aliyun, aliyun_settings
):
    provider = build_provider(aliyun_settings)
    assert isinstance(provider, AliyunProvider)

    ref = send(provider, "new_order", {"n": 12})

    assert ref.endswith("^0")
    assert aliyun.messages == [
        {
            "phone": PHONE,
            "sign": "鲜达商城",
            "template_code": "SMS_100000002",
            "params": {"n": "12"},
        }
    ]


def test_aliyun_template_without_params_sends_no_template_param(aliyun, aliyun_settings):
    send(build_provider(aliyun_settings), "member_approved", {})
    assert aliyun.messages[0]["template_code"] == "SMS_100000001"
    assert aliyun.messages[0]["params"] == {}


def test_aliyun_takes_a_mainland_number_without_the_country_code(aliyun, aliyun_settings):
    send(build_provider(aliyun_settings), "order_shipping", {"no": "A1"}, phone=f"+86{PHONE}")
    assert aliyun.messages[0]["phone"] == PHONE


def test_aliyun_wrong_secret_is_refused_by_the_signature_check(aliyun, aliyun_settings):
    provider = build_provider({**aliyun_settings, "ALIYUN_SMS_ACCESS_KEY_SECRET": "wrong"})
    with pytest.raises(SmsSendFailed, match="SignatureDoesNotMatch"):
        send(provider, "new_order", {"n": 1})
    assert aliyun.messages == []
    assert aliyun.requests_refused == ["SignatureDoesNotMatch"]


def test_aliyun_unknown_access_key_is_refused(aliyun, aliyun_settings):
    provider = build_provider({**aliyun_settings, "ALIYUN_SMS_ACCESS_KEY_ID": "LTAI-other"})
    with pytest.raises(SmsSendFailed, match="InvalidAccessKeyId.NotFound"):
        send(provider, "new_order", {"n": 1})
    assert aliyun.messages == []


def test_aliyun_request_tampered_in_transit_is_refused(aliyun, aliyun_settings, monkeypatch):
    real_do_action = DaraCore.do_action

    def tamper(request, runtime=None):
        request.query["PhoneNumbers"] = "13111111111"  # after the SDK signed it
        return real_do_action(request, runtime)

    monkeypatch.setattr(DaraCore, "do_action", staticmethod(tamper))
    with pytest.raises(SmsSendFailed, match="SignatureDoesNotMatch"):
        send(build_provider(aliyun_settings), "new_order", {"n": 1})
    assert aliyun.messages == []


def test_aliyun_replayed_request_is_refused(aliyun, aliyun_settings, monkeypatch):
    real_do_action = DaraCore.do_action

    def twice(request, runtime=None):
        real_do_action(request, runtime)
        return real_do_action(request, runtime)

    monkeypatch.setattr(DaraCore, "do_action", staticmethod(twice))
    with pytest.raises(SmsSendFailed, match="SignatureNonceUsed"):
        send(build_provider(aliyun_settings), "new_order", {"n": 1})
    assert len(aliyun.messages) == 1


def test_aliyun_refused_phone_raises_with_the_vendor_message(aliyun, aliyun_settings):
    with pytest.raises(SmsSendFailed, match="isv.MOBILE_NUMBER_ILLEGAL: 非法手机号"):
        send(build_provider(aliyun_settings), "new_order", {"n": 1}, phone=REFUSED_PHONE)
    assert aliyun.messages == []


def test_aliyun_unmapped_template_raises_without_calling_the_vendor(aliyun, aliyun_settings):
    provider = build_provider({**aliyun_settings, "ALIYUN_SMS_TEMPLATES": {"new_order": "SMS_1"}})
    with pytest.raises(SmsSendFailed, match="member_approved"):
        send(provider, "member_approved", {})
    assert aliyun.messages == []
    assert aliyun.requests_refused == []


def test_aliyun_unreachable_raises_send_failed(aliyun_settings, aliyun):
    provider = build_provider(aliyun_settings)
    aliyun.stop()
    with pytest.raises(SmsSendFailed):
        send(provider, "new_order", {"n": 1})


# --- Tencent Cloud -----------------------------------------------------------------------------


def test_tencent_message_reaches_the_vendor_with_phone_sign_template_id_and_params(
    tencent, tencent_settings
):
    provider = build_provider(tencent_settings)
    assert isinstance(provider, TencentProvider)

    ref = send(provider, "driver_assigned", {"no": "D20250101001"})

    assert ref
    assert tencent.messages == [
        {
            "phone": f"+86{PHONE}",
            "sign": "鲜达商城",
            "template_code": "2000003",
            "params": ["D20250101001"],
            "app_id": "1400000001",
        }
    ]


def test_tencent_params_arrive_as_an_ordered_list_of_strings(
    tencent, tencent_settings, monkeypatch
):
    monkeypatch.setitem(SMS_TEMPLATES, "two_params", "订单{no}已付款{amount}元，订单{no}请发货")
    provider = build_provider(
        {**tencent_settings, "TENCENT_SMS_TEMPLATES": {"two_params": "2000009"}}
    )
    send(provider, "two_params", {"amount": 58, "no": "A7"})
    assert tencent.messages[0]["params"] == ["A7", "58"]


def test_tencent_template_without_params_sends_an_empty_list(tencent, tencent_settings):
    send(build_provider(tencent_settings), "member_approved", {}, phone=f"+86{PHONE}")
    assert tencent.messages[0]["phone"] == f"+86{PHONE}"
    assert tencent.messages[0]["params"] == []


def test_tencent_wrong_secret_is_refused_by_the_signature_check(tencent, tencent_settings):
    provider = build_provider({**tencent_settings, "TENCENT_SMS_SECRET_KEY": "wrong"})
    with pytest.raises(SmsSendFailed, match="AuthFailure.SignatureFailure"):
        send(provider, "new_order", {"n": 1})
    assert tencent.messages == []
    assert tencent.requests_refused == ["AuthFailure.SignatureFailure"]


def test_tencent_unknown_secret_id_is_refused(tencent, tencent_settings):
    provider = build_provider({**tencent_settings, "TENCENT_SMS_SECRET_ID": "AKID-other"})
    with pytest.raises(SmsSendFailed, match="AuthFailure.SecretIdNotFound"):
        send(provider, "new_order", {"n": 1})


def test_tencent_body_tampered_in_transit_is_refused(tencent, tencent_settings, monkeypatch):
    real_request = ProxyConnection.request

    def tamper(self, method, url, body=None, headers=None):
        body = body.replace(PHONE, "13111111111")  # after the SDK signed it
        return real_request(self, method, url, body, headers)

    monkeypatch.setattr(ProxyConnection, "request", tamper)
    with pytest.raises(SmsSendFailed, match="AuthFailure.SignatureFailure"):
        send(build_provider(tencent_settings), "new_order", {"n": 1})
    assert tencent.messages == []


def test_tencent_wrong_sdk_app_id_is_refused(tencent, tencent_settings):
    provider = build_provider({**tencent_settings, "TENCENT_SMS_SDK_APP_ID": "1400999999"})
    with pytest.raises(SmsSendFailed, match="SdkAppIdNotExist"):
        send(provider, "new_order", {"n": 1})


def test_tencent_refused_phone_raises_with_the_vendor_message(tencent, tencent_settings):
    with pytest.raises(
        SmsSendFailed, match="FailedOperation.PhoneNumberInBlacklist: phone number in blacklist"
    ):
        send(build_provider(tencent_settings), "new_order", {"n": 1}, phone=REFUSED_PHONE)
    assert tencent.messages == []


def test_tencent_unmapped_template_raises_without_calling_the_vendor(tencent, tencent_settings):
    provider = build_provider({**tencent_settings, "TENCENT_SMS_TEMPLATES": "{}"})
    with pytest.raises(SmsSendFailed, match="order_shipping"):
        send(provider, "order_shipping", {"no": "A1"})
    assert tencent.messages == []
    assert tencent.requests_refused == []


def test_tencent_missing_param_raises_send_failed(tencent, tencent_settings):
    with pytest.raises(SmsSendFailed, match="no"):
        build_provider(tencent_settings).send(PHONE, "order_shipping", {}, "")
    assert tencent.messages == []


def test_tencent_unreachable_raises_send_failed(tencent_settings, tencent):
    provider = build_provider(tencent_settings)
    tencent.stop()
    with pytest.raises(SmsSendFailed, match="ClientNetworkError"):
        send(provider, "new_order", {"n": 1})
