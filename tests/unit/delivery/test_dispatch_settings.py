"""The 配送助手's settings belong to its dispatchers: the mode, the commission rule (fixed and
per started km) and the alarm minutes; each value is checked."""

from __future__ import annotations

import pytest

from app.accounts.models import Role
from app.delivery.connection import assistant_settings, regenerate_code
from app.delivery.dispatch import set_alarm_minutes, set_commission, set_dispatch_mode
from app.delivery.models import DispatchMode
from app.delivery.rules import task_commission
from app.errors import Forbidden, InvalidInput
from app.extensions import db
from tests.factories import actor_of, make_user
from tests.unit.delivery.dispatch_world import build


@pytest.fixture
def world(app):
    return build()


def test_the_mode_decides_how_new_tasks_go(world):
    me = actor_of(world.dispatcher)
    set_dispatch_mode(DispatchMode.ASSIGN, me)
    assert world.ship(assistant_settings().mode).mode == DispatchMode.ASSIGN
    set_dispatch_mode(DispatchMode.GRAB, me)
    assert assistant_settings().mode == DispatchMode.GRAB
    with pytest.raises(InvalidInput, match="请选择派单模式"):
        set_dispatch_mode("fastest", me)


def test_the_commission_rule_prices_the_next_tasks(world):
    me = actor_of(world.dispatcher)
    set_commission(500, 100, me)
    task = world.ship()
    task.order.delivery_distance_m = 2300  # three started km
    db.session.flush()
    assert task_commission(assistant_settings(), task.order) == 500 + 3 * 100
    set_commission(None, 0, me)  # blank fixed part: each store's own commission
    assert task_commission(assistant_settings(), task.order) == 600


@pytest.mark.parametrize("fixed, per_km", [(-1, 0), (0, -5), (100_001, 0), (0, 10**9)])
def test_a_commission_out_of_range_is_refused(world, fixed, per_km):
    with pytest.raises(InvalidInput, match="佣金须在 0 到 1000 元之间"):
        set_commission(fixed, per_km, actor_of(world.dispatcher))


@pytest.mark.parametrize("minutes", [0, -3, 1441, None, 10**12])
def test_alarm_minutes_out_of_range_are_refused(world, minutes):
    with pytest.raises(InvalidInput, match="告警时间须在 1 到 1440 分钟之间"):
        set_alarm_minutes(minutes, actor_of(world.dispatcher))


@pytest.mark.parametrize("role", [Role.OPERATOR, Role.SERVICE, Role.STORE_STAFF, Role.RIDER])
def test_only_dispatchers_change_the_settings(world, role):
    someone = actor_of(make_user(role, store=world.store if role == Role.STORE_STAFF else None))
    for change in (
        lambda: set_dispatch_mode(DispatchMode.ASSIGN, someone),
        lambda: set_commission(100, 0, someone),
        lambda: set_alarm_minutes(5, someone),
    ):
        with pytest.raises(Forbidden, match="只有配送调度可以修改配送助手的设置"):
            change()


def test_a_disconnected_dispatcher_changes_nothing(world):
    regenerate_code(actor_of(make_user(Role.OPERATOR)))
    with pytest.raises(Forbidden, match="配送助手未接入"):
        set_dispatch_mode(DispatchMode.ASSIGN, actor_of(world.dispatcher))
    assert assistant_settings().mode == DispatchMode.GRAB
