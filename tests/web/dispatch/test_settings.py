"""设置: the dispatch mode, the commission rule and the alarm minutes, each its own form; what
is sent is checked and a bad value comes back beside its field."""

from __future__ import annotations

import pytest

from app.delivery.connection import assistant_settings
from app.delivery.models import DispatchMode
from app.extensions import db
from tests.web.dispatch.conftest import HX


def settings():
    db.session.expire_all()
    return assistant_settings()


def test_the_page_shows_the_current_settings(desk):
    page = desk.get("/dispatch/settings").get_data(as_text=True)
    assert 'value="grab" checked' in page
    assert "留空：按各店铺设置的骑手佣金" in page and 'name="minutes" value="10"' in page


def test_switching_to_assign_mode(desk):
    answer = desk.post("/dispatch/settings/mode", data={"mode": "assign"})
    assert answer.status_code == 303
    assert "派单模式已改为「分配模式」" in desk.get(answer.location).get_data(as_text=True)
    assert settings().mode == DispatchMode.ASSIGN


def test_with_htmx_only_the_forms_block_comes_back(desk):
    answer = desk.post("/dispatch/settings/mode", data={"mode": "assign"}, headers=HX)
    text = answer.get_data(as_text=True)
    assert answer.status_code == 200 and text.lstrip().startswith(
        '<section class="panel" id="mode-form">'
    )
    assert "派单模式已改为「分配模式」" in text


def test_the_commission_rule_is_saved_in_fen(desk):
    answer = desk.post("/dispatch/settings/commission", data={"fixed": "5.5", "per_km": "1"})
    assert answer.status_code == 303
    assert (settings().commission_fixed_fen, settings().commission_per_km_fen) == (550, 100)
    desk.post("/dispatch/settings/commission", data={"fixed": "", "per_km": ""})
    assert (settings().commission_fixed_fen, settings().commission_per_km_fen) == (None, 0)


def test_the_alarm_minutes(desk):
    assert desk.post("/dispatch/settings/alarm", data={"minutes": "15"}).status_code == 303
    assert settings().alarm_after_minutes == 15


@pytest.mark.parametrize(
    "url, data, message",
    [
        ("/dispatch/settings/mode", {"mode": "fastest"}, "请选择派单模式"),
        ("/dispatch/settings/mode", {}, "请选择派单模式"),
        ("/dispatch/settings/commission", {"fixed": "abc", "per_km": "1"}, "请填写金额（元）"),
        ("/dispatch/settings/commission", {"fixed": "1.234", "per_km": ""}, "请填写金额（元）"),
        (
            "/dispatch/settings/commission",
            {"fixed": "-5", "per_km": ""},
            "佣金须在 0 到 1000 元之间",
        ),
        (
            "/dispatch/settings/commission",
            {"fixed": "", "per_km": "99999999999"},
            "佣金须在 0 到 1000 元之间",
        ),
        ("/dispatch/settings/alarm", {"minutes": "0"}, "告警时间须在 1 到 1440 分钟之间"),
        ("/dispatch/settings/alarm", {"minutes": "1e400"}, "告警时间须在 1 到 1440 分钟之间"),
        ("/dispatch/settings/alarm", {"minutes": str(2**70)}, "告警时间须在 1 到 1440 分钟之间"),
        ("/dispatch/settings/alarm", {}, "请填写分钟数"),
    ],
)
def test_fuzzed_values_come_back_beside_the_field(desk, url, data, message):
    answer = desk.post(url, data=data, headers=HX)
    assert answer.status_code == 422
    assert message in answer.get_data(as_text=True)
    current = settings()
    assert (current.mode, current.commission_fixed_fen, current.alarm_after_minutes) == (
        DispatchMode.GRAB,
        None,
        10,
    )
