"""忘记密码: a code by SMS, then a new password twice; the person is logged in and every other
session of theirs ends. The page never tells which phones have an account."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from app.accounts.models import Role, SmsCode, User
from app.extensions import db
from app.notifications.models import SmsMessage
from tests.factories import PASSWORD, make_user
from tests.support.sms import code_sent_to

PHONE = "13612345678"
NEW = "a-new-password"
HX = {"HX-Request": "true"}


def _code(phone: str = PHONE) -> str:
    return code_sent_to(phone)


def _person() -> User:
    user = make_user(Role.RIDER, phone=PHONE)
    db.session.commit()
    return user


def _reset(client, code: str, password: str = NEW, again: str | None = None):
    return client.post(
        "/password/reset",
        data={"phone": PHONE, "code": code, "password": password, "password2": again or password},
    )


def test_the_login_page_links_to_forgot_password(client):
    assert "/password/reset" in client.get("/login").get_data(as_text=True)
    page = client.get("/password/reset").get_data(as_text=True)
    assert "忘记密码" in page and "新密码" in page and "再次输入新密码" in page


def test_a_new_password_by_sms_code_logs_in_and_ends_other_sessions(app, client, login):
    user = _person()
    elsewhere = app.test_client()
    assert login(user, PASSWORD, test_client=elsewhere).status_code == 303
    assert elsewhere.get("/rider/").status_code == 200

    assert client.post("/sms-code/reset", data={"phone": PHONE}).status_code == 303
    response = _reset(client, _code())

    assert response.status_code == 303
    assert response.headers["Location"] == "/rider/"
    assert client.get("/rider/").status_code == 200  # logged in here
    assert elsewhere.get("/rider/").status_code == 302  # the other phone is logged out
    client.post("/logout")
    assert client.post("/login", data={"phone": PHONE, "password": PASSWORD}).status_code == 422
    assert client.post("/login", data={"phone": PHONE, "password": NEW}).status_code == 303


def test_a_person_who_signed_up_by_code_can_set_a_first_password(app, client):
    client.post("/sms-code/login", data={"phone": PHONE})
    client.post("/login/sms", data={"phone": PHONE, "code": _code()})
    client.post("/logout")
    assert db.session.execute(select(User)).scalar_one().password_hash is None

    client.post("/sms-code/reset", data={"phone": PHONE})
    assert _reset(client, _code()).status_code == 303
    client.post("/logout")
    assert client.post("/login", data={"phone": PHONE, "password": NEW}).status_code == 303


def _answer(client, phone: str) -> str:
    html = client.post("/sms-code/reset", data={"phone": phone}, headers=HX).get_data(as_text=True)
    html = re.sub(r"\d{3}\*\*\*\*\d{4}", "PHONE", html.replace(phone, "PHONE"))
    return re.sub(r'name="csrf_token"[^>]*', "", html)


def test_an_unknown_phone_is_answered_the_same_and_sent_nothing(app, client):
    _person()
    unknown = "13600000000"
    assert _answer(app.test_client(), PHONE) == _answer(app.test_client(), unknown)
    assert (
        db.session.scalar(select(func.count(SmsMessage.id)).where(SmsMessage.phone == unknown)) == 0
    )
    # and a second try within the minute is refused the same way for both
    again_known = client.post("/sms-code/reset", data={"phone": PHONE})
    again_unknown = client.post("/sms-code/reset", data={"phone": unknown})
    assert again_known.status_code == again_unknown.status_code == 429
    # no code the unknown phone could have got opens anything
    response = _reset(client, "123456")
    assert response.status_code == 422


def test_a_disabled_person_gets_no_code(app, client):
    user = _person()
    user.active = False
    db.session.commit()
    assert client.post("/sms-code/reset", data={"phone": PHONE}).status_code == 303
    assert db.session.scalar(select(func.count(SmsMessage.id))) == 0


def test_passwords_that_differ_or_are_short_are_refused(app, client):
    _person()
    client.post("/sms-code/reset", data={"phone": PHONE})
    code = _code()

    differ = _reset(client, code, again="something-else")
    assert differ.status_code == 422
    assert "两次输入的密码不一致" in differ.get_data(as_text=True)
    short = _reset(client, code, password="short")
    assert short.status_code == 422
    assert "密码至少 8 位" in short.get_data(as_text=True)
    # the code was not spent by the refused forms
    assert db.session.execute(select(SmsCode)).scalar_one().used_at is None
    assert _reset(client, code).status_code == 303


def test_a_wrong_or_reused_code_changes_nothing(app, client):
    _person()
    client.post("/sms-code/reset", data={"phone": PHONE})
    code = _code()
    wrong = _reset(client, f"{(int(code) + 1) % 1_000_000:06d}")
    assert wrong.status_code == 422
    assert "验证码错误，还可以再试 4 次" in wrong.get_data(as_text=True)
    assert _reset(client, code).status_code == 303

    replay = _reset(app.test_client(), code, password="yet-another-one")
    assert replay.status_code == 422
    assert "验证码已使用，请重新获取" in replay.get_data(as_text=True)
    client.post("/logout")
    assert client.post("/login", data={"phone": PHONE, "password": NEW}).status_code == 303


def test_a_login_code_does_not_reset_a_password(app, client):
    _person()
    client.post("/sms-code/login", data={"phone": PHONE})
    response = _reset(client, _code())
    assert response.status_code == 422
    assert "请先获取验证码" in response.get_data(as_text=True)
