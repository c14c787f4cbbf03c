"""Sessions: signed with a key nobody else knows, ended for good by logging out, by being
disabled or by losing a role, and carried in cookies scripts cannot read."""

from __future__ import annotations

import stat

import pytest

from app.accounts.models import Role
from app.accounts.services import disable_person, revoke_grant
from app.config import SecretKeyMissing
from app.errors import Forbidden
from app.extensions import db
from tests.factories import actor_of, grant, make_store, make_user
from tests.support.sent import statements_sent

PRODUCTION = {"TESTING": False, "DEBUG": False, "HAOSHANG_ENV": "production"}


# ---- the secret key -----------------------------------------------------------------------------


def test_production_refuses_to_start_without_a_secret_key(app_factory):
    with pytest.raises(SecretKeyMissing):
        app_factory(**PRODUCTION, SECRET_KEY=None)


def test_production_refuses_the_old_public_default_key(app_factory):
    with pytest.raises(SecretKeyMissing):
        app_factory(**PRODUCTION, SECRET_KEY="dev-only-change-me")


def test_production_starts_with_a_configured_key(app_factory):
    assert app_factory(**PRODUCTION, SECRET_KEY="a-long-random-value").secret_key == (
        "a-long-random-value"
    )


def test_development_makes_a_private_random_key_once_and_keeps_it(app_factory, tmp_path):
    key_file = tmp_path / "instance" / "secret_key"
    development = {**PRODUCTION, "HAOSHANG_ENV": "development", "SECRET_KEY": None}
    first = app_factory(**development, DEV_SECRET_KEY_FILE=str(key_file))
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert len(first.secret_key) >= 32 and first.secret_key == key_file.read_text().strip()
    # restarting `make run` keeps everybody logged in: the next start signs with the same key
    second = app_factory(**development, DEV_SECRET_KEY_FILE=str(key_file))
    assert second.secret_key == first.secret_key
    other = app_factory(**development, DEV_SECRET_KEY_FILE=str(tmp_path / "elsewhere"))
    assert other.secret_key != first.secret_key  # random, not a constant


# ---- sessions end for good ----------------------------------------------------------------------


def _session_cookie(client) -> str:
    return client.get_cookie("session").value


def _replayed(app, cookie: str):
    """Another browser that got hold of a copy of the cookie."""
    thief = app.test_client()
    thief.set_cookie("session", cookie)
    return thief


def test_a_cookie_copied_before_logout_is_refused_after_it(app, client, login):
    rider = make_user(Role.RIDER)
    db.session.commit()
    login(rider)
    copied = _session_cookie(client)
    assert _replayed(app, copied).get("/rider/").status_code == 200

    client.post("/logout")

    refused = _replayed(app, copied).get("/rider/")
    assert refused.status_code == 302
    assert refused.headers["Location"].startswith("/login?next=")


def test_logging_in_again_after_logout_works(app, client, login):
    rider = make_user(Role.RIDER)
    db.session.commit()
    login(rider)
    client.post("/logout")
    assert login(rider).headers["Location"] == "/rider/"
    assert client.get("/rider/").status_code == 200


def test_disabling_a_person_ends_their_session_at_once(app, client, login):
    rider = make_user(Role.RIDER)
    operator = make_user(Role.OPERATOR)
    db.session.commit()
    login(rider)
    assert client.get("/rider/").status_code == 200

    disable_person(rider, actor_of(operator))
    db.session.commit()

    assert client.get("/rider/").headers["Location"].startswith("/login?next=")
    assert login(rider).status_code == 422  # and they cannot log in again


def test_a_person_enabled_again_does_not_get_their_old_sessions_back(app, client, login):
    rider = make_user(Role.RIDER)
    operator = make_user(Role.OPERATOR)
    db.session.commit()
    login(rider)
    copied = _session_cookie(client)
    disable_person(rider, actor_of(operator))
    db.session.commit()

    rider.active = True  # enabled again (there is no UI for it yet)
    db.session.commit()

    assert _replayed(app, copied).get("/rider/").status_code == 302
    assert login(rider).status_code == 303  # they log in afresh


