"""Assigning and reassigning in 分配模式: the rule lives in the delivery domain (the actor, the
connection, the mode, the task's state, and the rider approved, on duty and under the cap)."""

from __future__ import annotations

import pytest

from app.accounts.models import Role
from app.delivery.connection import regenerate_code
from app.delivery.dispatch import assign_task, may_assign
from app.delivery.models import DispatchMode, TaskStatus
from app.delivery.rider_accounts import disable_rider
from app.delivery.riders import rider_profile
from app.delivery.services import advance_task, grab_task
from app.errors import Forbidden, IllegalTransition, InvalidInput
from app.extensions import db
from app.jobs import commit
from tests.factories import actor_of, make_user
from tests.unit.delivery.dispatch_world import build, codes, make_rider, notes


@pytest.fixture
def world(app):
    return build()


def test_a_dispatcher_gives_a_waiting_task_to_a_rider_on_duty(world):
    task = world.ship()
    rider = make_rider("赵骑手")

    assert assign_task(task, rider.id, actor_of(world.dispatcher)) is True

    assert (task.status, task.rider_id) == (TaskStatus.ACCEPTED, rider.id)
    assert task.assigned_by_id == world.dispatcher.id and task.accepted_at is not None
    last = notes(task.order_id)[-1]
    assert last == {"code": "task_assigned", "name": "赵骑手", "phone": rider.phone}


def test_the_same_assignment_twice_is_one_assignment(world):
    task = world.ship()
    rider = make_rider("赵骑手", cap=1)  # full after the first: the twin must not be refused
    assign_task(task, rider.id, actor_of(world.dispatcher))
    assert assign_task(task, rider.id, actor_of(world.dispatcher)) is False
    assert codes(task.order_id).count("task_assigned") == 1


@pytest.mark.parametrize(
    "make, refusal",
    [
        (lambda: make_rider("孙骑手", on_duty=False), "骑手 孙骑手 未开工"),
        (lambda: make_rider("孙骑手", cap=0), "骑手 孙骑手 已有 0 单在配送，达到上限 0 单"),
    ],
    ids=["off duty", "no room"],
)
def test_a_rider_who_cannot_take_it_is_refused_by_name(world, make, refusal):
    task = world.ship()
    rider = make()
    with pytest.raises(IllegalTransition) as refused:
        assign_task(task, rider.id, actor_of(world.dispatcher))
    assert refused.value.message == refusal
    db.session.rollback()
    db.session.refresh(task)
    assert (task.status, task.rider_id) == (TaskStatus.WAITING, None)


def test_a_full_rider_is_refused_with_their_load(world):
    first, second = world.ship(), world.ship()
    rider = make_rider("孙骑手", cap=1)
    assign_task(first, rider.id, actor_of(world.dispatcher))
    with pytest.raises(IllegalTransition, match="骑手 孙骑手 已有 1 单在配送，达到上限 1 单"):
        assign_task(second, rider.id, actor_of(world.dispatcher))


def test_a_disabled_rider_is_refused_by_name(world):
    task = world.ship()
    rider = make_rider("孙骑手")
    disable_rider(rider_profile(rider.id), actor_of(world.dispatcher))
    with pytest.raises(Forbidden, match="骑手 孙骑手 未通过审核或已停用"):
        assign_task(task, rider.id, actor_of(world.dispatcher))


def test_someone_who_is_no_rider_is_not_a_choice(world):
    task = world.ship()
    buyer = make_user(Role.BUYER, name="周会员")
    with pytest.raises(InvalidInput, match="请选择一名骑手"):
        assign_task(task, buyer.id, actor_of(world.dispatcher))


def test_grab_mode_tasks_belong_to_the_pool_until_the_assistant_is_in_assign_mode(world):
    task = world.ship(DispatchMode.GRAB)
    rider = make_rider("赵骑手")
    assert not may_assign(task)
    with pytest.raises(IllegalTransition, match="该配送单为抢单模式，由骑手抢单，不能指派"):
        assign_task(task, rider.id, actor_of(world.dispatcher))

    world.ship(DispatchMode.ASSIGN)  # the dispatcher switched: the old one may be given out now
    assert may_assign(task)
    assert assign_task(task, rider.id, actor_of(world.dispatcher)) is True


def test_a_task_a_rider_grabbed_first_says_who_has_it(world):
    task = world.ship(DispatchMode.GRAB)
    task.announced_at = task.created_at
    grabber, other = make_rider("赵骑手"), make_rider("孙骑手")
    world.ship(DispatchMode.ASSIGN)
    stale = task.status  # what the dispatcher's page showed
    grab_task(task, actor_of(grabber))
    assert stale == TaskStatus.WAITING
    # the dispatcher's page still showed it waiting: now it is a reassignment, not a refusal
    assert assign_task(task, other.id, actor_of(world.dispatcher)) is True
    assert task.rider_id == other.id


