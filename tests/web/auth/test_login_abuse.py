"""Guessing passwords: limited per phone number as well as per address, with no way to tell
which phone numbers have an account, and no way to be sent to another site after logging in."""

from __future__ import annotations

import re
import time

import pytest

from app.accounts.models import Role
from app.extensions import db
from tests.factories import PASSWORD, make_user

ONE_PHONE_LIMITED = {
    "RATELIMIT_ENABLED": True,
    "LOGIN_RATE_LIMIT": "100 per minute",  # per address: out of the way
    "LOGIN_ACCOUNT_RATE_LIMIT": "3 per 15 minutes",
}


def _user(app, role=Role.RIDER):
    with app.app_context():
        user = make_user(role)
        db.session.commit()
        phone = user.phone
        db.session.remove()
    return phone


def _attempt(client, phone: str, password: str, address: str):
    return client.post(
        "/login",
        data={"phone": phone, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )


# ---- per account --------------------------------------------------------------------------------


def test_many_addresses_guessing_one_phone_are_refused_with_a_clear_message(app_factory):
    app = app_factory(**ONE_PHONE_LIMITED)
    phone = _user(app)
    client = app.test_client()
    codes = [_attempt(client, phone, "guess", f"10.0.0.{n}").status_code for n in range(1, 4)]
    assert codes == [422, 422, 422]

    refused = _attempt(client, phone, "guess", "10.0.0.4")

    assert refused.status_code == 429
    page = refused.get_data(as_text=True)
    assert "登录尝试次数过多，请 15 分钟后再试" in page
    assert 'id="login-form"' in page  # the form again, to try later
    # while the phone is locked, even the right password waits
    assert _attempt(client, phone, PASSWORD, "10.0.0.5").status_code == 429


def test_a_successful_login_starts_the_count_again(app_factory):
    app = app_factory(**ONE_PHONE_LIMITED)
    phone = _user(app)
    person = app.test_client()
    assert [_attempt(person, phone, "typo", "10.0.0.1").status_code for _ in range(2)] == [
        422,
        422,
    ]
    assert _attempt(person, phone, PASSWORD, "10.0.0.1").status_code == 303

    later = app.test_client()
    codes = [_attempt(later, phone, "typo", "10.0.0.1").status_code for _ in range(3)]
    assert codes == [422, 422, 422]
    assert _attempt(later, phone, "typo", "10.0.0.1").status_code == 429


def test_one_phones_lock_leaves_other_people_logging_in(app_factory):
    app = app_factory(**ONE_PHONE_LIMITED)
    victim, other = _user(app), _user(app)
    client = app.test_client()
    for _ in range(4):
        _attempt(client, victim, "guess", "10.0.0.1")
    assert _attempt(client, victim, "guess", "10.0.0.1").status_code == 429
    assert _attempt(app.test_client(), other, PASSWORD, "10.0.0.1").status_code == 303


def test_one_address_guessing_many_phones_is_refused(app_factory):
    app = app_factory(
        RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3 per minute", LOGIN_ACCOUNT_RATE_LIMIT="100/hour"
    )
    client = app.test_client()
    codes = [_attempt(client, f"1390000{n:04d}", "guess", "10.0.0.9").status_code for n in range(4)]
    assert codes == [422, 422, 422, 429]
    assert "请 1 分钟后再试" in _attempt(client, "13900009999", "x", "10.0.0.9").get_data(
        as_text=True
    )


# ---- no phone-number enumeration ----------------------------------------------------------------


CSRF_TOKEN = re.compile(r'"X-CSRFToken": "[^"]*"')  # signed with the second it was made


def _timed(client, phone: str) -> tuple[float, str]:
    started = time.perf_counter()
    response = _attempt(client, phone, "not-the-password", "10.0.0.1")
    took = time.perf_counter() - started
    assert response.status_code == 422
    return took, CSRF_TOKEN.sub("", response.get_data(as_text=True).replace(phone, "PHONE"))


def _without_token(page: str) -> str:
    return re.sub(r'(name="csrf_token"[^>]*value=|"X-CSRFToken": )"[^"]*"', r"\1", page)


def test_an_unknown_phone_answers_like_a_wrong_password_and_as_slowly(app_factory):
    """Otherwise the answer's time tells which phone numbers have an account: checking a
    password takes a deliberately slow hash, an unknown phone must pay for one too."""
    app = app_factory(PASSWORD_HASH_METHOD="pbkdf2:sha256:100000")  # ~60 ms a check here
    known, unknown = _user(app), "13999999999"
    client = app.test_client()
    _attempt(client, unknown, "warm-up", "10.0.0.1")

    # interleaved, the fastest of five each: a busy machine slows both alike
    rounds = [(_timed(client, known), _timed(client, unknown)) for _ in range(5)]
    wrong_password = min(wrong for (wrong, _), _ in rounds)
    unknown_phone = min(other for _, (other, _) in rounds)

    (_, wrong_page), (_, unknown_page) = rounds[-1]
    # the same page, but for the CSRF token, which carries the second it was made in
    assert _without_token(unknown_page) == _without_token(wrong_page)
    assert "手机号或密码错误" in unknown_page
    assert unknown_phone > 0.5 * wrong_password, (unknown_phone, wrong_password)
    assert wrong_password > 0.5 * unknown_phone, (unknown_phone, wrong_password)


def test_a_disabled_person_is_told_the_same_as_a_wrong_password(app_factory):
    app = app_factory()
    with app.app_context():
        user = make_user(Role.RIDER)
        user.active = False
        db.session.commit()
        phone = user.phone
        db.session.remove()
    response = _attempt(app.test_client(), phone, PASSWORD, "10.0.0.1")
    assert response.status_code == 422
    assert "手机号或密码错误" in response.get_data(as_text=True)


# ---- where the person lands ---------------------------------------------------------------------

ANOTHER_HOST = [
    "//evil.example",
    "///evil.example",
    "https://evil.example",
    "https:evil.example",
    "http:/evil.example",
    "javascript:alert(1)",
    "/\\evil.example",
    "\\\\evil.example",
    "/%2F%2Fevil.example",
    "/%2f/evil.example",
    "/%5Cevil.example",
    "/%252F%252Fevil.example",
    " //evil.example",
    "\t//evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    "evil.example",
]


@pytest.mark.parametrize("target", ANOTHER_HOST)
def test_next_never_leads_to_another_site(app, client, target):
    rider = make_user(Role.RIDER)
    db.session.commit()
    response = client.post(
        "/login",
        query_string={"next": target},
        data={"phone": rider.phone, "password": PASSWORD},
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/rider/"


@pytest.mark.parametrize("target", ["/rider/?page=2", "/rider/tasks/7?tab=done", "/shop/cart"])
def test_next_leads_back_to_a_page_of_this_site(app, client, target):
    rider = make_user(Role.RIDER)
    db.session.commit()
    response = client.post(
        "/login",
        query_string={"next": target},
        data={"phone": rider.phone, "password": PASSWORD},
    )
    assert response.headers["Location"] == target


def test_the_language_switch_never_leads_to_another_site(client):
    response = client.post("/lang/en", data={"next": "/\\evil.example"})
    assert response.headers["Location"] == "/"
