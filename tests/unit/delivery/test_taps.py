"""Taps remembered by their key: a retried or replayed tap moves the task once and answers the
same; a key is for one tap only."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.accounts.models import Role
from app.delivery.models import TaskStatus, TaskTap
from app.delivery.services import ship_with_assistant
from app.delivery.taps import TapOutcome, grab_once, tap_once, valid_key
from app.errors import AlreadyTaken, InvalidInput
from app.extensions import db
from app.jobs import commit
from app.ordering.models import OrderEvent
from tests.factories import actor_of, make_buyer, make_product, make_store, make_user, place_order


@pytest.fixture
def task(app):
    store = make_store(rider_commission_fen=600)
    owner = make_user(Role.STORE_STAFF, store=store)
    order = place_order(make_buyer(), make_product(store, "宫保鸡丁"))
    task = ship_with_assistant(order, actor_of(owner))
    commit()
    return task


@pytest.fixture
def rider(app):
    return make_user(Role.RIDER, name="赵骑手")


def moves_to(task, status: str) -> int:
    return db.session.scalar(
        select(func.count()).where(
            OrderEvent.order_id == task.order_id,
            OrderEvent.machine == "delivery",
            OrderEvent.to_status == status,
        )
    )


def test_the_same_grab_key_twice_takes_the_task_once_and_answers_the_same(task, rider):
    first = grab_once(task, actor_of(rider), "grab-key-0001")
    commit()
    again = grab_once(task, actor_of(rider), "grab-key-0001")
    commit()
    assert first.outcome == again.outcome == TapOutcome.MOVED
    assert (first.replayed, again.replayed) == (False, True)
    assert moves_to(task, TaskStatus.ACCEPTED) == 1


def test_a_tap_replayed_after_the_task_moved_on_moves_nothing_and_answers_as_before(task, rider):
    """The phone sent 到店 offline; the network came back late and the rider had tapped on:
    the old 到店 arrives again and must not be refused as a step back, nor move anything."""
    me = actor_of(rider)
    grab_once(task, me, "grab-key-0001")
    tap_once(task, TaskStatus.ARRIVED, me, "tap-arrived-1")
    tap_once(task, TaskStatus.PICKED, me, "tap-picked-01")
    commit()
    replay = tap_once(task, TaskStatus.ARRIVED, me, "tap-arrived-1")
    commit()
    assert replay.outcome == TapOutcome.MOVED and replay.replayed
    db.session.refresh(task)
    assert task.status == TaskStatus.PICKED
    assert moves_to(task, TaskStatus.ARRIVED) == 1


def test_a_second_key_for_a_move_already_made_is_same_not_moved(task, rider):
    me = actor_of(rider)
    grab_once(task, me, "grab-key-0001")
    tap_once(task, TaskStatus.ARRIVED, me, "tap-arrived-1")
    twin = tap_once(task, TaskStatus.ARRIVED, me, "tap-arrived-2")  # a form sent twice, no JS
    commit()
    assert twin.outcome == TapOutcome.SAME and not twin.replayed
    assert moves_to(task, TaskStatus.ARRIVED) == 1


def test_a_key_used_for_another_move_is_refused(task, rider):
    me = actor_of(rider)
    grab_once(task, me, "grab-key-0001")
    tap_once(task, TaskStatus.ARRIVED, me, "tap-reused-01")
    commit()
    with pytest.raises(InvalidInput) as refused:
        tap_once(task, TaskStatus.PICKED, me, "tap-reused-01")
    assert "操作编号已用于另一次操作" in refused.value.message
    db.session.rollback()
    db.session.refresh(task)
    assert task.status == TaskStatus.ARRIVED


def test_keys_belong_to_their_rider(task, rider):
    """Two riders may draw the same key: each one's tap is their own."""
    other = make_user(Role.RIDER)
    grab_once(task, actor_of(rider), "same-key-0001")
    commit()
    with pytest.raises(AlreadyTaken):
        grab_once(task, actor_of(other), "same-key-0001")
    db.session.rollback()
    assert db.session.scalar(select(func.count(TaskTap.id))) == 1


def test_a_refused_tap_remembers_nothing(task, rider):
    other = make_user(Role.RIDER)
    grab_once(task, actor_of(other), "grab-key-other")
    commit()
    with pytest.raises(AlreadyTaken):
        grab_once(task, actor_of(rider), "grab-key-mine1")
    db.session.rollback()
    assert (
        db.session.scalar(select(TaskTap.rider_id).where(TaskTap.key == "grab-key-mine1")) is None
    )


@pytest.mark.parametrize(
    "key, ok",
    [
        ("0123456789abcdef0123456789abcdef", True),
        ("grab_key-01", True),
        ("", False),
        ("short", False),
        ("x" * 65, False),
        ("含中文的键名键名键名", False),
        ("key with spaces", False),
        (None, False),
    ],
)
def test_what_a_key_may_be(key, ok):
    assert valid_key(key) is ok
