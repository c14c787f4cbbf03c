"""骑手注册 on the visitor page: phone and SMS code, name, vehicle → 已提交，等待配送站审核. Until a
dispatcher approves, the login page says so plainly and /rider stays closed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.accounts.models import Role, User
from app.clock import travel
from app.delivery.models import RiderProfile, RiderStatus
from app.delivery.rider_accounts import approve_rider
from app.extensions import db
from app.jobs import commit
from tests.factories import PASSWORD, actor_of, make_buyer, make_user
from tests.support.sms import code_sent_to

PHONE = "13712345678"
HX = {"HX-Request": "true"}


def send_code(client, phone: str = PHONE, headers=None):
    return client.post("/rider-signup/code", data={"phone": phone}, headers=headers or {})


def register(client, phone: str = PHONE, **fields):
    form = {
        "phone": phone,
        "code": code_sent_to(phone),
        "name": "孔骑手",
        "vehicle": "ebike",
        "password": PASSWORD,
        **fields,
    }
    return client.post("/rider-signup", data=form)


def profile(phone: str = PHONE) -> RiderProfile | None:
    db.session.expire_all()
    user = db.session.execute(select(User).where(User.phone == phone)).scalar_one_or_none()
    return db.session.get(RiderProfile, user.id) if user else None


def test_a_visitor_registers_and_is_told_to_wait_for_the_review(client):
    page = client.get("/rider-signup").get_data(as_text=True)
    assert "骑手注册" in page and "获取验证码" in page and "电动车" in page and "摩托车" in page

    sent = send_code(client)
    assert sent.status_code == 303
    assert "验证码已发送至 137****5678" in client.get(sent.location).get_data(as_text=True)

    answer = register(client)

    assert answer.status_code == 303 and answer.location == "/rider-signup"
    page = client.get(answer.location).get_data(as_text=True)
    assert "已提交，等待配送站审核" in page and "137****5678" in page
    registration = profile()
    assert (registration.status, registration.vehicle) == (RiderStatus.PENDING, "ebike")
    assert registration.user.name == "孔骑手" and registration.user.grants == []
    assert "已提交，等待配送站审核" not in client.get("/rider-signup").get_data(as_text=True)


def test_with_htmx_the_form_becomes_the_message(client):
    send_code(client, headers=HX)
    answer = client.post(
        "/rider-signup",
        data={"phone": PHONE, "code": code_sent_to(PHONE), "name": "孔骑手", "vehicle": "car"},
        headers=HX,
    )
    text = answer.get_data(as_text=True)
    assert answer.status_code == 200 and "已提交，等待配送站审核" in text
    assert text.lstrip().startswith('<section id="code-form"')


def test_a_waiting_rider_who_logs_in_is_told_plainly_and_never_reaches_the_rider_portal(
    app, client
):
    send_code(client)
    register(client)
    answer = client.post("/login", data={"phone": PHONE, "password": PASSWORD})
    assert answer.status_code == 422
    assert "您的骑手注册正在审核中，审核通过后即可登录" in answer.get_data(as_text=True)
    rider_page = client.get("/rider/")
    assert rider_page.status_code == 302 and "/login" in rider_page.location

    with travel(timedelta(seconds=61)):  # or with a code
        client.post("/sms-code/login", data={"phone": PHONE})
        answer = client.post("/login/sms", data={"phone": PHONE, "code": code_sent_to(PHONE)})
    assert answer.status_code == 422
    assert "您的骑手注册正在审核中，审核通过后即可登录" in answer.get_data(as_text=True)
    assert client.get("/rider/").status_code == 302


def test_once_approved_the_rider_logs_in_to_the_rider_portal(client):
    send_code(client)
    register(client)
    dispatcher = make_user(Role.DISPATCHER)
    approve_rider(profile(), actor_of(dispatcher))
    commit()
    answer = client.post("/login", data={"phone": PHONE, "password": PASSWORD})
    assert answer.status_code == 303 and answer.location.startswith("/rider/")
    assert client.get("/rider/").status_code == 200


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"code": "000000x"}, "请输入 6 位数字验证码"),
        ({"name": ""}, "请填写姓名"),
        ({"name": "长" * 51}, "姓名不能超过 50 个字"),
        ({"vehicle": "rocket"}, "请选择交通工具"),
        ({"vehicle": ""}, "请选择交通工具"),
        ({"password": "short"}, "密码至少 8 位"),
        ({"phone": "12345"}, "请输入正确的 11 位手机号"),
    ],
)
def test_a_fuzzed_form_comes_back_with_the_reason(client, fields, message):
    send_code(client)
    answer = (
        register(client, **fields)
        if "phone" not in fields
        else client.post(
            "/rider-signup", data={"code": "123456", "name": "孔", "vehicle": "ebike", **fields}
        )
    )
    assert answer.status_code == 422 and message in answer.get_data(as_text=True)
    assert profile() is None


def test_a_wrong_code_registers_nothing(client):
    send_code(client)
    right = code_sent_to(PHONE)
    answer = register(client, code="000000" if right != "000000" else "111111")
    assert answer.status_code == 422 and "验证码错误，还可以再试 4 次" in answer.get_data(
        as_text=True
    )
    assert profile() is None


def test_a_rider_or_staff_phone_gets_no_code(client):
    rider = make_user(Role.RIDER, name="赵骑手")
    staff = make_user(Role.OPERATOR)
    commit()
    answer = send_code(client, rider.phone, HX)
    assert answer.status_code == 409 and "已经是骑手" in answer.get_data(as_text=True)
    answer = send_code(client, staff.phone, HX)
    assert answer.status_code == 409 and "其他工作账号" in answer.get_data(as_text=True)


def test_a_buyer_registers_with_their_account_and_keeps_shopping(client, login):
    buyer = make_buyer(phone=PHONE)
    commit()
    send_code(client)
    register(client, name="周骑手")
    assert profile().status == RiderStatus.PENDING
    landed = login(buyer)
    assert landed.status_code == 303 and landed.location.startswith("/shop/")


def test_codes_are_limited_like_every_other_code_page(app_factory):
    limited = app_factory(RATELIMIT_ENABLED=True, SMS_CODE_PHONE_LIMIT="2 per hour")
    with limited.app_context():
        browser = limited.test_client()
        assert send_code(browser, headers=HX).status_code == 200
        with travel(timedelta(seconds=61)):
            assert send_code(browser, headers=HX).status_code == 200
        with travel(timedelta(seconds=122)):
            answer = send_code(browser, headers=HX)
        assert answer.status_code == 429
        assert "获取验证码太频繁，请" in answer.get_data(as_text=True)
