"""A form sent after the session ended says 请重新登录 with a login link that comes back to the
page; a stale form of a person still logged in says 页面已过期 (#12 §6)."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from app.extensions import db
from app.ordering.states import OrderStatus
from tests.factories import PASSWORD
from tests.support.wholesale_world import build_world, order_of

HTMX = {"HX-Request": "true"}
TOKEN = re.compile(r'"X-CSRFToken": "([^"]+)"')  # on every page (hx-headers in base.html)
HOST = "http://localhost"


@pytest.fixture
def world(csrf_app):
    return build_world()


def logged_in(app, user):
    browser = app.test_client()
    token = TOKEN.search(browser.get("/login").text).group(1)
    response = browser.post(
        "/login", data={"phone": user.phone, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 303
    return browser


def page_token(browser, url: str) -> str:
    return TOKEN.search(browser.get(url).text).group(1)


def log_out_in_another_tab(browser, url: str) -> None:
    """The other tab shares the cookie: its 退出登录 ends the session this tab still shows."""
    assert browser.post("/logout", data={"csrf_token": page_token(browser, url)}).status_code == 303


def test_a_form_sent_after_logging_out_elsewhere_asks_to_log_in_again(world, csrf_app):
    order = order_of(world)
    manager = logged_in(csrf_app, world.manager)
    url = f"/sales/orders/{order.id}"
    token = page_token(manager, url)
    log_out_in_another_tab(manager, url)
    response = manager.post(
        f"{url}/confirm", data={"csrf_token": token}, headers={"Referer": HOST + url}
    )
    assert response.status_code == 303
    target = urlsplit(response.headers["Location"])
    assert target.path == "/login" and parse_qs(target.query)["next"] == [url]
    login_page = manager.get(response.headers["Location"]).text
    assert "登录已失效，请重新登录" in login_page and "页面已过期" not in login_page
    db.session.refresh(order)
    assert order.status == OrderStatus.PENDING_CONFIRM  # nothing was done
    again = manager.post(
        response.headers["Location"],
        data={
            "phone": world.manager.phone,
            "password": PASSWORD,
            "csrf_token": TOKEN.search(login_page).group(1),
        },
    )
    assert again.headers["Location"] == url  # logged in again, back on the order


def test_with_htmx_the_message_carries_a_login_link_back_to_the_page(world, csrf_app):
    order = order_of(world)
    manager = logged_in(csrf_app, world.manager)
    url = f"/sales/orders/{order.id}"
    token = page_token(manager, url)
    log_out_in_another_tab(manager, url)
    response = manager.post(
        f"{url}/confirm", headers=HTMX | {"X-CSRFToken": token, "Referer": HOST + url}
    )
    assert response.status_code == 400
    assert response.headers["HX-Retarget"] == "#flash"
    assert "请重新登录" in response.text and "页面已过期" not in response.text
    assert f'<a href="/login?next={url}">去登录</a>' in response.text


def test_a_session_that_timed_out_asks_to_log_in_again(world, csrf_app):
    """The cookie is gone (expired): a fresh browser posting the old page's form."""
    order = order_of(world)
    old_token = page_token(logged_in(csrf_app, world.driver), "/driver/")
    expired = csrf_app.test_client()
    url = f"/driver/orders/{order.id}"
    response = expired.post(
        f"{url}/slips", data={"csrf_token": old_token}, headers={"Referer": HOST + url}
    )
    assert response.status_code == 303
    assert response.headers["Location"] == f"/login?next={url}"


def test_a_stale_form_of_someone_still_logged_in_says_the_page_expired(world, csrf_app):
    order = order_of(world)
    manager = logged_in(csrf_app, world.manager)
    url = f"/sales/orders/{order.id}"
    response = manager.post(
        f"{url}/confirm",
        data={"csrf_token": "stale"},
        headers={"Referer": HOST + url},
        follow_redirects=True,
    )
    assert response.request.path == url  # back on the page, still logged in
    assert "页面已过期，请刷新后重试" in response.text and "请重新登录" not in response.text
    fragment = manager.post(f"{url}/confirm", headers=HTMX | {"X-CSRFToken": "stale"})
    assert fragment.status_code == 400
    assert "页面已过期，请刷新后重试" in fragment.text


def test_the_login_page_itself_still_says_refresh(csrf_app):
    """Nobody is logged in on the login page: an expired token there is a stale page."""
    response = csrf_app.test_client().post("/login", data={"phone": "13900000000"})
    assert response.status_code == 400
    assert "页面已过期，请刷新后重试" in response.text
