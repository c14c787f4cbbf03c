"""Staff accounts over HTTP: operators add, disable and enable operators and customer service;
disabling ends the person's sessions at once; customer service only reads."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from app.accounts.models import Role, RoleGrant, User
from app.extensions import db
from tests.factories import PASSWORD, grant, make_region, make_user

HX = {"HX-Request": "true"}


@pytest.fixture
def operator(app):
    user = make_user(Role.OPERATOR, name="张运营", phone="13800000001")
    db.session.commit()
    return user


@pytest.fixture
def service(app):
    user = make_user(Role.SERVICE, name="李客服", phone="13800000002")
    db.session.commit()
    return user


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def row_of(page: str, text: str) -> str:
    rows = [row for row in re.findall(r"<tr>(.*?)</tr>", page, re.S) if text in row]
    assert len(rows) == 1, f"{len(rows)} table rows hold {text!r}"
    return rows[0]


def flashes(client) -> str:
    return text_of(client.get("/platform/people").get_data(as_text=True))


def user_count() -> int:
    return db.session.scalar(select(func.count(User.id)))


def person(phone: str) -> User | None:
    db.session.expire_all()
    return db.session.execute(select(User).where(User.phone == phone)).scalar_one_or_none()


def add_staff(client, **data):
    form = {"phone": "13912345678", "name": "王客服", "role": "service", "password": ""}
    form.update(data)
    return client.post("/platform/people", data=form)


# ---- the list -----------------------------------------------------------------------------------


def test_the_list_shows_staff_with_roles_status_and_how_they_log_in(
    client, login, operator, service
):
    gone = make_user(Role.SERVICE, name="赵离职")
    gone.active = False
    make_user(Role.RIDER, name="骑手不在此列")
    db.session.commit()
    login(operator)
    page = client.get("/platform/people").get_data(as_text=True)

    assert "骑手不在此列" not in page
    row = text_of(row_of(page, "李客服"))
    assert "13800000002" in row and "客服" in row and "正常" in row and "密码" in row
    assert "已停用" in text_of(row_of(page, "赵离职"))
    assert "本人" in text_of(row_of(page, "张运营"))  # no 停用 button on one's own row
    assert "停用" not in text_of(row_of(page, "张运营"))


def test_filters_by_role_status_and_search(client, login, operator, service):
    gone = make_user(Role.SERVICE, name="赵离职", phone="13766669999")
    gone.active = False
    db.session.commit()
    login(operator)

    by_role = client.get("/platform/people?role=operator").get_data(as_text=True)
    assert "张运营" in by_role and "李客服" not in by_role
    disabled = client.get("/platform/people?status=disabled").get_data(as_text=True)
    assert "赵离职" in disabled and "李客服" not in disabled
    searched = client.get("/platform/people?q=6669999", headers=HX).get_data(as_text=True)
    assert searched.lstrip().startswith('<div id="staff-table">')
    assert "赵离职" in searched and "李客服" not in searched
    # a wildcard is a character, not "everything"
    assert "没有符合条件的账号" in client.get("/platform/people?q=%25").get_data(as_text=True)


def test_an_empty_search_says_what_to_do(client, login, operator):
    login(operator)
    page = text_of(client.get("/platform/people?q=不存在的人").get_data(as_text=True))
    assert "没有符合条件的账号" in page and "清除筛选" in page


def test_garbage_filters_are_ignored_not_an_error(client, login, operator, service):
    login(operator)
    answer = client.get("/platform/people?role=boss&status=zzz&q=" + "x" * 500)
    assert answer.status_code == 200


# ---- adding staff ---------------------------------------------------------------------------------


def test_an_operator_adds_an_operator_who_then_logs_in(app, client, login, operator):
    login(operator)
    answer = add_staff(client, name="孙运营", role="operator", password="secret-88")
    assert answer.status_code == 303 and answer.headers["Location"] == "/platform/people"
    assert "已添加平台运营 孙运营" in flashes(client)

    newcomer = app.test_client()
    entered = newcomer.post("/login", data={"phone": "13912345678", "password": "secret-88"})
    assert entered.status_code == 303 and entered.headers["Location"] == "/platform/"
    assert newcomer.get("/platform/people").status_code == 200


def test_staff_added_without_a_password_log_in_by_sms_code(app, client, login, operator):
    login(operator)
    assert add_staff(client).status_code == 303
    assert "短信验证码" in flashes(client)
    added = person("13912345678")
    assert added.password_hash is None
    assert [g.role for g in added.grants] == [Role.SERVICE]
    assert (
        app.test_client().post("/login", data={"phone": "13912345678", "password": ""}).status_code
        == 422
    )


def test_a_phone_with_an_account_gets_the_role_added_and_keeps_its_name(client, login, operator):
    driver = make_user(Role.DRIVER, region=make_region("海口"), name="刘师傅", phone="13912345678")
    db.session.commit()
    before = user_count()
    login(operator)
    answer = add_staff(client, name="别的名字", password="another-pw")
    assert answer.status_code == 303
    assert "该手机号已有账号，已为其添加角色" in flashes(client)
    assert user_count() == before
    driver = person("13912345678")
    assert driver.name == "刘师傅" and driver.check_password(PASSWORD)
    assert sorted(g.role for g in driver.grants) == [Role.DRIVER, Role.SERVICE]


def test_the_same_role_twice_is_refused_with_a_message(client, login, operator, service):
    login(operator)
    answer = add_staff(client, phone=service.phone)
    assert answer.status_code == 409
    assert "已经是客服" in answer.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).where(RoleGrant.user_id == service.id)) == 1


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("phone", "1381234567", "请输入正确的 11 位手机号"),
        ("phone", "12812345678", "请输入正确的 11 位手机号"),
        ("phone", "1381234567８", "请输入正确的 11 位手机号"),  # a full-width digit
        ("phone", "13812345678\n", None),  # stripped: fine
        ("phone", "138123\x0045678", "请输入正确的 11 位手机号"),
        ("phone", "1" * 5000, "请输入正确的 11 位手机号"),
        ("name", "", "请填写姓名"),
        ("name", "王" * 51, "姓名不能超过 50 个字"),
        ("name", "王\x07五", "不能含控制字符或不可见字符"),
        ("name", "王\u202e五", "不能含控制字符或不可见字符"),
        ("role", "buyer", "请选择平台运营或客服"),
        ("role", "store_staff", "请选择平台运营或客服"),
        ("password", "short", "密码须为 8 到 128 位"),
        ("password", "p" * 129, "密码须为 8 到 128 位"),
    ],
)
def test_bad_input_is_a_clear_422_and_nothing_is_written(
    client, login, operator, field, value, message
):
    login(operator)
    before = user_count()
    answer = add_staff(client, **{field: value})
    if message is None:
        assert answer.status_code == 303
        return
    html = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert message in text_of(html)
    assert user_count() == before


def test_an_htmx_refusal_returns_only_the_form_with_what_was_typed(client, login, operator):
    login(operator)
    answer = client.post(
        "/platform/people", data={"phone": "123", "name": "王客服", "role": "service"}, headers=HX
    )
    html = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert html.lstrip().startswith('<section class="panel" id="add-staff">')
    assert 'value="王客服"' in html and "请输入正确的 11 位手机号" in html


# ---- disabling and enabling ---------------------------------------------------------------------


def test_disabling_ends_the_persons_session_at_once_and_enabling_lets_them_back(
    app, client, login, operator, service
):
    theirs = app.test_client()
    login(service, test_client=theirs)
    assert theirs.get("/platform/orders").status_code == 200

    login(operator)
    answer = client.post(f"/platform/people/{service.id}/disable", data={"confirmed": "y"})
    assert answer.status_code == 303
    assert "已停用 李客服" in flashes(client)

    # their very next request finds them logged out, and they cannot log in again
    refused = theirs.get("/platform/orders")
    assert refused.status_code == 302 and refused.headers["Location"].startswith("/login")
    assert login(service, test_client=theirs).status_code == 422
    assert "已停用" in text_of(
        row_of(client.get("/platform/people").get_data(as_text=True), "李客服")
    )

    assert client.post(f"/platform/people/{service.id}/enable").status_code == 303
    assert login(service, test_client=theirs).status_code == 303
    assert theirs.get("/platform/orders").status_code == 200


def test_disabling_asks_first_without_javascript(client, login, operator, service):
    login(operator)
    list_page = client.get("/platform/people").get_data(as_text=True)
    row = row_of(list_page, "李客服")
    # the link opens a confirmation page; with htmx the same link asks in a dialog
    assert f'href="/platform/people/{service.id}/disable"' in row
    assert "hx-confirm" in row

    confirm = client.get(f"/platform/people/{service.id}/disable")
    assert confirm.status_code == 200
    assert "我确认停用该账号" in text_of(confirm.get_data(as_text=True))

    unconfirmed = client.post(f"/platform/people/{service.id}/disable", data={})
    assert unconfirmed.status_code == 422
    assert "请勾选确认后再停用" in text_of(unconfirmed.get_data(as_text=True))
    assert person(service.phone).active


def test_an_operator_cannot_disable_themselves(client, login, operator):
    make_user(Role.OPERATOR, name="另一位运营")
    db.session.commit()
    login(operator)
    answer = client.post(f"/platform/people/{operator.id}/disable", data={"confirmed": "y"})
    assert answer.status_code == 409
    assert "不能停用自己的账号" in answer.get_data(as_text=True)
    assert person(operator.phone).active


def test_the_last_operator_cannot_be_disabled_and_is_told_why(client, login, operator):
    login(operator)
    answer = client.post(
        f"/platform/people/{operator.id}/disable", data={"confirmed": "y"}, headers=HX
    )
    assert answer.status_code == 409
    assert answer.headers["HX-Retarget"] == "#flash"
    assert "最后一位正常使用的平台运营" in answer.get_data(as_text=True)
    assert person(operator.phone).active
    assert client.get("/platform/people").status_code == 200  # still logged in


def test_an_operator_cannot_take_their_own_operator_role(client, login, operator):
    other = make_user(Role.OPERATOR, name="另一位运营")
    db.session.commit()
    own = next(g for g in operator.grants if g.role == Role.OPERATOR)
    login(operator)
    answer = client.post(f"/platform/people/roles/{own.id}/revoke")
    assert answer.status_code == 409
    assert "不能收回自己的平台运营角色" in answer.get_data(as_text=True)

    theirs = next(g for g in other.grants if g.role == Role.OPERATOR)
    assert client.post(f"/platform/people/roles/{theirs.id}/revoke").status_code == 303
    assert "已收回 另一位运营 的「平台运营」角色" in flashes(client)


def test_revoking_a_staff_role_ends_their_session(app, client, login, operator, service):
    theirs = app.test_client()
    login(service, test_client=theirs)
    login(operator)
    role = next(g for g in service.grants if g.role == Role.SERVICE)
    assert client.post(f"/platform/people/roles/{role.id}/revoke").status_code == 303
    assert theirs.get("/platform/orders").status_code == 302


# ---- customer service reads only ------------------------------------------------------------------


def test_customer_service_sees_the_list_without_any_form(client, login, operator, service):
    login(service)
    page = client.get("/platform/people").get_data(as_text=True)
    assert "13800000001" in page
    assert 'id="add-staff"' not in page and "/disable" not in page and "/revoke" not in page
    assert "只有平台运营可以" in page
    table = client.get("/platform/people", headers=HX).get_data(as_text=True)
    assert "张运营" in table and 'method="post"' not in table and "hx-post" not in table


def test_customer_service_cannot_change_anyone(client, login, operator, service):
    other = make_user(Role.SERVICE, name="周客服")
    db.session.commit()
    role = next(g for g in other.grants if g.role == Role.SERVICE)
    login(service)
    before = user_count()
    assert add_staff(client, phone="13911112222").status_code == 403
    assert add_staff(client, phone="bad").status_code == 403  # refused before the form is read
    confirm = client.get(f"/platform/people/{other.id}/disable")  # read-only, like the list
    assert confirm.status_code == 200
    assert 'name="confirmed"' not in confirm.get_data(as_text=True)
    assert (
        client.post(f"/platform/people/{other.id}/disable", data={"confirmed": "y"}).status_code
        == 403
    )
    assert client.post(f"/platform/people/{other.id}/enable").status_code == 403
    assert client.post(f"/platform/people/roles/{role.id}/revoke").status_code == 403
    assert user_count() == before and person(other.phone).active


@pytest.mark.parametrize("role", [Role.BUYER, Role.RIDER, Role.SALES_MANAGER])
def test_people_of_other_portals_cannot_reach_the_page(client, login, role):
    user = make_user(role, region=make_region() if role == Role.SALES_MANAGER else None)
    db.session.commit()
    login(user)
    assert client.get("/platform/people").status_code == 403


def test_ids_of_people_these_pages_do_not_manage_are_404(client, login, operator):
    buyer = make_user(Role.BUYER)
    rider = make_user(Role.RIDER)
    store_grant = grant(make_user(), Role.BUYER)
    db.session.commit()
    login(operator)
    for user_id in (buyer.id, rider.id, 999_999, 2**31 - 1):
        assert (
            client.post(f"/platform/people/{user_id}/disable", data={"confirmed": "y"}).status_code
            == 404
        )
        assert client.post(f"/platform/people/{user_id}/enable").status_code == 404
        assert client.get(f"/platform/people/{user_id}/disable").status_code == 404
    assert client.post(f"/platform/people/{2**31}/enable").status_code == 404
    # a role that is not a staff role is not taken away here
    assert client.post(f"/platform/people/roles/{store_grant.id}/revoke").status_code == 404
    assert person(buyer.phone).active and person(rider.phone).active
