"""The pool polls every RIDER_POLL_SECONDS; a poll of a pool that has not changed is answered
204 No Content (htmx keeps its cards), so a phone watching a quiet pool for an hour costs little,
and a task pushed or taken still shows on the next poll."""

from __future__ import annotations

import html
import json
import re
from urllib.parse import urlencode

from app.accounts.models import Role
from app.delivery.services import grab_task
from app.jobs import commit
from tests.factories import actor_of, make_user
from tests.support.wire import wire_bytes
from tests.web.rider.test_rider import HX, pool_card, rider_client

HOUR_OF_POLLS = 3600 // 5  # RIDER_POLL_SECONDS
BUDGET = 200 * 1024


def poll_url(response) -> str:
    """The URL the pool block polls, as htmx makes it: its hx-get and its hx-vals."""
    found = re.search(
        r'<section id="pool" hx-get="([^"]+)" hx-vals=\'([^\']+)\'', response.get_data(as_text=True)
    )
    assert found, "the pool block does not poll"
    url, values = html.unescape(found.group(1)), json.loads(html.unescape(found.group(2)))
    return url + ("&" if "?" in url else "?") + urlencode(values)


def test_an_hour_on_a_quiet_pool_costs_under_200_kb(app, login, ship):
    for _ in range(25):  # a full page of cards, and a pager
        ship()
    rider = make_user(Role.RIDER)
    commit()
    phone = rider_client(app, login, rider)
    page = phone.get("/rider/")
    assert page.status_code == 200
    url = poll_url(page)
    spent = wire_bytes(page)
    for _ in range(HOUR_OF_POLLS):
        answer = phone.get(url, headers=HX)
        assert answer.status_code == 204, answer.status_code
        assert answer.data == b""
        spent += wire_bytes(answer)
    print(f"page {wire_bytes(page)} B, then {HOUR_OF_POLLS} polls: {spent} B in all")
    assert spent < BUDGET, spent


def test_a_pushed_task_and_a_taken_one_show_on_the_next_poll(app, login, ship):
    first = ship()
    rider, other = make_user(Role.RIDER), make_user(Role.RIDER)
    commit()
    phone = rider_client(app, login, rider)
    url = poll_url(phone.get("/rider/"))
    assert phone.get(url, headers=HX).status_code == 204

    second = ship()  # pushed by the courier job
    answer = phone.get(url, headers=HX)
    assert answer.status_code == 200
    assert pool_card(answer.get_data(as_text=True), second)
    url = poll_url(answer)
    assert phone.get(url, headers=HX).status_code == 204

    grab_task(first, actor_of(other))  # taken by another rider
    commit()
    answer = phone.get(url, headers=HX)
    assert answer.status_code == 200
    assert f"pool-task-{first.id}" not in answer.get_data(as_text=True)
    assert pool_card(answer.get_data(as_text=True), second)

    url = poll_url(answer)
    grab_task(second, actor_of(rider))  # taken on this rider's other phone: 进行中 1 单
    commit()
    answer = phone.get(url, headers=HX)
    assert answer.status_code == 200
    assert "进行中的配送 1 单" in answer.get_data(as_text=True)


def test_only_a_poll_gets_204_a_page_is_always_a_page(app, login, ship):
    task = ship()
    rider = make_user(Role.RIDER)
    commit()
    phone = rider_client(app, login, rider)
    url = poll_url(phone.get("/rider/"))
    page = phone.get(url)  # the same URL opened as a page (no HX-Request)
    assert page.status_code == 200
    assert pool_card(page.get_data(as_text=True), task)
    assert phone.get(url.replace("seen=", "seen=0"), headers=HX).status_code == 200


def test_a_bodiless_answer_carries_nosniff_and_no_page_policies(app, login, ship):
    ship()
    rider = make_user(Role.RIDER)
    commit()
    phone = rider_client(app, login, rider)
    answer = phone.get(poll_url(phone.get("/rider/")), headers=HX)
    assert answer.status_code == 204
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert "Content-Security-Policy" not in answer.headers
