"""The 配送助手's connection (seed 000): the platform shows a code, a dispatcher enters it; a new
code disconnects and the old one no longer works; a disconnected dispatcher sees nothing."""

from __future__ import annotations

import pytest

from app.accounts.models import Role
from app.delivery.connection import (
    assistant_settings,
    connect,
    is_connected,
    regenerate_code,
    require_connected,
    shown_code,
)
from app.delivery.dispatch import dispatcher_task_for, tasks_visible_to_dispatcher
from app.delivery.rider_accounts import rider_for
from app.errors import Forbidden, InvalidInput
from app.extensions import db
from app.jobs import commit
from tests.factories import actor_of, make_user
from tests.unit.delivery.dispatch_world import build, make_rider


@pytest.fixture
def operator(app):
    return make_user(Role.OPERATOR, name="张运营")


@pytest.fixture
def dispatcher(app):
    return make_user(Role.DISPATCHER, name="钱调度")


def test_the_right_code_connects_once_and_records_who_and_when(operator, dispatcher):
    code = regenerate_code(actor_of(operator))
    assert not is_connected()

    assert connect(code, actor_of(dispatcher)) is True
    settings = assistant_settings()
    assert settings.connected and settings.connected_by_id == dispatcher.id
    assert settings.connected_at is not None
    first_at = settings.connected_at

    assert connect(code, actor_of(dispatcher)) is False  # a double submit: the same outcome
    assert assistant_settings().connected_at == first_at


def test_the_code_may_be_typed_with_dashes_spaces_and_small_letters(operator, dispatcher):
    code = regenerate_code(actor_of(operator))
    typed = " " + shown_code(code).lower().replace("-", " - ") + " "
    assert connect(typed, actor_of(dispatcher)) is True


def test_a_wrong_code_is_refused_plainly_and_changes_nothing(operator, dispatcher):
    regenerate_code(actor_of(operator))
    for wrong in ("0000000000000000", "ABC", "x" * 500, "' OR 1=1 --"):
        with pytest.raises(InvalidInput) as refused:
            connect(wrong, actor_of(dispatcher))
        assert "授权码错误或已失效" in refused.value.message
    with pytest.raises(InvalidInput, match="请输入授权码"):
        connect("  ", actor_of(dispatcher))
    assert not is_connected()


def test_regenerating_disconnects_and_the_old_code_is_refused(operator, dispatcher):
    old = regenerate_code(actor_of(operator))
    connect(old, actor_of(dispatcher))
    new = regenerate_code(actor_of(operator))

    settings = assistant_settings()
    assert new != old and not settings.connected
    assert settings.connected_at is None and settings.connected_by_id is None
    with pytest.raises(InvalidInput, match="授权码错误或已失效"):
        connect(old, actor_of(dispatcher))
    assert connect(new, actor_of(dispatcher)) is True


def test_only_an_operator_regenerates_and_only_a_dispatcher_connects(operator, dispatcher):
    service = make_user(Role.SERVICE)
    with pytest.raises(Forbidden, match="只有平台运营可以重新生成授权码"):
        regenerate_code(actor_of(service))
    with pytest.raises(Forbidden, match="只有配送调度可以接入配送助手"):
        connect(assistant_settings().auth_code, actor_of(operator))


def test_a_disconnected_dispatcher_sees_no_task_and_no_rider(app):
    world = build()
    task = world.ship()
    rider = make_rider("赵骑手")
    operator = make_user(Role.OPERATOR)
    me = actor_of(world.dispatcher)
    assert dispatcher_task_for(me, task.id) is not None
    assert rider_for(me, rider.id) is not None

    regenerate_code(actor_of(operator))
    commit()

    assert dispatcher_task_for(me, task.id) is None
    assert db.session.execute(tasks_visible_to_dispatcher(me)).first() is None
    assert rider_for(me, rider.id) is None
    with pytest.raises(Forbidden, match="配送助手未接入"):
        require_connected(me)
    # platform staff keep seeing the task on the platform
    assert dispatcher_task_for(actor_of(operator), task.id) is not None


def test_a_dispatcher_sees_only_the_assistants_tasks(app):
    world = build()
    mine = world.ship()
    other = world.ship()
    other.courier = "dada"  # carried by a courier platform
    commit()
    me = actor_of(world.dispatcher)
    assert dispatcher_task_for(me, mine.id) is not None
    assert dispatcher_task_for(me, other.id) is None
