"""注册: by phone and SMS code, a password if wanted; through a sales manager's link (their QR
code) the customer is tagged to the manager and the manager's region."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.accounts.models import Member, MemberStatus, Role, SmsCode, User
from app.extensions import db
from app.notifications.models import SmsMessage
from tests.factories import make_region, make_user
from tests.support.sms import code_sent_to

PHONE = "13712345678"
HX = {"HX-Request": "true"}


def _code(phone: str = PHONE) -> str:
    db.session.expire_all()
    return code_sent_to(phone)


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _manager(region=None, active: bool = True) -> User:
    manager = make_user(Role.SALES_MANAGER, region=region or make_region("海口"), name="王经理")
    manager.referral_code = "Abc-123_xyz"
    manager.active = active
    db.session.commit()
    return manager


def _sign_up(client, ref: str | None = None, password: str = "", **data):
    form = {"phone": PHONE, "code": _code(), "password": password, **data}
    if ref is not None:
        form["ref"] = ref
    return client.post("/signup", data=form)


def _user() -> User:
    return db.session.execute(select(User).where(User.phone == PHONE)).scalar_one()


def test_signing_up_makes_a_buyer_account_and_logs_in(app, client):
    page = client.get("/signup").get_data(as_text=True)
    assert "注册" in page and "获取验证码" in page and "设置密码（选填）" in page
    assert client.post("/sms-code/signup", data={"phone": PHONE}).status_code == 303

    response = _sign_up(client)

    assert response.status_code == 303
    assert response.headers["Location"] == "/shop/"
    user = _user()
    assert user.name == "用户5678" and user.password_hash is None
    assert [g.role for g in user.grants] == [Role.BUYER]
    assert db.session.get(Member, user.id) is None
    assert "注册成功" in client.get("/shop/").get_data(as_text=True)


def test_a_password_chosen_at_sign_up_logs_in_later(app, client, login):
    client.post("/sms-code/signup", data={"phone": PHONE})
    assert _sign_up(client, password="longenough1").status_code == 303
    client.post("/logout")
    response = client.post("/login", data={"phone": PHONE, "password": "longenough1"})
    assert response.status_code == 303


def test_a_short_password_is_refused(app, client):
    client.post("/sms-code/signup", data={"phone": PHONE})
    response = _sign_up(client, password="short")
    assert response.status_code == 422
    assert "密码至少 8 位" in response.get_data(as_text=True)
    assert _count(User) == 0


def test_a_registered_phone_is_told_to_log_in_and_sent_no_code(app, client):
    make_user(Role.BUYER, phone=PHONE)
    db.session.commit()

    response = client.post("/sms-code/signup", data={"phone": PHONE}, headers=HX)

    assert response.status_code == 409
    assert "该手机号已注册，请直接登录" in response.get_data(as_text=True)
    assert _count(SmsCode) == 0 and _count(SmsMessage) == 0


def test_a_phone_registered_between_the_code_and_the_submit_is_refused(app, client):
    client.post("/sms-code/signup", data={"phone": PHONE})
    code = _code()
    make_user(Role.RIDER, phone=PHONE)
    db.session.commit()

    response = client.post("/signup", data={"phone": PHONE, "code": code})

    assert response.status_code == 422
    assert "该手机号已注册，请直接登录" in response.get_data(as_text=True)
    assert _count(User) == 1
    assert db.session.execute(select(SmsCode)).scalar_one().used_at is None


def test_the_managers_link_names_the_manager_and_tags_the_customer(app, client):
    haikou = make_region("海口")
    manager = _manager(haikou)

    page = client.get("/signup?ref=Abc-123_xyz").get_data(as_text=True)
    assert "业务经理 王经理 邀请您注册" in page
    assert 'name="ref" value="Abc-123_xyz"' in page
    sent = client.post(
        "/sms-code/signup",
        query_string={"ref": "Abc-123_xyz"},
        data={"phone": PHONE, "ref": "Abc-123_xyz"},
    )
    assert sent.headers["Location"] == "/signup?ref=Abc-123_xyz"
    assert "业务经理 王经理 邀请您注册" in client.get(sent.headers["Location"]).get_data(
        as_text=True
    )

    assert _sign_up(client, ref="Abc-123_xyz").status_code == 303

    member = db.session.get(Member, _user().id)
    assert member.manager_id == manager.id
    assert member.region_id == haikou.id
    assert member.status == MemberStatus.INCOMPLETE


def test_the_manager_is_kept_when_the_code_is_sent_with_htmx(app, client):
    _manager()
    client.get("/signup?ref=Abc-123_xyz")
    html = client.post(
        "/sms-code/signup", data={"phone": PHONE, "ref": "Abc-123_xyz"}, headers=HX
    ).get_data(as_text=True)
    assert "业务经理 王经理 邀请您注册" in html
    assert 'name="ref" value="Abc-123_xyz"' in html


@pytest.mark.parametrize("ref", ["nobody-has-it", "x" * 200, "' OR 1=1 --", ""])
def test_an_unknown_link_is_a_plain_sign_up(app, client, ref):
    _manager()
    page = client.get("/signup", query_string={"ref": ref}).get_data(as_text=True)
    assert "邀请您注册" not in page
    client.post("/sms-code/signup", data={"phone": PHONE, "ref": ref})
    assert _sign_up(client, ref=ref).status_code == 303
    assert db.session.get(Member, _user().id) is None


def test_a_link_of_someone_no_longer_a_manager_is_ignored(app, client):
    manager = _manager(active=False)
    assert "邀请您注册" not in client.get("/signup?ref=Abc-123_xyz").get_data(as_text=True)
    client.post("/sms-code/signup", data={"phone": PHONE, "ref": manager.referral_code})
    assert _sign_up(client, ref=manager.referral_code).status_code == 303
    assert db.session.get(Member, _user().id) is None


def test_a_wrong_code_signs_nobody_up(app, client):
    client.post("/sms-code/signup", data={"phone": PHONE})
    wrong = f"{(int(_code()) + 1) % 1_000_000:06d}"
    response = client.post("/signup", data={"phone": PHONE, "code": wrong})
    assert response.status_code == 422
    assert "验证码错误" in response.get_data(as_text=True)
    assert _count(User) == 0


def test_signing_up_comes_back_to_next(app, client):
    client.post("/sms-code/signup", query_string={"next": "/shop/cart"}, data={"phone": PHONE})
    response = client.post(
        "/signup", query_string={"next": "/shop/cart"}, data={"phone": PHONE, "code": _code()}
    )
    assert response.headers["Location"] == "/shop/cart"
