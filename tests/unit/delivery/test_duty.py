"""开工 / 收工 and the rider's position: only on duty may a rider take tasks; the position is
kept only while a task is on hand; absurd coordinates are refused."""

from __future__ import annotations

import math

import pytest

from app.accounts.models import Role
from app.delivery.duty import record_position, set_duty
from app.delivery.models import RiderProfile, RiderStatus, TaskStatus
from app.delivery.services import advance_task, grab_task, ship_with_assistant
from app.errors import Forbidden, IllegalTransition, InvalidInput
from app.extensions import db
from app.jobs import commit
from tests.factories import actor_of, make_buyer, make_product, make_store, make_user, place_order


@pytest.fixture
def ship(app):
    store = make_store(rider_commission_fen=600)
    owner = make_user(Role.STORE_STAFF, store=store)
    product = make_product(store, "宫保鸡丁")

    def do_ship():
        task = ship_with_assistant(place_order(make_buyer(), product), actor_of(owner))
        commit()
        return task

    return do_ship


@pytest.fixture
def rider(app):
    user = make_user(Role.RIDER, name="赵骑手")
    commit()
    return user


def profile(user) -> RiderProfile:
    db.session.expire_all()
    return db.session.get(RiderProfile, user.id)


def test_going_off_and_on_duty_is_recorded_once_per_change(rider):
    me = actor_of(rider)
    assert set_duty(me, False) is True
    assert set_duty(me, False) is False  # a twin tap: nothing changes
    commit()
    assert profile(rider).on_duty is False and profile(rider).duty_changed_at is not None
    assert set_duty(me, True) is True
    commit()
    assert profile(rider).on_duty is True


def test_an_off_duty_rider_cannot_grab(ship, rider):
    task = ship()
    set_duty(actor_of(rider), False)
    commit()
    with pytest.raises(IllegalTransition) as refused:
        grab_task(task, actor_of(rider))
    assert "未开工" in refused.value.message
    db.session.rollback()
    db.session.refresh(task)
    assert task.status == TaskStatus.WAITING and task.rider_id is None


def test_a_full_rider_cannot_grab_another(ship, rider):
    profile(rider).max_active = 2
    commit()
    for _ in range(2):
        grab_task(ship(), actor_of(rider))
    commit()
    third = ship()
    with pytest.raises(IllegalTransition) as refused:
        grab_task(third, actor_of(rider))
    assert "达到上限 2 单" in refused.value.message
    db.session.rollback()
    db.session.refresh(third)
    assert third.rider_id is None


def test_a_rider_pending_review_cannot_go_on_duty_nor_grab(ship, rider):
    profile(rider).status = RiderStatus.PENDING
    commit()
    with pytest.raises(Forbidden):
        set_duty(actor_of(rider), True)
    with pytest.raises(Forbidden):
        grab_task(ship(), actor_of(rider))


def test_a_rider_carrying_a_task_cannot_go_off_duty(ship, rider):
    grab_task(ship(), actor_of(rider))
    commit()
    with pytest.raises(IllegalTransition) as refused:
        set_duty(actor_of(rider), False)
    assert "还有 1 单在配送" in refused.value.message


def test_the_position_is_kept_while_a_task_is_on_hand_and_forgotten_off_duty(ship, rider):
    me = actor_of(rider)
    task = ship()
    grab_task(task, me)
    record_position(me, "20.0440", "110.3200")
    commit()
    assert (profile(rider).lat, profile(rider).lng) == (20.044, 110.32)
    assert profile(rider).position_at is not None
    for to in (TaskStatus.ARRIVED, TaskStatus.PICKED, TaskStatus.DELIVERING, TaskStatus.DELIVERED):
        advance_task(task, to, me)
    set_duty(me, False)
    commit()
    assert profile(rider).lat is None and profile(rider).position_at is None


def test_a_rider_with_nothing_on_hand_is_not_tracked(rider):
    with pytest.raises(IllegalTransition) as refused:
        record_position(actor_of(rider), 20.04, 110.32)
    assert "没有进行中的配送" in refused.value.message
    db.session.rollback()
    assert profile(rider).lat is None


@pytest.mark.parametrize(
    "lat, lng",
    [
        (91, 110),
        (-91, 110),
        (20, 181),
        (20, -180.5),
        (0, 0),  # a GPS that has no fix
        (math.nan, 110),
        (math.inf, 110),
        ("1e400", "110"),
        ("二十", "110"),
        ("", ""),
        (None, 110),
    ],
)
def test_absurd_coordinates_are_refused(ship, rider, lat, lng):
    grab_task(ship(), actor_of(rider))
    commit()
    with pytest.raises(InvalidInput) as refused:
        record_position(actor_of(rider), lat, lng)
    assert "定位数据无效" in refused.value.message
