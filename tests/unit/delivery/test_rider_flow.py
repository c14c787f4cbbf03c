"""Same-city: the store ships by 配送助手, a rider grabs and taps through every status."""

from __future__ import annotations

import pytest

from app.accounts.models import Role
from app.delivery.models import TaskStatus
from app.delivery.services import advance_task, grab_task, ship_with_assistant
from app.errors import AlreadyTaken, IllegalTransition
from app.extensions import db
from app.jobs import commit
from app.messages import render
from app.ordering.states import OrderStatus
from tests.factories import actor_of, make_buyer, make_product, make_store, make_user, place_order

TAPS = [TaskStatus.ARRIVED, TaskStatus.PICKED, TaskStatus.DELIVERING, TaskStatus.DELIVERED]


@pytest.fixture
def shipped(app):
    store = make_store(rider_commission_fen=600)
    owner = make_user(Role.STORE_STAFF, store=store)
    order = place_order(make_buyer(), make_product(store, "宫保鸡丁"), 2)
    task = ship_with_assistant(order, actor_of(owner))
    commit()
    return order, task


def test_shipped_task_reaches_the_pool_with_its_commission(shipped):
    order, task = shipped
    assert order.status == OrderStatus.SHIPPED
    assert task.status == TaskStatus.WAITING
    assert task.announced_at is not None  # the courier push ran in-process after commit
    assert task.commission_fen == 600


def test_rider_taps_through_every_status_and_the_order_completes(shipped):
    order, task = shipped
    rider = make_user(Role.RIDER, name="赵骑手")
    grab_task(task, actor_of(rider))
    for to in TAPS:
        assert advance_task(task, to, actor_of(rider)) is True
    commit()
    assert task.status == TaskStatus.DELIVERED
    assert all(
        getattr(task, col)
        for col in ("accepted_at", "arrived_at", "picked_at", "delivering_at", "delivered_at")
    )
    db.session.refresh(order)
    assert order.status == OrderStatus.COMPLETED
    delivery_steps = [e.to_status for e in order.events if e.machine == "delivery"]
    assert delivery_steps == ["waiting", "accepted", *TAPS]
    assert "赵骑手" in render(order.events[-2].note)


def test_second_rider_is_told_already_taken(shipped):
    _, task = shipped
    first, second = make_user(Role.RIDER), make_user(Role.RIDER)
    grab_task(task, actor_of(first))
    commit()
    with pytest.raises(AlreadyTaken, match="已被抢"):
        grab_task(task, actor_of(second))
    assert task.rider_id == first.id


def test_double_tap_moves_the_state_once(shipped):
    order, task = shipped
    rider = make_user(Role.RIDER)
    grab_task(task, actor_of(rider))
    assert advance_task(task, TaskStatus.ARRIVED, actor_of(rider)) is True
    assert advance_task(task, TaskStatus.ARRIVED, actor_of(rider)) is False
    commit()
    arrived = [e for e in order.events if e.to_status == TaskStatus.ARRIVED]
    assert len(arrived) == 1


def test_skipping_a_status_is_refused_and_changes_nothing(shipped):
    _, task = shipped
    rider = make_user(Role.RIDER)
    grab_task(task, actor_of(rider))
    commit()
    with pytest.raises(IllegalTransition, match="不能改为「已送达」"):
        advance_task(task, TaskStatus.DELIVERED, actor_of(rider))
    db.session.rollback()
    assert task.status == TaskStatus.ACCEPTED
