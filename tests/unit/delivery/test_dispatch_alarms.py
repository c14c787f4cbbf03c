"""The waiting alarm: a task nobody accepted within the set minutes is flagged once, through the
deadline sweep, and the store reads it on the order's timeline. The clock moves; nothing sleeps."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.accounts.actor import SYSTEM
from app.clock import travel
from app.deadlines import sweep
from app.delivery.connection import assistant_settings
from app.delivery.dispatch import assign_task, cancel_task, set_alarm_minutes
from app.delivery.models import DeliveryTask, DispatchMode
from app.delivery.signals import task_created
from app.extensions import db
from app.jobs import commit
from app.web.order_view import order_view
from tests.factories import actor_of, make_buyer, make_product, place_order
from tests.unit.delivery.dispatch_world import build, codes, make_rider, notes


@pytest.fixture
def world(app):
    world = build()
    assistant_settings().alarm_after_minutes = 10
    commit()
    return world


def alarms(task) -> int:
    return codes(task.order_id).count("task_alarm")


def test_a_task_nobody_accepts_is_alarmed_once_when_its_time_is_up(app, world):
    task = world.ship(DispatchMode.GRAB)
    with travel(timedelta(minutes=9)):
        sweep()
    assert alarms(task) == 0 and db.session.get(DeliveryTask, task.id).alarmed_at is None

    with travel(timedelta(minutes=11)):
        assert sweep().applied == 1
        assert sweep().applied == 0
    with travel(timedelta(hours=3)):
        sweep()

    db.session.expire_all()
    assert db.session.get(DeliveryTask, task.id).alarmed_at is not None
    assert alarms(task) == 1
    assert notes(task.order_id)[-1] == {"code": "task_alarm", "minutes": 10}
    with app.test_request_context():
        store_sees = [entry.note for entry in order_view(task.order, "store").timeline]
    assert "超过 10 分钟无人接单" in store_sees


def test_an_accepted_task_is_never_alarmed(world):
    task = world.ship()
    assign_task(task, make_rider("赵骑手").id, actor_of(world.dispatcher))
    commit()
    with travel(timedelta(minutes=30)):
        assert sweep().applied == 0
    assert alarms(task) == 0


def test_a_cancelled_task_is_never_alarmed(world):
    task = world.ship()
    cancel_task(task, "附近没有骑手", actor_of(world.dispatcher))
    commit()
    with travel(timedelta(minutes=30)):
        sweep()
    assert alarms(task) == 0


def test_each_task_has_its_own_time(world):
    early = world.ship()
    with travel(timedelta(minutes=6)):
        late = world.ship()
    with travel(timedelta(minutes=12)):
        sweep()
    assert (alarms(early), alarms(late)) == (1, 0)
    with travel(timedelta(minutes=17)):
        sweep()
    assert (alarms(early), alarms(late)) == (1, 1)


def test_new_minutes_apply_to_tasks_still_waiting(world):
    task = world.ship()
    set_alarm_minutes(30, actor_of(world.dispatcher))
    commit()
    with travel(timedelta(minutes=11)):
        assert sweep().applied == 0
    with travel(timedelta(minutes=31)):
        assert sweep().applied == 1
    assert notes(task.order_id)[-1] == {"code": "task_alarm", "minutes": 30}


def test_shorter_minutes_alarm_a_task_already_waiting_longer_at_the_next_sweep(world):
    task = world.ship()
    with travel(timedelta(minutes=6)):
        set_alarm_minutes(5, actor_of(world.dispatcher))
        commit()
        sweep()
    assert alarms(task) == 1


def test_a_courier_platforms_task_has_no_assistant_alarm(world):
    order = place_order(make_buyer(), make_product(world.store), 1)
    other = DeliveryTask(
        order_id=order.id, store_id=order.store_id, commission_fen=0, courier="dada"
    )
    db.session.add(other)
    db.session.flush()
    task_created.send(other, actor=SYSTEM)
    commit()
    with travel(timedelta(minutes=30)):
        assert sweep().applied == 0
    assert db.session.get(DeliveryTask, other.id).alarmed_at is None
