"""骑手: the list by status, add, approve, reject with a note, disable (the rider's sessions end
on their very next request), enable, the cap; fuzzed forms get a plain 4xx."""

from __future__ import annotations

import re

import pytest

from app.delivery.models import RiderProfile, RiderStatus
from app.extensions import db
from app.jobs import commit
from tests.factories import make_user
from tests.unit.delivery.dispatch_world import make_rider
from tests.web.dispatch.conftest import HX


def waiting_rider(name: str = "孔骑手", phone: str | None = None):
    """Someone who registered on the visitor page: no role, a pending profile."""
    user = make_user(None, name=name, phone=phone)
    db.session.add(RiderProfile(user_id=user.id, status=RiderStatus.PENDING, vehicle="ebike"))
    commit()
    return user


def profile_of(user) -> RiderProfile:
    db.session.expire_all()
    return db.session.get(RiderProfile, user.id)


def test_an_empty_list_says_how_riders_come(desk):
    page = desk.get("/dispatch/riders").get_data(as_text=True)
    assert "还没有骑手：点上方「添加骑手」" in page
    page = desk.get("/dispatch/riders?status=pending").get_data(as_text=True)
    assert "没有等待审核的注册" in page


def test_the_list_filters_by_status_and_counts_each(desk):
    make_rider("赵骑手")
    waiting_rider()
    page = desk.get("/dispatch/riders?status=pending").get_data(as_text=True)
    assert "孔骑手" in page and "赵骑手" not in page
    assert re.search(r'status=pending"[^>]*>待审核 <span class="count">1</span>', page)
    assert "电动车" in page
    page = desk.get("/dispatch/riders?q=赵").get_data(as_text=True)
    assert "赵骑手" in page and "孔骑手" not in page


def test_the_sidebar_counts_registrations_waiting(desk):
    waiting_rider()
    assert "骑手 (1)" in desk.get("/dispatch/").get_data(as_text=True)


def test_a_dispatcher_adds_a_rider(desk):
    answer = desk.post(
        "/dispatch/riders/new",
        data={"phone": "137 1234 5678", "name": "孙骑手", "vehicle": "motorcycle", "cap": "4"},
    )
    assert answer.status_code == 303
    page = desk.get(answer.location).get_data(as_text=True)
    assert "已添加骑手 孙骑手，可用手机号验证码登录" in page
    assert "13712345678" in page and "摩托车" in page


@pytest.mark.parametrize(
    "data, message",
    [
        (
            {"phone": "123", "name": "孙骑手", "vehicle": "ebike", "cap": "3"},
            "请输入正确的 11 位手机号",
        ),
        ({"phone": "13712345678", "name": "", "vehicle": "ebike", "cap": "3"}, "请填写姓名"),
        ({"phone": "13712345678", "name": "孙", "vehicle": "jet", "cap": "3"}, "请选择交通工具"),
        (
            {"phone": "13712345678", "name": "孙", "vehicle": "ebike", "cap": "99"},
            "同时配送单数须在 1 到 20 之间",
        ),
        (
            {"phone": "13712345678", "name": "孙", "vehicle": "ebike", "cap": "x"},
            "同时配送单数须在 1 到 20 之间",
        ),
        (
            {"phone": "13712345678", "name": "长" * 51, "vehicle": "ebike", "cap": "3"},
            "姓名不能超过 50 个字",
        ),
        ({}, "请输入手机号"),
    ],
)
def test_a_fuzzed_add_form_comes_back_with_the_reason(desk, data, message):
    answer = desk.post("/dispatch/riders/new", data=data, headers=HX)
    text = answer.get_data(as_text=True)
    assert answer.status_code == 422 and message in text
    assert '<details class="panel add-rider" open>' in text


def test_adding_someone_who_already_rides_is_refused_by_name(desk):
    rider = make_rider("赵骑手")
    answer = desk.post(
        "/dispatch/riders/new",
        data={"phone": rider.phone, "name": "赵骑手", "vehicle": "ebike", "cap": "3"},
        headers=HX,
    )
    assert answer.status_code == 409
    assert f"赵骑手（{rider.phone}）已经是骑手" in answer.get_data(as_text=True)