def test_revoking_a_role_ends_the_session_at_once(app, client, login):
    store = make_store()
    owner = make_user(Role.STORE_STAFF, store=store)
    rider_grant = grant(owner, Role.RIDER)
    service = make_user(Role.SERVICE)
    db.session.commit()
    login(owner)
    assert client.get("/rider/").status_code == 200

    revoke_grant(rider_grant, actor_of(service))
    db.session.commit()

    assert client.get("/rider/").headers["Location"].startswith("/login?next=")
    login(owner)  # logged in again, they keep the roles they still hold
    assert client.get("/store/orders").status_code == 200
    assert client.get("/rider/").status_code == 403


def test_only_platform_staff_may_disable_people_or_revoke_roles(app, client, login):
    store = make_store()
    owner = make_user(Role.STORE_STAFF, store=store)
    rider = make_user(Role.RIDER)
    db.session.commit()
    login(rider)

    with pytest.raises(Forbidden):
        disable_person(rider, actor_of(owner))
    with pytest.raises(Forbidden):
        revoke_grant(rider.grants[0], actor_of(owner))
    db.session.rollback()

    assert client.get("/rider/").status_code == 200


def test_checking_the_session_costs_one_statement_about_the_person(app, client, login):
    """The version is read in the one statement about the person: on SQLite the one that loads
    them with their roles; on PostgreSQL, once the process keeps a copy of them
    (app/web/person.py), the stamp that says the copy is still right."""
    login(make_user(Role.RIDER))
    db.session.expunge_all()
    assert client.get("/rider/").status_code == 200  # the process now knows the rider
    with statements_sent() as statements:
        assert client.get("/rider/").status_code == 200
    about_the_person = [s for s in statements if "FROM users" in s]
    assert len(about_the_person) == 1
    assert "session_version" in about_the_person[0] and "role_grants" in about_the_person[0]


# ---- cookies ------------------------------------------------------------------------------------


def _set_cookie(response) -> str:
    [cookie] = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("session=")]
    return cookie


def test_the_session_cookie_is_http_only_and_same_site_lax(app, client, login):
    cookie = _set_cookie(login(make_user(Role.RIDER)))
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # plain http (development): a Secure cookie would be lost


def test_the_session_cookie_is_secure_over_https(app, client):
    user = make_user(Role.RIDER)
    db.session.commit()
    response = client.post(
        "/login",
        data={"phone": user.phone, "password": "pw123456"},
        base_url="https://shop.example.com",
    )
    assert response.status_code == 303
    assert "Secure" in _set_cookie(response)


def test_a_proxys_https_header_counts_only_when_the_proxy_is_trusted(app_factory):
    behind_https_proxy = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
    untrusted = app_factory()
    trusted = app_factory(TRUSTED_PROXIES=1)
    with untrusted.app_context():
        user = make_user(Role.RIDER)
        db.session.commit()
        phone = user.phone
        db.session.remove()
    form = {"phone": phone, "password": "pw123456"}

    spoofed = untrusted.test_client().post("/login", data=form, headers=behind_https_proxy)
    proxied = trusted.test_client().post("/login", data=form, headers=behind_https_proxy)

    assert "Secure" not in _set_cookie(spoofed)
    assert "Secure" in _set_cookie(proxied)


def test_spoofed_forwarded_addresses_do_not_escape_the_login_limit(app_factory):
    """Without a trusted proxy, X-Forwarded-For is the sender's own words: every guess still
    counts against the address the request really came from."""
    app = app_factory(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="2 per minute")
    client = app.test_client()
    codes = [
        client.post(
            "/login",
            data={"phone": f"1390000000{n}", "password": "x"},
            headers={"X-Forwarded-For": f"198.51.100.{n}"},
        ).status_code
        for n in range(3)
    ]
    assert codes == [422, 422, 429]
