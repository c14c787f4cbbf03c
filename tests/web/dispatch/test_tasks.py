"""One task's page: 分配 / 改派 with a rider picker (load, cap, on duty), 取消 with a reason; plain
POST + 303 or the page's block for htmx; refusals say which rider and why."""

from __future__ import annotations

import pytest

from app.delivery.dispatch import assign_task
from app.delivery.models import DispatchMode, RiderProfile, TaskStatus
from app.delivery.rider_accounts import disable_rider
from app.extensions import db
from app.jobs import commit
from app.ordering.states import OrderStatus
from tests.factories import actor_of
from tests.unit.delivery.dispatch_world import make_rider
from tests.web.dispatch.conftest import HX


def assign(desk, task, rider_id, headers=None):
    return desk.post(
        f"/dispatch/tasks/{task.id}/assign", data={"rider_id": rider_id}, headers=headers or {}
    )


def test_the_picker_shows_each_riders_load_cap_and_duty(desk, world):
    task = world.ship()
    make_rider("赵骑手", cap=2)
    make_rider("孙骑手", on_duty=False)
    page = desk.get(f"/dispatch/tasks/{task.id}").get_data(as_text=True)
    assert "分配骑手" in page and "0/2" in page and "未开工" in page and "在岗" in page
    assert task.order.contact_phone in page and task.order.address in page
    assert 'aria-label="分配给 赵骑手"' in page


def test_assigning_by_a_plain_post_lands_on_the_task_with_a_notice(desk, world):
    task = world.ship()
    rider = make_rider("赵骑手")
    answer = assign(desk, task, rider.id)
    assert answer.status_code == 303 and answer.location == f"/dispatch/tasks/{task.id}"
    page = desk.get(answer.location).get_data(as_text=True)
    assert "已分配给骑手 赵骑手" in page and "改派骑手" in page
    db.session.refresh(task)
    assert (task.status, task.rider_id) == (TaskStatus.ACCEPTED, rider.id)


def test_assigning_with_htmx_answers_the_task_block(desk, world):
    task = world.ship()
    rider = make_rider("赵骑手")
    answer = assign(desk, task, rider.id, HX)
    text = answer.get_data(as_text=True)
    assert answer.status_code == 200 and text.lstrip().startswith('<div id="task-detail">')
    assert "已分配给骑手 赵骑手" in text and "调度分配给骑手 赵骑手" in text  # the timeline


def test_reassigning_to_another_rider(desk, world):
    task = world.ship()
    first, second = make_rider("赵骑手"), make_rider("孙骑手")
    assign(desk, task, first.id)
    assert assign(desk, task, second.id).status_code == 303
    page = desk.get(f"/dispatch/tasks/{task.id}").get_data(as_text=True)
    assert "调度改派：赵骑手 → 骑手 孙骑手" in page


@pytest.mark.parametrize(
    "setup, status, refusal",
    [
        ("disabled", 403, "骑手 孙骑手 未通过审核或已停用"),
        ("off duty", 409, "骑手 孙骑手 未开工"),
        ("full", 409, "骑手 孙骑手 已有 1 单在配送，达到上限 1 单"),
    ],
)
def test_a_rider_who_cannot_take_it_is_refused_by_name(desk, world, setup, status, refusal):
    task = world.ship()
    rider = make_rider("孙骑手", on_duty=setup != "off duty", cap=1)
    if setup == "disabled":
        disable_rider(db.session.get(RiderProfile, rider.id), actor_of(world.dispatcher))
    if setup == "full":
        assign_task(world.ship(), rider.id, actor_of(world.dispatcher))
    commit()

    answer = assign(desk, task, rider.id, HX)

    assert answer.status_code == status
    assert refusal in answer.get_data(as_text=True)
    assert answer.headers["HX-Retarget"] == "#flash"
    db.session.expire_all()
    assert db.session.get(type(task), task.id).status == TaskStatus.WAITING


def test_a_plain_post_refused_goes_back_with_the_message(desk, world):
    task = world.ship()
    rider = make_rider("孙骑手", on_duty=False)
    page = f"http://localhost/dispatch/tasks/{task.id}"
    answer = desk.post(
        f"/dispatch/tasks/{task.id}/assign", data={"rider_id": rider.id}, headers={"Referer": page}
    )
    assert answer.status_code == 303 and answer.location == f"/dispatch/tasks/{task.id}"
    assert "骑手 孙骑手 未开工" in desk.get(answer.location).get_data(as_text=True)


@pytest.mark.parametrize("rider_id", ["", "abc", "-1", "0", str(2**40), "1.5", "长" * 300])
def test_fuzzed_rider_ids_get_a_plain_422(desk, world, rider_id):
    task = world.ship()
    answer = assign(desk, task, rider_id, HX)
    assert answer.status_code == 422
    assert "请选择一名骑手" in answer.get_data(as_text=True)


def test_a_grab_mode_task_says_how_to_assign_it(desk, world):
    task = world.ship(DispatchMode.GRAB)
    page = desk.get(f"/dispatch/tasks/{task.id}").get_data(as_text=True)
    assert "当前为抢单模式" in page and "改为分配模式" in page
    answer = assign(desk, task, make_rider("赵骑手").id, HX)
    assert answer.status_code == 409
    assert "该配送单为抢单模式，由骑手抢单，不能指派" in answer.get_data(as_text=True)


def test_cancelling_with_a_reason_hands_the_order_back(desk, world):
    task = world.ship()
    answer = desk.post(f"/dispatch/tasks/{task.id}/cancel", data={"reason": "附近没有骑手"})
    assert answer.status_code == 303
    page = desk.get(answer.location).get_data(as_text=True)
    assert "配送单已取消，订单已退回商家待发货" in page
    assert "配送助手取消配送：附近没有骑手" in page
    db.session.expire_all()
    assert db.session.get(type(task.order), task.order_id).status == OrderStatus.AWAITING_SHIPMENT


@pytest.mark.parametrize(
    "reason, message", [("", "请填写取消原因"), ("长" * 201, "取消原因不能超过 200 字")]
)
def test_a_cancel_without_a_proper_reason_is_a_422_beside_the_field(desk, world, reason, message):
    task = world.ship()
    answer = desk.post(f"/dispatch/tasks/{task.id}/cancel", data={"reason": reason}, headers=HX)
    assert answer.status_code == 422 and message in answer.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(type(task), task.id).status == TaskStatus.WAITING


def test_a_task_of_a_courier_platform_is_not_the_dispatchers(desk, world):
    task = world.ship()
    task.courier = "dada"
    commit()
    assert desk.get(f"/dispatch/tasks/{task.id}").status_code == 404
    assert desk.post(f"/dispatch/tasks/{task.id}/cancel", data={"reason": "x"}).status_code == 404
