"""A dispatcher cancels a task with a reason while the goods are still in the store: the store
reads the reason on the order's timeline, and the order is back in 待发货 to ship again."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.accounts.models import Role
from app.deadlines import Deadline
from app.delivery.alarms import ALARM
from app.delivery.dispatch import assign_task, cancel_task, may_cancel
from app.delivery.models import TaskStatus
from app.delivery.riders import active_load
from app.delivery.services import advance_task, ship_with_assistant
from app.errors import Forbidden, IllegalTransition, InvalidInput
from app.extensions import db
from app.jobs import commit
from app.ordering.fulfilment import ship_by_express
from app.ordering.states import OrderStatus
from app.web.order_view import order_view
from tests.factories import actor_of, make_user
from tests.unit.delivery.dispatch_world import build, codes, make_rider, notes


@pytest.fixture
def world(app):
    return build()


def test_a_waiting_task_is_cancelled_with_its_reason_and_the_order_goes_back_to_the_store(world):
    task = world.ship()
    order = task.order

    assert cancel_task(task, "附近没有骑手", actor_of(world.dispatcher)) is True

    assert task.status == TaskStatus.CANCELLED and task.cancel_reason == "附近没有骑手"
    db.session.refresh(order)
    assert order.status == OrderStatus.AWAITING_SHIPMENT
    assert order.shipped_at is None and not order.courier_confirms
    assert codes(order)[-2:] == ["task_cancelled_by_dispatch", "order_back_to_store"]
    assert notes(order)[-2]["reason"] == "附近没有骑手"


def test_the_store_reads_the_reason_on_its_order_timeline(app, world):
    task = world.ship()
    cancel_task(task, "附近没有骑手", actor_of(world.dispatcher))
    commit()
    with app.test_request_context():
        timeline = order_view(task.order, "store").timeline
    lines = [f"{entry.label} {entry.actor} {entry.note}" for entry in timeline]
    assert "已取消 钱调度 配送助手取消配送：附近没有骑手" in lines
    assert "待发货 钱调度 配送已取消，订单退回待发货，请重新发货" in lines


def test_an_accepted_task_is_taken_from_its_rider(world):
    task = world.ship()
    rider = make_rider("赵骑手")
    assign_task(task, rider.id, actor_of(world.dispatcher))
    advance_task(task, TaskStatus.ARRIVED, actor_of(rider))
    assert active_load(rider.id) == 1

    cancel_task(task, "商家出餐太慢，改为自行配送", actor_of(world.dispatcher))

    assert task.status == TaskStatus.CANCELLED and active_load(rider.id) == 0
    with pytest.raises(IllegalTransition):
        advance_task(task, TaskStatus.PICKED, actor_of(rider))


def test_the_cancelled_order_ships_again_another_way(world):
    task = world.ship()
    cancel_task(task, "附近没有骑手", actor_of(world.dispatcher))
    order = task.order
    ship_by_express(order, actor_of(world.owner), "顺丰速运", "SF1234567890")
    assert order.status == OrderStatus.SHIPPED and order.tracking_no == "SF1234567890"


def test_the_cancelled_order_ships_again_by_the_assistant(world):
    task = world.ship()
    rider = make_rider("赵骑手")
    assign_task(task, rider.id, actor_of(world.dispatcher))
    cancel_task(task, "附近没有骑手", actor_of(world.dispatcher))
    again = ship_with_assistant(task.order, actor_of(world.owner))
    assert again.id == task.id  # one task per order, waiting again as new
    assert again.status == TaskStatus.WAITING and again.rider_id is None
    assert (again.accepted_at, again.cancelled_at, again.cancel_reason) == (None, None, "")
    assert task.order.status == OrderStatus.SHIPPED


def test_cancelling_twice_is_one_cancel(world):
    task = world.ship()
    cancel_task(task, "附近没有骑手", actor_of(world.dispatcher))
    assert cancel_task(task, "附近没有骑手", actor_of(world.dispatcher)) is False
    assert codes(task.order_id).count("task_cancelled_by_dispatch") == 1


def test_cancelling_takes_the_alarm_away(world):
    task = world.ship()
    open_alarms = select(Deadline).where(Deadline.kind == ALARM, Deadline.subject_id == task.id)
    assert db.session.execute(open_alarms).scalar_one_or_none() is not None
    cancel_task(task, "附近没有骑手", actor_of(world.dispatcher))
    assert db.session.execute(open_alarms).scalar_one_or_none() is None


def test_once_the_rider_has_picked_up_the_task_cannot_be_cancelled(world):
    task = world.ship()
    rider = make_rider("赵骑手")
    assign_task(task, rider.id, actor_of(world.dispatcher))
    advance_task(task, TaskStatus.ARRIVED, actor_of(rider))
    advance_task(task, TaskStatus.PICKED, actor_of(rider))
    assert not may_cancel(task)
    with pytest.raises(IllegalTransition, match="骑手已取货，不能再改派或取消"):
        cancel_task(task, "不送了", actor_of(world.dispatcher))
    assert task.order.status == OrderStatus.SHIPPED


@pytest.mark.parametrize(
    "reason, refusal",
    [
        ("", "请填写取消原因"),
        ("   ", "请填写取消原因"),
        ("长" * 201, "不能超过 200 字"),
        ("a\u202eb", "控制字符"),
    ],
)
def test_a_reason_is_required_and_plain(world, reason, refusal):
    task = world.ship()
    with pytest.raises(InvalidInput, match=refusal):
        cancel_task(task, reason, actor_of(world.dispatcher))
    assert task.status == TaskStatus.WAITING


def test_a_store_cannot_cancel_through_the_dispatchers_verb(world):
    task = world.ship()
    with pytest.raises(Forbidden):
        cancel_task(task, "不想送了", actor_of(world.owner))
    rider = make_user(Role.RIDER)
    with pytest.raises(Forbidden):
        cancel_task(task, "不想送了", actor_of(rider))
