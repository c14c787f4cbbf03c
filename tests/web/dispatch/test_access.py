"""Who enters the 配送助手 back office, and what a dispatcher sees while it is not connected."""

from __future__ import annotations

import pytest

from app.accounts.models import Role
from app.delivery.connection import regenerate_code
from app.jobs import commit
from tests.factories import actor_of, make_region, make_user
from tests.unit.delivery.dispatch_world import make_rider
from tests.web.dispatch.conftest import HX

PAGES = ("/dispatch/", "/dispatch/board", "/dispatch/riders", "/dispatch/settings")


def test_a_dispatcher_lands_on_the_back_office(app, world, login):
    answer = login(world.dispatcher)
    assert answer.location.startswith("/dispatch/")
    page = app.test_client()
    login(world.dispatcher, test_client=page)
    text = page.get("/dispatch/").get_data(as_text=True)
    assert "配送助手" in text and "待接单" in text and "在岗骑手" in text


@pytest.mark.parametrize(
    "role",
    [r for r in Role if r != Role.DISPATCHER],
)
def test_every_other_role_is_refused(app, world, login, role):
    person = make_user(
        role,
        store=world.store if role == Role.STORE_STAFF else None,
        region=make_region() if role in (Role.SALES_MANAGER, Role.DRIVER) else None,
    )
    commit()
    browser = app.test_client()
    login(person, test_client=browser)
    for path in (*PAGES, "/dispatch/connect"):
        assert browser.get(path).status_code == 403, (role, path)
    assert browser.post("/dispatch/settings/mode", data={"mode": "assign"}).status_code == 403


def test_a_visitor_is_sent_to_log_in(client):
    answer = client.get("/dispatch/board")
    assert answer.status_code == 302 and "/login" in answer.location


def test_disconnected_pages_say_so_and_where_to_enter_the_code(app, world, desk):
    task = world.ship()
    make_rider("赵骑手")
    regenerate_code(actor_of(make_user(Role.OPERATOR)))
    commit()
    for path in PAGES:
        page = desk.get(path).get_data(as_text=True)
        assert "配送助手未接入" in page, path
        assert 'href="/dispatch/connect"' in page and "去接入" in page
        assert task.order.no not in page
    assert "未接入" in desk.get("/dispatch/board", headers=HX).get_data(as_text=True)


def test_disconnected_every_task_and_rider_id_answers_404(app, world, desk):
    task = world.ship()
    rider = make_rider("赵骑手")
    regenerate_code(actor_of(make_user(Role.OPERATOR)))
    commit()
    assert desk.get(f"/dispatch/tasks/{task.id}").status_code == 404
    for action, data in (("assign", {"rider_id": rider.id}), ("cancel", {"reason": "x"})):
        assert desk.post(f"/dispatch/tasks/{task.id}/{action}", data=data).status_code == 404
    for action in ("approve", "reject", "disable", "enable", "cap"):
        assert desk.post(f"/dispatch/riders/{rider.id}/{action}", data={}).status_code == 404
    answer = desk.post("/dispatch/settings/mode", data={"mode": "assign"})
    assert answer.status_code == 403
    answer = desk.post(
        "/dispatch/riders/new",
        data={"phone": "13712345678", "name": "孙骑手", "vehicle": "ebike", "cap": "3"},
        headers=HX,
    )
    assert answer.status_code == 403 and "配送助手未接入" in answer.get_data(as_text=True)


def test_ids_of_nothing_answer_404(desk):
    for path in ("/dispatch/tasks/999999", "/dispatch/tasks/0", f"/dispatch/tasks/{2**40}"):
        assert desk.get(path).status_code == 404
    assert desk.post("/dispatch/riders/999999/approve").status_code == 404


def test_every_page_reads_in_english_too(desk, world):
    task = world.ship()
    make_rider("赵骑手")
    commit()
    desk.post("/lang/en")
    for path in (
        *PAGES,
        "/dispatch/connect",
        f"/dispatch/tasks/{task.id}",
        "/dispatch/board?tab=all",
    ):
        answer = desk.get(path)
        assert answer.status_code == 200, path
        assert 'lang="en"' in answer.get_data(as_text=True)
