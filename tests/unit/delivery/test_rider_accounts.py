"""Riders' accounts in the 配送助手: added by a dispatcher or registered by the rider (SMS code),
approved, rejected with a note, disabled (sessions end) and enabled; the cap."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.accounts.codes import WrongCode
from app.accounts.models import Role, User
from app.clock import travel
from app.delivery.dispatch import assign_task
from app.delivery.models import RiderProfile, RiderStatus
from app.delivery.rider_accounts import (
    RiderFields,
    add_rider,
    approve_rider,
    disable_rider,
    enable_rider,
    register_rider,
    reject_rider,
    rider_login_refusal,
    send_registration_code,
    set_cap,
)
from app.delivery.riders import check_can_take
from app.errors import DomainError, Forbidden, IllegalTransition, InvalidInput
from app.extensions import db
from app.jobs import commit
from tests.factories import actor_of, make_buyer, make_user
from tests.support.sms import code_sent_to
from tests.unit.delivery.dispatch_world import build, make_rider

PHONE = "13712345678"


@pytest.fixture
def world(app):
    return build()


@pytest.fixture
def me(world):
    return actor_of(world.dispatcher)


def roles(user: User) -> set[str]:
    db.session.refresh(user)
    return {grant.role for grant in user.grants}


def registered(phone: str = PHONE, name: str = "孔骑手", vehicle: str = "ebike") -> RiderProfile:
    send_registration_code(phone)
    commit()  # the SMS goes out after the commit
    return register_rider(phone, code_sent_to(phone), name, vehicle)


# ---- a dispatcher adds a rider ---------------------------------------------------------------


def test_a_dispatcher_adds_a_rider_who_may_work_at_once(me):
    profile = add_rider(RiderFields(PHONE, "孙骑手", "motorcycle", 4), me)
    user = profile.user
    assert (user.phone, user.name, user.password_hash) == (PHONE, "孙骑手", None)  # SMS login
    assert (profile.status, profile.vehicle, profile.max_active) == ("approved", "motorcycle", 4)
    assert roles(user) == {Role.RIDER}


def test_a_buyer_of_the_mall_becomes_a_rider_with_the_same_account(me):
    buyer = make_buyer(name="周会员")
    add_rider(RiderFields(buyer.phone, "别的名字", "ebike"), me)
    assert roles(buyer) == {Role.BUYER, Role.RIDER}
    assert buyer.name == "周会员"  # their account: the name stays


def test_adding_a_phone_waiting_for_review_points_to_the_review(me):
    registered()
    with pytest.raises(
        DomainError, match="孔骑手（13712345678）已提交骑手注册，请在「待审核」中通过"
    ):
        add_rider(RiderFields(PHONE, "孔骑手", "ebike"), me)


def test_a_rider_or_someone_working_elsewhere_is_not_added_again(world, me):
    rider = make_rider("赵骑手")
    with pytest.raises(DomainError, match=f"赵骑手（{rider.phone}）已经是骑手"):
        add_rider(RiderFields(rider.phone, "赵骑手", "ebike"), me)
    with pytest.raises(DomainError, match="其他工作账号"):
        add_rider(RiderFields(world.owner.phone, "王老板", "ebike"), me)


@pytest.mark.parametrize(
    "fields, refusal",
    [
        (RiderFields("123", "孙骑手", "ebike"), "请输入正确的 11 位手机号"),
        (RiderFields(PHONE, "", "ebike"), "请填写姓名"),
        (RiderFields(PHONE, "孙\u202e骑手", "ebike"), "请填写姓名"),
        (RiderFields(PHONE, "孙骑手", "rocket"), "请选择交通工具"),
        (RiderFields(PHONE, "孙骑手", "ebike", 0), "同时配送单数须在 1 到 20 之间"),
        (RiderFields(PHONE, "孙骑手", "ebike", 21), "同时配送单数须在 1 到 20 之间"),
    ],
)
def test_what_a_dispatcher_types_is_checked(me, fields, refusal):
    with pytest.raises(InvalidInput, match=refusal):
        add_rider(fields, me)


# ---- a rider registers -----------------------------------------------------------------------


def test_a_registration_waits_for_a_dispatcher_with_no_way_into_the_rider_portal(me):
    profile = registered()
    user = profile.user
    assert (profile.status, profile.vehicle, user.name) == ("pending", "ebike", "孔骑手")
    assert roles(user) == set()
    assert str(rider_login_refusal(user)) == "您的骑手注册正在审核中，审核通过后即可登录"
    with pytest.raises(Forbidden):  # nor can anyone give them a task
        check_can_take(user.id)


def test_a_wrong_code_registers_nothing(app):
    send_registration_code(PHONE)
    commit()
    right = code_sent_to(PHONE)
    wrong = "000000" if right != "000000" else "111111"
    with pytest.raises(WrongCode, match="验证码错误"):
        register_rider(PHONE, wrong, "孔骑手", "ebike")
    db.session.rollback()
    assert db.session.query(User).filter_by(phone=PHONE).one_or_none() is None


def test_a_phone_waiting_for_review_or_already_riding_gets_no_code(world, me):
    registered()
    with pytest.raises(DomainError, match="已提交骑手注册，请等待配送站审核"):
        send_registration_code(PHONE)
    rider = make_rider("赵骑手")
    with pytest.raises(DomainError, match="已经是骑手"):
        send_registration_code(rider.phone)
    with pytest.raises(DomainError, match="其他工作账号"):
        send_registration_code(world.dispatcher.phone)


def test_a_buyer_registers_and_keeps_shopping_meanwhile(me):
    buyer = make_buyer(name="用户5678")
    profile = registered(buyer.phone, name="周骑手")
    assert profile.status == RiderStatus.PENDING and buyer.name == "周骑手"
    assert roles(buyer) == {Role.BUYER}
    assert rider_login_refusal(buyer) is None  # they log in to the mall as before


# ---- reviews ---------------------------------------------------------------------------------


def test_approval_opens_the_rider_portal(me):
    profile = registered()
    assert approve_rider(profile, me) is True
    assert profile.status == RiderStatus.APPROVED and profile.reviewed_by_id == me.user_id
    assert roles(profile.user) == {Role.RIDER}
    assert rider_login_refusal(profile.user) is None
    assert approve_rider(profile, me) is False  # a double click: the same outcome
    assert roles(profile.user) == {Role.RIDER}


def test_a_rejection_tells_the_rider_why_and_they_may_register_again(me):
    profile = registered()
    reject_rider(profile, "请上传健康证后重新注册", me)
    assert profile.status == RiderStatus.REJECTED
    assert (
        str(rider_login_refusal(profile.user)) == "您的骑手注册未通过审核：请上传健康证后重新注册"
    )
    with pytest.raises(InvalidInput, match="请填写拒绝原因"):
        reject_rider(registered("13787654321"), "  ", me)

    with travel(timedelta(seconds=61)):  # a new code may be asked for after a minute
        again = registered(PHONE, name="孔骑手", vehicle="bicycle")
    assert (again.status, again.vehicle) == (RiderStatus.PENDING, "bicycle")


def test_a_review_only_moves_from_where_it_may(me):
    rider = make_rider("赵骑手")
    profile = db.session.get(RiderProfile, rider.id)
    with pytest.raises(IllegalTransition, match="骑手 赵骑手 当前为「已通过」，不能拒绝"):
        reject_rider(profile, "不合格", me)
    disable_rider(profile, me)
    with pytest.raises(IllegalTransition, match="骑手 赵骑手 当前为「已停用」，不能通过"):
        approve_rider(profile, me)


def test_disabling_ends_the_riders_sessions_and_enabling_lets_them_back(me):
    rider = make_rider("赵骑手")
    profile = db.session.get(RiderProfile, rider.id)
    version = rider.session_version

    assert disable_rider(profile, me) is True
    db.session.refresh(rider)
    assert rider.session_version == version + 1
    assert profile.status == RiderStatus.DISABLED and not profile.on_duty
    assert roles(rider) == set()
    assert str(rider_login_refusal(rider)) == "您的骑手账号已停用，请联系配送站"
    assert disable_rider(profile, me) is False

    enable_rider(profile, me)
    assert profile.status == RiderStatus.APPROVED and roles(rider) == {Role.RIDER}


def test_a_rider_with_tasks_on_their_hands_is_not_disabled(world, me):
    rider = make_rider("赵骑手")
    assign_task(world.ship(), rider.id, me)
    with pytest.raises(IllegalTransition, match="骑手 赵骑手 还有 1 单在配送"):
        disable_rider(db.session.get(RiderProfile, rider.id), me)


def test_the_cap_is_between_one_and_twenty(me):
    rider = make_rider("赵骑手")
    profile = db.session.get(RiderProfile, rider.id)
    set_cap(profile, 5, me)
    assert profile.max_active == 5
    for cap in (0, 21, None, -1):
        with pytest.raises(InvalidInput, match="同时配送单数须在 1 到 20 之间"):
            set_cap(profile, cap, me)


@pytest.mark.parametrize("role", [Role.OPERATOR, Role.STORE_STAFF, Role.RIDER])
def test_only_dispatchers_manage_riders(world, role):
    someone = actor_of(make_user(role, store=world.store if role == Role.STORE_STAFF else None))
    profile = db.session.get(RiderProfile, make_rider("赵骑手").id)
    with pytest.raises(Forbidden, match="只有配送调度可以管理骑手"):
        add_rider(RiderFields(PHONE, "孙骑手", "ebike"), someone)
    with pytest.raises(Forbidden, match="只有配送调度可以管理骑手"):
        disable_rider(profile, someone)
