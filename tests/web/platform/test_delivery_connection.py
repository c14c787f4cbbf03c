"""The platform's 平台配送 page: the 配送助手's code, 重新生成 (confirmed; it disconnects),
已接入 with the time and who or 未接入. Dispatching itself is the back office's: the platform's
order page shows the task read-only."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.accounts.models import Role
from app.clock import travel
from app.deadlines import sweep
from app.delivery.connection import assistant_settings, connect, regenerate_code
from app.delivery.dispatch import assign_task
from app.extensions import db
from app.jobs import commit
from tests.factories import actor_of, make_user
from tests.unit.delivery.dispatch_world import build, make_rider

HX = {"HX-Request": "true"}


@pytest.fixture
def operator(app):
    return make_user(Role.OPERATOR, name="张运营")


@pytest.fixture
def service(app):
    return make_user(Role.SERVICE, name="李客服")


def settings():
    db.session.expire_all()
    return assistant_settings()


def test_the_page_shows_the_code_and_who_connected_when(client, login, operator):
    dispatcher = make_user(Role.DISPATCHER, name="钱调度")
    code = regenerate_code(actor_of(operator))
    commit()
    login(operator)
    page = client.get("/platform/delivery").get_data(as_text=True)
    assert code in page and "未接入" in page
    assert "商家发货时暂时不能选择「配送助手」" in page

    connect(code, actor_of(dispatcher))
    commit()
    page = client.get("/platform/delivery").get_data(as_text=True)
    assert "已接入" in page and "由 钱调度 接入" in page


def test_regenerating_asks_for_a_tick_then_disconnects(client, login, operator):
    login(operator)
    before = settings().auth_code
    answer = client.post("/platform/delivery/code", data={}, headers=HX)
    assert answer.status_code == 422
    assert "重新生成会断开配送助手，请勾选确认" in answer.get_data(as_text=True)
    assert settings().auth_code == before and settings().connected

    answer = client.post("/platform/delivery/code", data={"confirm": "y"})
    assert answer.status_code == 303
    page = client.get(answer.location).get_data(as_text=True)
    assert "已重新生成授权码，配送助手已断开" in page
    assert settings().auth_code != before and not settings().connected
    assert settings().auth_code in page


def test_customer_service_reads_but_cannot_regenerate(client, login, service):
    login(service)
    page = client.get("/platform/delivery").get_data(as_text=True)
    assert "只有平台运营可以重新生成授权码" in page and 'name="confirm"' not in page
    answer = client.post("/platform/delivery/code", data={"confirm": "y"}, headers=HX)
    assert answer.status_code == 403
    assert settings().connected


def test_the_dispatcher_with_the_old_code_is_shut_out(app, client, login, operator):
    world = build()
    task = world.ship()
    desk = app.test_client()
    login(world.dispatcher, test_client=desk)
    assert desk.get(f"/dispatch/tasks/{task.id}").status_code == 200
    login(operator)
    old = settings().auth_code

    client.post("/platform/delivery/code", data={"confirm": "y"})

    assert desk.get(f"/dispatch/tasks/{task.id}").status_code == 404
    answer = desk.post("/dispatch/connect", data={"code": old})
    assert answer.status_code == 422 and "授权码错误或已失效" in answer.get_data(as_text=True)


def test_mode_and_assignment_are_no_longer_changed_on_the_platform(client, login, operator):
    login(operator)
    page = client.get("/platform/delivery").get_data(as_text=True)
    assert "抢单模式" in page and "在配送助手后台的「设置」中修改" in page
    assert 'name="mode"' not in page
    assert client.post("/platform/delivery", data={"mode": "assign"}).status_code == 405


def test_the_platform_order_page_shows_the_task_read_only(client, login, operator):
    world = build()
    task = world.ship()
    rider = make_rider("赵骑手")
    assign_task(task, rider.id, actor_of(world.dispatcher))
    commit()
    login(operator)
    page = client.get(f"/platform/orders/{task.order_id}").get_data(as_text=True)
    assert 'id="delivery-task"' in page and "分配模式" in page and "赵骑手" in page
    assert "分配、改派和取消在配送助手后台处理" in page
    assert 'name="rider_id"' not in page
    assert (
        client.post(f"/platform/tasks/{task.id}/rider", data={"rider_id": rider.id}).status_code
        == 404
    )


def test_the_platform_sees_a_task_nobody_took_in_time(client, login, operator):
    world = build()
    task = world.ship()
    with travel(timedelta(minutes=11)):
        sweep()
    login(operator)
    page = client.get(f"/platform/orders/{task.order_id}").get_data(as_text=True)
    assert "超时未接单" in page and "超过 10 分钟无人接单" in page