def test_reassigning_an_accepted_task_moves_it_to_the_other_rider(world):
    task = world.ship()
    first, second = make_rider("赵骑手"), make_rider("孙骑手")
    assign_task(task, first.id, actor_of(world.dispatcher))

    assert assign_task(task, second.id, actor_of(world.dispatcher)) is True

    assert (task.status, task.rider_id) == (TaskStatus.ACCEPTED, second.id)
    assert notes(task.order_id)[-1] == {
        "code": "task_reassigned",
        "old": "赵骑手",
        "name": "孙骑手",
        "phone": second.phone,
    }
    with pytest.raises(Forbidden):  # the first rider's tap is refused: not theirs any more
        advance_task(task, TaskStatus.ARRIVED, actor_of(first))


def test_a_rider_at_the_store_can_be_replaced_and_the_new_one_starts_from_accepted(world):
    task = world.ship()
    first, second = make_rider("赵骑手"), make_rider("孙骑手")
    assign_task(task, first.id, actor_of(world.dispatcher))
    advance_task(task, TaskStatus.ARRIVED, actor_of(first))

    assign_task(task, second.id, actor_of(world.dispatcher))

    assert (task.status, task.rider_id, task.arrived_at) == (TaskStatus.ACCEPTED, second.id, None)
    assert advance_task(task, TaskStatus.ARRIVED, actor_of(second)) is True


def test_once_the_rider_has_the_goods_nobody_else_can_be_given_the_task(world):
    task = world.ship()
    first, second = make_rider("赵骑手"), make_rider("孙骑手")
    assign_task(task, first.id, actor_of(world.dispatcher))
    advance_task(task, TaskStatus.ARRIVED, actor_of(first))
    advance_task(task, TaskStatus.PICKED, actor_of(first))
    with pytest.raises(IllegalTransition, match="骑手已取货，不能再改派或取消"):
        assign_task(task, second.id, actor_of(world.dispatcher))
    assert task.rider_id == first.id


def test_a_finished_task_cannot_be_given_out(world):
    task = world.ship()
    rider = make_rider("赵骑手")
    assign_task(task, rider.id, actor_of(world.dispatcher))
    for step in (TaskStatus.ARRIVED, TaskStatus.PICKED, TaskStatus.DELIVERING):
        advance_task(task, step, actor_of(rider))
    advance_task(task, TaskStatus.DELIVERED, actor_of(rider))
    with pytest.raises(IllegalTransition, match="配送单已「已送达」"):
        assign_task(task, make_rider("孙骑手").id, actor_of(world.dispatcher))


@pytest.mark.parametrize("role", [Role.STORE_STAFF, Role.RIDER, Role.BUYER, Role.DRIVER])
def test_only_dispatchers_and_platform_staff_assign(world, role):
    task = world.ship()
    rider = make_rider("赵骑手")
    someone = make_user(role, store=world.store if role == Role.STORE_STAFF else None)
    with pytest.raises(Forbidden, match="只有配送调度或平台人员可以分配或取消配送单"):
        assign_task(task, rider.id, actor_of(someone, role))


def test_platform_staff_may_assign_too(world):
    task = world.ship()
    rider = make_rider("赵骑手")
    operator = make_user(Role.OPERATOR)
    assert assign_task(task, rider.id, actor_of(operator)) is True
    assert task.rider_id == rider.id


def test_a_disconnected_dispatcher_cannot_assign(world):
    task = world.ship()
    rider = make_rider("赵骑手")
    regenerate_code(actor_of(make_user(Role.OPERATOR)))
    with pytest.raises(Forbidden, match="配送助手未接入"):
        assign_task(task, rider.id, actor_of(world.dispatcher))


def test_a_courier_platforms_task_is_not_the_dispatchers(world):
    task = world.ship()
    task.courier = "dada"
    commit()
    with pytest.raises(IllegalTransition, match="第三方配送平台"):
        assign_task(task, make_rider("赵骑手").id, actor_of(world.dispatcher))


def test_an_assigned_task_counts_against_the_riders_cap(world):
    rider = make_rider("赵骑手", cap=2)
    for _ in range(2):
        assign_task(world.ship(), rider.id, actor_of(world.dispatcher))
    with pytest.raises(IllegalTransition, match="达到上限 2 单"):
        assign_task(world.ship(), rider.id, actor_of(world.dispatcher))
