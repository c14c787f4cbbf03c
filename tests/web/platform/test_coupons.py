"""The platform's coupons: create 满X减Y and no-threshold ones, refuse bad input with 422, list
with filters, give one to a person by phone, stop one (with a confirmation); order settings."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.accounts.models import Role
from app.extensions import db
from app.jobs import commit
from app.ordering.settings import order_settings
from app.promotions.models import Coupon, UserCoupon
from tests.factories import make_buyer, make_store, make_user
from tests.unit.promotions.helpers import make_coupon

HX = {"HX-Request": "true"}
GOOD = {
    "name": "满100减10",
    "threshold": "100",
    "discount": "10",
    "validity": "days",
    "valid_days": "7",
    "per_person_limit": "1",
    "in_centre": "y",
}


@pytest.fixture
def operator(app, login):
    user = make_user(Role.OPERATOR)
    commit()
    login(user)
    return user


def coupons() -> list[Coupon]:
    return list(db.session.execute(select(Coupon).order_by(Coupon.id)).scalars())


def test_an_operator_creates_a_platform_coupon(client, operator):
    response = client.post("/platform/coupons/new", data=GOOD)

    assert response.status_code == 303
    [coupon] = coupons()
    assert coupon.store_id is None  # the platform bears it
    assert (coupon.threshold_fen, coupon.discount_fen, coupon.valid_days) == (10_000, 1_000, 7)
    assert "满100减10" in client.get("/platform/coupons").get_data(as_text=True)


def test_a_fixed_window_coupon_is_stored_in_utc(client, operator):
    data = GOOD | {
        "validity": "window",
        "valid_from": "2026-12-01T08:00",
        "valid_until": "2026-12-31T20:00",
        "name": "无门槛3元",
        "threshold": "0",
        "discount": "3",
    }
    assert client.post("/platform/coupons/new", data=data).status_code == 303
    [coupon] = coupons()
    assert coupon.valid_from.isoformat() == "2026-12-01T00:00:00"
    assert coupon.valid_until.isoformat() == "2026-12-31T12:00:00"
    assert coupon.valid_days is None


@pytest.mark.parametrize(
    "change, message",
    [
        ({"discount": "100"}, "优惠金额须小于使用门槛"),
        ({"discount": "0"}, "优惠金额须大于 0"),
        ({"discount": "abc"}, "请填写金额"),
        ({"valid_days": ""}, "请填写有效天数"),
        ({"validity": "window", "valid_until": "not a time"}, "请填写结束时间"),
        ({"per_person_limit": "0"}, "数量须在 1 到 100 之间"),
        ({"name": ""}, "请填写名称"),
    ],
)
def test_bad_coupon_input_is_refused_with_422_and_nothing_saved(client, operator, change, message):
    response = client.post("/platform/coupons/new", data=GOOD | change, headers=HX)

    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert coupons() == []


def test_the_list_filters_by_issuer_and_state(client, operator):
    make_coupon(name="平台大券")
    stopped = make_coupon(make_store(name="椰城小厨"), name="店铺小券")
    stopped.active = False
    commit()

    platform_only = client.get("/platform/coupons?issuer=platform").get_data(as_text=True)
    assert "平台大券" in platform_only and "店铺小券" not in platform_only
    stopped_only = client.get("/platform/coupons?state=stopped", headers=HX).get_data(as_text=True)
    assert "店铺小券" in stopped_only and "平台大券" not in stopped_only
    assert "椰城小厨" in stopped_only


def test_staff_give_a_coupon_to_a_person_by_phone(client, operator):
    coupon = make_coupon()
    buyer = make_buyer(phone="13912345678")
    commit()

    response = client.post(f"/platform/coupons/{coupon.id}/give", data={"phone": "13912345678"})
    assert response.status_code == 303
    [held] = db.session.execute(select(UserCoupon)).scalars()
    assert (held.user_id, held.given_by) == (buyer.id, operator.id)

    unknown = client.post(f"/platform/coupons/{coupon.id}/give", data={"phone": "13800000000"})
    assert unknown.status_code == 422
    assert "没有手机号为 13800000000 的用户" in unknown.get_data(as_text=True)
    assert db.session.execute(select(func.count(UserCoupon.id))).scalar_one() == 1


def test_stopping_asks_for_a_confirmation(client, operator):
    coupon = make_coupon()
    commit()

    refused = client.post(f"/platform/coupons/{coupon.id}/stop", data={})
    assert refused.status_code == 422
    db.session.refresh(coupon)
    assert coupon.active

    assert (
        client.post(f"/platform/coupons/{coupon.id}/stop", data={"confirmed": "y"}).status_code
        == 303
    )
    db.session.refresh(coupon)
    assert not coupon.active


def test_an_unknown_coupon_answers_404(client, operator):
    assert client.get("/platform/coupons/999999").status_code == 404


# --- order settings -----------------------------------------------------------------------------

SETTINGS = {
    "unpaid_close_minutes": "15",
    "auto_receipt_days": "10",
    "aftersale_days": "7",
    "aftersale_answer_hours": "24",
    "points_per_yuan": "2",
    "point_value_fen": "1",
    "points_max_percent": "30",
    "transfer_payee": "海南椰城贸易有限公司 工商银行 6222 0000 1111",
}


def test_an_operator_edits_every_order_setting(client, operator):
    assert client.post("/platform/order-settings", data=SETTINGS).status_code == 303
    settings = order_settings()
    db.session.refresh(settings)
    assert (settings.unpaid_close_minutes, settings.points_max_percent) == (15, 30)
    assert settings.transfer_payee.startswith("海南椰城贸易")
    assert "15" in client.get("/platform/order-settings").get_data(as_text=True)


@pytest.mark.parametrize(
    "field, value",
    [("unpaid_close_minutes", "0"), ("points_max_percent", "101"), ("aftersale_days", "x")],
)
def test_out_of_range_settings_are_refused_with_422(client, operator, field, value):
    response = client.post("/platform/order-settings", data=SETTINGS | {field: value})
    assert response.status_code == 422
    settings = order_settings()
    db.session.refresh(settings)
    assert settings.unpaid_close_minutes == 30 and settings.points_max_percent == 50


def test_customer_service_reads_but_cannot_change_order_settings(client, app, login):
    service = make_user(Role.SERVICE)
    commit()
    login(service)
    assert client.get("/platform/order-settings").status_code == 200
    assert client.post("/platform/order-settings", data=SETTINGS).status_code == 403
    settings = order_settings()
    db.session.refresh(settings)
    assert settings.unpaid_close_minutes == 30
