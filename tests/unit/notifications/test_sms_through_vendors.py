"""The whole way: a wholesale order's SMS leaves through the vendor adapter chosen in settings and
reaches the vendor's stand-in as template code + parameters, signed."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from app.accounts.models import Role
from app.extensions import db
from app.notifications.models import SmsMessage
from app.notifications.standins import AliyunSmsStandin, TencentSmsStandin
from app.stores.models import StoreKind
from tests.factories import (
    make_buyer,
    make_product,
    make_region,
    make_store,
    make_user,
    place_order,
)


@pytest.fixture(params=["aliyun", "tencent"])
def vendor(request):
    standin = (
        AliyunSmsStandin("key-id", "key-secret")
        if request.param == "aliyun"
        else TencentSmsStandin("secret-id", "secret-key")
    )
    with standin:
        yield request.param, standin


@pytest.fixture
def vendor_app(app_factory, vendor):
    _name, standin = vendor
    app = app_factory(**standin.settings())
    with app.app_context():
        yield app
        db.session.remove()


def test_a_new_order_sms_reaches_the_vendor_as_its_template_with_parameters(vendor_app, vendor):
    name, standin = vendor
    region = make_region()
    make_user(Role.SALES_MANAGER, region=region, phone="13800000004")
    place_order(make_buyer(region), make_product(make_store(StoreKind.WHOLESALE)))

    message = db.session.execute(select(SmsMessage)).scalar_one()
    assert (message.status, message.provider) == ("sent", name)
    [received] = standin.messages
    codes = json.loads(standin.settings()[f"{name.upper()}_SMS_TEMPLATES"])
    assert received["template_code"] == codes["new_order"]
    assert received["phone"].endswith("13800000004")
    assert received["params"] in ({"n": "1"}, ["1"])  # Aliyun: JSON object; Tencent: ordered list
