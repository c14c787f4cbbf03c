"""Logging in by phone and password, landing on one's portal, switching roles, guarding portals."""

from __future__ import annotations

import re

import pytest

from app.accounts.models import Role
from app.extensions import db
from tests.factories import grant, make_region, make_store, make_user


@pytest.mark.parametrize(
    ("role", "landing"),
    [
        (Role.OPERATOR, "/platform/"),
        (Role.SERVICE, "/platform/"),
        (Role.STORE_STAFF, "/store/"),
        (Role.SALES_MANAGER, "/sales/"),
        (Role.DRIVER, "/driver/"),
        (Role.RIDER, "/rider/"),
        (Role.BUYER, "/shop/"),
    ],
)
def test_each_person_lands_on_their_portal(app, login, role, landing):
    user = make_user(
        role,
        store=make_store() if role == Role.STORE_STAFF else None,
        region=make_region() if role in (Role.SALES_MANAGER, Role.DRIVER) else None,
    )
    db.session.commit()
    response = login(user)
    assert response.status_code == 303
    assert response.headers["Location"] == landing


def test_wrong_password_says_so_with_422(app, login):
    user = make_user(Role.RIDER)
    db.session.commit()
    response = login(user, password="wrong-password")
    assert response.status_code == 422
    assert "手机号或密码错误" in response.get_data(as_text=True)


def test_portals_refuse_other_roles(app, client, login):
    login(make_user(Role.RIDER))
    for portal in ("/platform/", "/store/", "/sales/", "/driver/"):
        assert client.get(portal).status_code == 403


def test_visitors_are_sent_to_login_but_may_browse_the_shop(client):
    assert client.get("/store/").headers["Location"].startswith("/login?next=")
    assert client.get("/shop/").status_code == 200


def test_a_person_with_two_roles_switches_between_portals(app, client, login):
    region = make_region()
    user = make_user(Role.SALES_MANAGER, region=region)
    driver_grant = grant(user, Role.DRIVER, region=region)
    db.session.commit()
    assert login(user).headers["Location"] == "/sales/"
    assert client.get("/driver/").status_code == 200  # visiting the portal acts as that role
    response = client.post(f"/switch-role/{driver_grant.id}")
    assert response.headers["Location"] == "/driver/"


def test_logout_ends_the_session(app, client, login):
    login(make_user(Role.RIDER))
    client.post("/logout")
    assert client.get("/rider/").status_code == 302


def test_login_attempts_are_rate_limited(app_factory):
    app = app_factory(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3 per minute")
    client = app.test_client()
    codes = [
        client.post("/login", data={"phone": "13900000000", "password": "x"}).status_code
        for _ in range(4)
    ]
    assert codes == [422, 422, 422, 429]


def test_forms_need_the_csrf_token(app_factory):
    app = app_factory(WTF_CSRF_ENABLED=True)
    with app.app_context():
        user = make_user(Role.RIDER)
        db.session.commit()
        client = app.test_client()
        refused = client.post("/login", data={"phone": user.phone, "password": "pw123456"})
        assert refused.status_code == 400
        page = client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        # HTMX requests carry the same token in a header (hx-headers in base.html)
        assert f'"X-CSRFToken": "{token}"' in page
        accepted = client.post(
            "/login", data={"phone": user.phone, "password": "pw123456", "csrf_token": token}
        )
        assert accepted.status_code == 303
        db.session.remove()


def test_healthz_reports_database_and_redis(client, app_factory, redis_url):
    body = client.get("/healthz").get_json()
    assert body["database"] == "ok"
    assert "in-process" in body["redis"]
    with_redis = app_factory(REDIS_URL=redis_url).test_client().get("/healthz")
    assert with_redis.status_code == 200
    assert with_redis.get_json()["redis"] == "ok"
    broken = app_factory(REDIS_URL="redis://127.0.0.1:1/0").test_client().get("/healthz")
    assert broken.status_code == 503


def test_healthz_says_the_database_is_down_instead_of_failing(app, app_factory):
    """A GET takes its read connection before the view; with the database down that must not
    turn the monitors' page into a 500."""
    down = app_factory(SQLALCHEMY_DATABASE_URI="postgresql+psycopg://postgres@127.0.0.1:1/gone")
    answer = down.test_client().get("/healthz")
    assert answer.status_code == 503
    assert answer.get_json()["database"].startswith("error: ")