def test_approving_a_registration_lets_the_rider_in(app, desk, login):
    user = waiting_rider()
    answer = desk.post(
        f"/dispatch/riders/{user.id}/approve", data={"status": "pending"}, headers=HX
    )
    text = answer.get_data(as_text=True)
    assert answer.status_code == 200 and "已通过 孔骑手 的骑手注册" in text
    assert profile_of(user).status == RiderStatus.APPROVED
    phone = app.test_client()
    landed = login(user, test_client=phone)
    assert landed.status_code == 303 and landed.location.startswith("/rider/")


def test_rejecting_needs_a_note_the_rider_reads_at_login(app, desk, login):
    user = waiting_rider()
    answer = desk.post(f"/dispatch/riders/{user.id}/reject", data={"note": ""}, headers=HX)
    assert answer.status_code == 422 and "请填写拒绝原因" in answer.get_data(as_text=True)
    answer = desk.post(f"/dispatch/riders/{user.id}/reject", data={"note": "缺少健康证"})
    assert answer.status_code == 303
    assert profile_of(user).status == RiderStatus.REJECTED
    refused = login(user, test_client=app.test_client())
    assert refused.status_code == 422
    assert "您的骑手注册未通过审核：缺少健康证" in refused.get_data(as_text=True)


def test_a_disabled_rider_is_logged_out_on_their_next_request(app, desk, login):
    rider = make_rider("赵骑手")
    commit()
    phone = app.test_client()
    login(rider, test_client=phone)
    assert phone.get("/rider/").status_code == 200

    answer = desk.post(f"/dispatch/riders/{rider.id}/disable")
    assert answer.status_code == 303
    assert "已停用骑手 赵骑手，其登录已失效" in desk.get(answer.location).get_data(as_text=True)

    next_request = phone.get("/rider/")
    assert next_request.status_code == 302 and "/login" in next_request.location
    again = login(rider, test_client=phone)
    assert again.status_code == 422
    assert "您的骑手账号已停用，请联系配送站" in again.get_data(as_text=True)


def test_enabling_lets_a_disabled_rider_back(app, desk, login):
    rider = make_rider("赵骑手")
    desk.post(f"/dispatch/riders/{rider.id}/disable")
    assert desk.post(f"/dispatch/riders/{rider.id}/enable").status_code == 303
    assert profile_of(rider).status == RiderStatus.APPROVED
    assert login(rider, test_client=app.test_client()).location.startswith("/rider/")


@pytest.mark.parametrize(
    "cap, status", [("5", 303), ("0", 422), ("21", 422), ("", 422), ("x", 422)]
)
def test_the_cap_is_set_inline(desk, cap, status):
    rider = make_rider("赵骑手")
    commit()
    answer = desk.post(f"/dispatch/riders/{rider.id}/cap", data={"cap": cap})
    assert answer.status_code == status
    if status == 422:
        assert "同时配送单数须在 1 到 20 之间" in answer.get_data(as_text=True)
        assert profile_of(rider).max_active == 3
    else:
        assert profile_of(rider).max_active == 5


def test_an_action_keeps_the_lists_filter(desk):
    user = waiting_rider()
    answer = desk.post(f"/dispatch/riders/{user.id}/approve", data={"status": "pending", "q": "孔"})
    assert answer.status_code == 303
    assert answer.location == "/dispatch/riders?status=pending&q=%E5%AD%94"


def test_a_double_approval_is_one_approval(desk):
    user = waiting_rider()
    first = desk.post(f"/dispatch/riders/{user.id}/approve")
    second = desk.post(f"/dispatch/riders/{user.id}/approve")
    assert first.status_code == second.status_code == 303
    db.session.expire_all()
    assert [g.role for g in db.session.get(type(user), user.id).grants] == ["rider"]
