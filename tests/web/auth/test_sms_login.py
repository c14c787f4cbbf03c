"""验证码登录: a phone gets a code by SMS and logs in with it (a new phone gets an account then),
comes back where it was sent from, and cannot guess, replay or flood its way in."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from app.accounts.models import Member, Role, SmsCode, User
from app.clock import travel
from app.extensions import db
from app.jobs.models import OutboxJob
from app.notifications.models import SmsMessage
from tests.factories import PASSWORD, make_user
from tests.support.sms import code_sent_to

PHONE = "13912345678"
HX = {"HX-Request": "true"}


def _send(client, phone: str = PHONE, headers=None, address: str = "10.0.0.1", **query):
    return client.post(
        "/sms-code/login",
        query_string=query,
        data={"phone": phone},
        headers=headers or {},
        environ_base={"REMOTE_ADDR": address},
    )


def _code(phone: str = PHONE) -> str:
    """The code in the newest SMS to the phone, as the person reads it on their phone."""
    return code_sent_to(phone)


def _log_in(client, code: str, phone: str = PHONE, **query):
    return client.post("/login/sms", query_string=query, data={"phone": phone, "code": code})


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


# ---- the page -----------------------------------------------------------------------------------


def test_the_login_page_offers_both_ways_and_the_code_page_keeps_next(client):
    page = client.get("/login?next=/shop/cart").get_data(as_text=True)
    assert "密码登录" in page and "验证码登录" in page
    assert "/login/sms?next=/shop/cart" in page
    assert "忘记密码" in page and "注册" in page

    code_page = client.get("/login/sms?next=/shop/cart").get_data(as_text=True)
    assert "获取验证码" in code_page
    assert 'action="/login/sms?next=/shop/cart"' in code_page
    assert "/sms-code/login?next=/shop/cart" in code_page
    assert "js/sms_code.js" in code_page


# ---- logging in ---------------------------------------------------------------------------------


def test_a_new_phone_signs_up_by_logging_in_with_its_code(app, client):
    sent = _send(client)
    assert sent.status_code == 303
    assert sent.headers["Location"] == "/login/sms"
    page = client.get("/login/sms").get_data(as_text=True)
    assert "验证码已发送至 139****5678" in page
    assert f'value="{PHONE}"' in page  # the phone is kept for the next step
    assert 'data-countdown="60"' in page or 'data-countdown="59"' in page

    response = _log_in(client, _code())

    assert response.status_code == 303
    assert response.headers["Location"] == "/shop/"
    user = db.session.execute(select(User).where(User.phone == PHONE)).scalar_one()
    assert user.name == "用户5678"
    assert user.password_hash is None
    assert [g.role for g in user.grants] == [Role.BUYER]
    assert db.session.get(Member, user.id) is None  # no manager's link: no membership
    assert client.get("/shop/orders").status_code == 200  # logged in as a buyer


def test_a_person_with_an_account_logs_in_to_their_portal(app, client):
    rider = make_user(Role.RIDER, phone=PHONE)
    db.session.commit()
    _send(client)
    response = _log_in(client, _code())
    assert response.headers["Location"] == "/rider/"
    assert _count(User) == 1
    assert [g.role for g in db.session.get(User, rider.id).grants] == [Role.RIDER]


def test_with_htmx_the_code_goes_out_and_the_button_counts_down(app, client):
    response = _send(client, headers=HX)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<form id="code-form"')  # only the form is swapped
    assert "验证码已发送至 139****5678，5 分钟内有效" in html
    assert 'data-countdown="60"' in html
    assert "{s} 秒后重发" in html

    logged_in = client.post("/login/sms", data={"phone": PHONE, "code": _code()}, headers=HX)
    assert logged_in.headers["HX-Redirect"] == "/shop/"


def _link(html: str, pattern: str) -> str:
    return unescape(re.search(pattern, html).group(1))


def test_a_visitor_sent_to_log_in_from_the_cart_comes_back_to_the_cart(app, client):
    to_login = client.get("/shop/cart")
    assert to_login.status_code == 302
    login_url = to_login.headers["Location"]
    assert login_url.startswith("/login?next=")

    # the links the visitor follows: 验证码登录, then 获取验证码, then 登录
    password_page = client.get(login_url).get_data(as_text=True)
    code_page_url = _link(password_page, r'href="(/login/sms\?[^"]+)"')
    code_page = client.get(code_page_url).get_data(as_text=True)
    send_url = _link(code_page, r'formaction="([^"]+)"')
    sent = client.post(send_url, data={"phone": PHONE})
    assert sent.headers["Location"] == code_page_url
    code_page = client.get(code_page_url).get_data(as_text=True)
    submit_url = _link(code_page, r'<form id="code-form" method="post" action="([^"]+)"')

    back = client.post(submit_url, data={"phone": PHONE, "code": _code()})

    assert back.status_code == 303
    assert urlsplit(back.headers["Location"]).path == "/shop/cart"
    cart = client.get(back.headers["Location"])
    assert cart.status_code == 200
    assert "购物车" in cart.get_data(as_text=True)


@pytest.mark.parametrize("target", ["//evil.example", "https://evil.example", "/%2F%2Fevil"])
def test_next_never_leads_to_another_site(app, client, target):
    _send(client)
    assert _log_in(client, _code(), next=target).headers["Location"] == "/shop/"


def test_a_disabled_person_cannot_log_in_with_a_code(app, client):
    user = make_user(Role.RIDER, phone=PHONE)
    user.active = False
    db.session.commit()
    _send(client)
    response = _log_in(client, _code())
    assert response.status_code == 422
    assert "该账号已停用，请联系客服" in response.get_data(as_text=True)
    assert client.get("/rider/").status_code == 302


# ---- wrong, expired, reused and guessed codes ---------------------------------------------------


def test_a_wrong_code_is_refused_and_says_how_many_tries_are_left(app, client):
    _send(client)
    response = _log_in(client, _wrong(_code()))
    assert response.status_code == 422
    assert "验证码错误，还可以再试 4 次" in response.get_data(as_text=True)
    assert _count(User) == 0


def test_an_expired_code_is_refused(app, client):
    _send(client)
    code = _code()
    with travel(timedelta(minutes=6)):
        response = _log_in(client, code)
    assert response.status_code == 422
    assert "验证码已过期，请重新获取" in response.get_data(as_text=True)
    assert _count(User) == 0


def test_a_used_code_cannot_log_in_again(app, client):
    _send(client)
    code = _code()
    assert _log_in(client, code).status_code == 303
    client.post("/logout")

    replay = _log_in(app.test_client(), code)

    assert replay.status_code == 422
    assert "验证码已使用，请重新获取" in replay.get_data(as_text=True)


def test_the_sixth_try_is_refused_even_with_the_right_code(app, client):
    _send(client)
    code = _code()
    for _ in range(5):
        assert _log_in(client, _wrong(code)).status_code == 422

    sixth = _log_in(client, code)

    assert sixth.status_code == 422
    assert "验证码错误次数过多，请重新获取" in sixth.get_data(as_text=True)
    assert _count(User) == 0
    assert client.get("/shop/orders").status_code == 302  # still a visitor


def test_an_older_code_stops_working_when_a_new_one_is_sent(app, client):
    _send(client)
    first = _code()
    with travel(timedelta(seconds=61)):
        assert _send(client).status_code == 303
        second = _code()
        if first != second:
            assert _log_in(client, first).status_code == 422
        assert _log_in(client, second).status_code == 303


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"phone": "", "code": "123456"}, "请输入手机号"),
        ({"phone": "1234", "code": "123456"}, "请输入正确的 11 位手机号"),
        ({"phone": PHONE, "code": ""}, "请输入验证码"),
        ({"phone": PHONE, "code": "12ab56"}, "请输入 6 位数字验证码"),
        ({"phone": PHONE, "code": "123456"}, "请先获取验证码"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(app, client, data, message):
    response = client.post("/login/sms", data=data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert _count(User) == 0


# ---- sending: once a minute, and limited per phone and per address ------------------------------


@pytest.mark.parametrize("phone", ["", "1391234567", "12912345678", "+8613912345678"])
def test_a_code_is_only_sent_to_a_mainland_mobile_number(app, client, phone):
    response = _send(client, phone)
    assert response.status_code == 422
    assert _count(SmsCode) == 0 and _count(SmsMessage) == 0


def test_a_second_code_within_a_minute_says_how_long_to_wait_and_sends_nothing(app, client):
    _send(client)
    with travel(timedelta(seconds=20)):
        again = _send(client, headers=HX)
    assert again.status_code == 429
    html = again.get_data(as_text=True)
    assert "验证码已发送，请 40 秒后再重新获取" in html
    assert 'data-countdown="40"' in html
    assert _count(SmsCode) == 1 and _count(SmsMessage) == 1


def test_the_phone_may_have_spaces_as_typed(app, client):
    assert _send(client, "139 1234 5678").status_code == 303
    assert _log_in(client, _code(), phone="139-1234-5678").status_code == 303


FLOOD_LIMITS = {"RATELIMIT_ENABLED": True, "LOGIN_RATE_LIMIT": "100 per minute"}


def test_too_many_codes_for_one_phone_answer_429_and_send_nothing(app_factory):
    app = app_factory(
        **FLOOD_LIMITS, SMS_CODE_PHONE_LIMIT="2 per hour", SMS_CODE_IP_LIMIT="50/hour"
    )
    client = app.test_client()
    with app.app_context():
        for n in range(2):  # each from its own address, a minute apart
            with travel(timedelta(seconds=61 * n)):
                assert _send(client, address=f"10.0.0.{n}").status_code == 303
        with travel(timedelta(minutes=5)):
            flooded = _send(client, address="10.0.0.9", headers=HX)
        assert flooded.status_code == 429
        html = flooded.get_data(as_text=True)
        assert "获取验证码太频繁，请 60 分钟后再试" in html
        assert 'id="code-form"' in html  # the form again, to try later
        assert _count(SmsCode) == 2 and _count(SmsMessage) == 2
        # another phone is not held up
        assert _send(client, "13900000000", address="10.0.0.9").status_code == 303


def test_too_many_codes_from_one_address_answer_429_and_send_nothing(app_factory):
    app = app_factory(
        **FLOOD_LIMITS, SMS_CODE_PHONE_LIMIT="50/hour", SMS_CODE_IP_LIMIT="3 per hour"
    )
    client = app.test_client()
    with app.app_context():
        phones = [f"1390000000{n}" for n in range(4)]
        answers = [_send(client, phone, address="10.0.0.7").status_code for phone in phones]
        assert answers == [303, 303, 303, 429]
        flooded = _send(client, "13900000009", address="10.0.0.7")
        assert flooded.status_code == 429
        assert "获取验证码太频繁" in flooded.get_data(as_text=True)
        assert _count(SmsCode) == 3 and _count(SmsMessage) == 3
        assert _send(client, "13900000009", address="10.0.0.8").status_code == 303


def test_the_platform_sees_verification_codes_masked(app, client, login):
    _send(client)
    code = _code()
    operator = make_user(Role.OPERATOR)
    db.session.commit()
    staff = app.test_client()
    assert login(operator, PASSWORD, test_client=staff).status_code == 303

    sms_page = staff.get("/platform/sms").get_data(as_text=True)
    jobs_page = staff.get("/platform/jobs").get_data(as_text=True)

    assert "您的验证码为******，5分钟内有效" in sms_page
    assert code not in sms_page
    assert "您的验证码为******" in jobs_page
    assert code not in jobs_page
    summaries = db.session.execute(select(OutboxJob.summary)).scalars().all()
    assert all(code not in str(summary) for summary in summaries)
