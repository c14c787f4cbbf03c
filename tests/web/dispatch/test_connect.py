"""接入: the dispatcher enters the code the platform shows; wrong and old codes are refused with
a plain message, and refused tries are counted so a code cannot be guessed."""

from __future__ import annotations

import pytest

from app.accounts.models import Role
from app.delivery.connection import assistant_settings, regenerate_code, shown_code
from app.extensions import db
from app.jobs import commit
from tests.factories import actor_of, make_user
from tests.web.dispatch.conftest import HX


@pytest.fixture
def code(app, world):
    """The platform's operator regenerated the code: the assistant is not connected."""
    value = regenerate_code(actor_of(make_user(Role.OPERATOR)))
    commit()
    return value


def test_the_platforms_code_connects_the_assistant(desk, world, code):
    page = desk.get("/dispatch/connect").get_data(as_text=True)
    assert "输入平台授权码" in page and "「平台配送」页面" in page

    answer = desk.post("/dispatch/connect", data={"code": shown_code(code)})

    assert answer.status_code == 303 and answer.location == "/dispatch/"
    db.session.expire_all()
    settings = assistant_settings()
    assert settings.connected and settings.connected_by_id == world.dispatcher.id
    page = desk.get(answer.location).get_data(as_text=True)
    assert "配送助手已接入，可以开始配送了" in page
    assert "已接入" in desk.get("/dispatch/connect").get_data(as_text=True)


def test_with_htmx_the_browser_is_sent_to_the_overview(desk, code):
    answer = desk.post("/dispatch/connect", data={"code": code}, headers=HX)
    assert answer.status_code == 200 and answer.headers["HX-Redirect"] == "/dispatch/"


@pytest.mark.parametrize("typed", ["0000-0000-0000-0000", "ABC", "长" * 70, "", "\x00"])
def test_a_wrong_code_is_refused_under_the_field(desk, code, typed):
    answer = desk.post("/dispatch/connect", data={"code": typed}, headers=HX)
    text = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert "授权码错误或已失效" in text or "请输入授权码" in text
    db.session.expire_all()
    assert not assistant_settings().connected


def test_the_old_code_after_a_regeneration_is_refused(desk, code):
    desk.post("/dispatch/connect", data={"code": code})
    new = regenerate_code(actor_of(make_user(Role.OPERATOR)))
    commit()
    answer = desk.post("/dispatch/connect", data={"code": code})
    assert answer.status_code == 422
    assert "授权码错误或已失效，请到平台后台「平台配送」页面查看最新的授权码" in answer.get_data(
        as_text=True
    )
    assert desk.post("/dispatch/connect", data={"code": new}).status_code == 303


def test_guessing_is_stopped_after_a_few_wrong_codes(app_factory, world, login):
    limited = app_factory(RATELIMIT_ENABLED=True, DISPATCH_CODE_RATE_LIMIT="3 per 15 minutes")
    with limited.app_context():
        code = regenerate_code(actor_of(make_user(Role.OPERATOR)))
        commit()
        desk = limited.test_client()
        login(world.dispatcher, test_client=desk)
        for guess in ("AAAA", "BBBB", "CCCC"):
            assert desk.post("/dispatch/connect", data={"code": guess}).status_code == 422
        answer = desk.post("/dispatch/connect", data={"code": code})  # even the right one waits
        assert answer.status_code == 429
        assert "授权码错误次数过多，请 15 分钟后再试" in answer.get_data(as_text=True)
        db.session.expire_all()
        assert not assistant_settings().connected


def test_right_codes_do_not_use_up_the_tries(app_factory, world, login):
    limited = app_factory(RATELIMIT_ENABLED=True, DISPATCH_CODE_RATE_LIMIT="2 per 15 minutes")
    with limited.app_context():
        operator = actor_of(make_user(Role.OPERATOR))
        desk = limited.test_client()
        login(world.dispatcher, test_client=desk)
        for _ in range(4):  # regenerated and entered again and again: never refused
            code = regenerate_code(operator)
            commit()
            assert desk.post("/dispatch/connect", data={"code": code}).status_code == 303
