"""店员管理: the owner adds people by phone (they enter this store's back office only) and removes
them (their sessions end); other staff only read the list."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.accounts.models import Role, RoleGrant, User
from app.extensions import db
from app.jobs import commit
from tests.factories import PASSWORD, grant, make_buyer, make_product, make_store, make_user

HX = {"HX-Request": "true"}


@pytest.fixture
def store(app):
    store = make_store(name="椰城小厨")
    commit()
    return store


@pytest.fixture
def owner(store, login):
    user = make_user(Role.STORE_STAFF, store=store, name="王老板")
    store.owner_id = user.id
    commit()
    login(user)
    return user


def staff_grants(store) -> list[RoleGrant]:
    db.session.expire_all()
    return list(
        db.session.execute(
            select(RoleGrant).where(
                RoleGrant.role == Role.STORE_STAFF, RoleGrant.store_id == store.id
            )
        ).scalars()
    )


def test_the_owner_sees_the_staff_and_the_add_form(client, store, owner):
    clerk = make_user(Role.STORE_STAFF, store=store, name="小陈")
    commit()
    page = client.get("/store/staff").text
    assert "王老板" in page and "店主" in page and "小陈" in page and clerk.phone in page
    assert "添加店员" in page and "店员可使用手机验证码登录" in page
    assert page.count("移除</button>") == 1  # the owner has no remove button
    assert "hx-confirm" in page


def test_adding_a_new_phone_makes_a_person_who_works_only_here(app, client, store, owner, login):
    other = make_store(name="别家小店")
    make_product(other, "别家的菜")
    commit()

    answer = client.post("/store/staff", data={"phone": "13712345678", "name": "小李"})

    assert answer.status_code == 303
    clerk = db.session.execute(select(User).where(User.phone == "13712345678")).scalar_one()
    assert clerk.name == "小李" and clerk.password_hash is None  # logs in with an SMS code
    assert [(g.role, g.store_id) for g in clerk.grants] == [(Role.STORE_STAFF, store.id)]
    assert "小李" in client.get("/store/staff").text

    clerk.set_password(PASSWORD)  # standing in for the SMS-code login
    commit()
    theirs = app.test_client()
    assert login(clerk, test_client=theirs).headers["Location"] == "/store/"
    page = theirs.get("/store/staff").text
    assert "椰城小厨" in page and "别家小店" not in page
    assert "只有店主可以添加或移除店员" in page and 'id="add-staff"' not in page
    assert "别家的菜" not in theirs.get("/store/products").text


def test_adding_an_existing_member_keeps_their_name_and_adds_the_role(client, store, owner):
    buyer = make_buyer(name="老顾客")
    commit()
    assert client.post("/store/staff", data={"phone": buyer.phone, "name": ""}).status_code == 303
    db.session.refresh(buyer)
    assert buyer.name == "老顾客"
    assert {(g.role, g.store_id) for g in buyer.grants} == {
        (Role.BUYER, None),
        (Role.STORE_STAFF, store.id),
    }
    # the same person twice is still one role
    assert client.post("/store/staff", data={"phone": buyer.phone}).status_code == 303
    assert len(staff_grants(store)) == 2


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"phone": "12345", "name": "小李"}, "请输入正确的 11 位手机号"),
        ({"phone": "", "name": "小李"}, "请输入正确的 11 位手机号"),
        ({"phone": "13712345678", "name": ""}, "请填写店员姓名（50 字以内）"),
        ({"phone": "13712345678", "name": "名" * 51}, "请填写店员姓名（50 字以内）"),
    ],
)
def test_bad_input_answers_the_form_and_adds_nobody(client, store, owner, data, message):
    answer = client.post("/store/staff", data=data, headers=HX)
    assert answer.status_code == 422 and message in answer.text
    assert len(staff_grants(store)) == 1
    assert db.session.execute(select(User).where(User.phone == "13712345678")).first() is None


def test_a_removed_clerk_is_logged_out_at_their_next_request(app, client, store, owner, login):
    clerk = make_user(Role.STORE_STAFF, store=store, name="小陈")
    commit()
    theirs = app.test_client()
    login(clerk, test_client=theirs)
    assert theirs.get("/store/orders").status_code == 200
    [clerk_grant] = [g for g in staff_grants(store) if g.user_id == clerk.id]

    answer = client.post(f"/store/staff/{clerk_grant.id}/remove")

    assert answer.status_code == 303
    assert [g.user_id for g in staff_grants(store)] == [owner.id]
    after = theirs.get("/store/orders")
    assert after.status_code == 302 and "/login" in after.headers["Location"]
    assert "已移除店员 小陈" in client.get("/store/staff").text  # the flash
    assert "小陈" not in client.get("/store/staff").text


def test_the_owner_cannot_remove_themselves(client, store, owner):
    [own] = staff_grants(store)
    answer = client.post(f"/store/staff/{own.id}/remove", headers=HX)
    assert answer.status_code == 409 and "店主不能移除自己" in answer.text
    assert len(staff_grants(store)) == 1


def test_an_owner_cannot_touch_another_stores_staff(client, store, owner):
    other = make_store(name="别家小店")
    theirs = make_user(Role.STORE_STAFF, store=other)
    buyer = make_buyer()
    commit()
    other_grant = theirs.grants[0]
    assert client.post(f"/store/staff/{other_grant.id}/remove").status_code == 404
    assert client.post(f"/store/staff/{buyer.grants[0].id}/remove").status_code == 404
    assert client.post("/store/staff/999999/remove").status_code == 404
    db.session.expire_all()
    assert db.session.get(RoleGrant, other_grant.id) is not None


def test_staff_who_do_not_own_the_store_cannot_add_or_remove(app, store, owner, login):
    clerk = make_user(Role.STORE_STAFF, store=store, name="小陈")
    commit()
    theirs = app.test_client()
    login(clerk, test_client=theirs)
    [owner_grant] = [g for g in staff_grants(store) if g.user_id == owner.id]

    added = theirs.post("/store/staff", data={"phone": "13712345678", "name": "小李"})
    removed = theirs.post(f"/store/staff/{owner_grant.id}/remove")

    assert added.status_code == 403 and removed.status_code == 403
    assert len(staff_grants(store)) == 2


def test_a_store_the_platform_made_has_no_owner_to_add_staff(app, store, login):
    clerk = make_user(Role.STORE_STAFF, store=store)
    commit()
    client = app.test_client()
    login(clerk, test_client=client)
    assert "只有店主可以添加或移除店员" in client.get("/store/staff").text
    assert (
        client.post("/store/staff", data={"phone": "13712345678", "name": "x"}).status_code == 403
    )


def test_a_person_with_two_stores_manages_the_one_they_act_for(app, client, store, owner):
    second = make_store(name="二号店")
    second.owner_id = owner.id
    grant(owner, Role.STORE_STAFF, store=second)
    commit()
    # acting for the first store (chosen at login), an add goes to the first store only
    client.post("/store/staff", data={"phone": "13712345678", "name": "小李"})
    clerk = db.session.execute(select(User).where(User.phone == "13712345678")).scalar_one()
    assert [g.store_id for g in clerk.grants] == [store.id]
