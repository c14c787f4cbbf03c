"""我的二维码: a sales manager's sign-up link as a QR code; a customer who signs up through it
belongs to the manager and the manager's region."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import urlsplit

from sqlalchemy import select

from app.accounts.models import Member, Role, User
from app.extensions import db
from tests.factories import make_user
from tests.support.sms import code_sent_to
from tests.support.wholesale_world import client_of


def _link(html: str) -> str:
    return unescape(re.search(r'id="referral-link" type="text" value="([^"]+)"', html).group(1))


def test_the_first_visit_offers_to_make_the_code_and_writes_nothing(app, world):
    manager = client_of(app, world.manager)
    page = manager.get("/sales/qr").get_data(as_text=True)
    assert "生成我的二维码" in page
    assert 'class="qr-code"' not in page
    db.session.expire_all()
    assert db.session.get(User, world.manager.id).referral_code is None


def test_the_manager_gets_a_qr_code_of_their_sign_up_link(app, world):
    manager = client_of(app, world.manager)
    made = manager.post("/sales/qr")
    assert made.status_code == 303 and made.headers["Location"] == "/sales/qr"

    page = manager.get("/sales/qr").get_data(as_text=True)

    code = db.session.get(User, world.manager.id, populate_existing=True).referral_code
    assert re.fullmatch(r"[A-Za-z0-9_-]{10}", code)
    link = _link(page)
    assert link == f"http://localhost/signup?ref={code}"
    qr = page.split('class="qr-code"', 1)[1].split("</svg>", 1)[0]
    assert "<svg" in qr and 'viewBox="0 0' in qr and "<path" in qr
    assert "style=" not in qr  # the CSP allows none
    # asking again keeps the same code: printed QR codes go on working
    manager.post("/sales/qr")
    assert _link(manager.get("/sales/qr").get_data(as_text=True)) == link


def test_a_customer_signing_up_through_the_qr_code_is_tagged_to_manager_and_region(app, world):
    manager = client_of(app, world.manager)
    manager.post("/sales/qr")
    link = _link(manager.get("/sales/qr").get_data(as_text=True))
    target = urlsplit(link)

    customer = app.test_client()
    page = customer.get(f"{target.path}?{target.query}").get_data(as_text=True)
    assert "业务经理 王经理 邀请您注册" in page
    ref = target.query.removeprefix("ref=")
    customer.post("/sms-code/signup", data={"phone": "13711112222", "ref": ref})
    code = code_sent_to("13711112222")
    signed_up = customer.post("/signup", data={"phone": "13711112222", "code": code, "ref": ref})
    assert signed_up.status_code == 303

    user = db.session.execute(select(User).where(User.phone == "13711112222")).scalar_one()
    member = db.session.get(Member, user.id)
    assert (member.manager_id, member.region_id) == (world.manager.id, world.haikou.id)


def test_only_sales_managers_have_a_qr_page(app, world):
    assert client_of(app, world.driver).get("/sales/qr").status_code == 403
    assert client_of(app, world.driver).post("/sales/qr").status_code == 403
    buyer = make_user(Role.BUYER)
    db.session.commit()
    assert client_of(app, buyer).post("/sales/qr").status_code == 403
    visitor = app.test_client().get("/sales/qr")
    assert visitor.status_code == 302 and visitor.headers["Location"].startswith("/login")
    db.session.expire_all()
    assert db.session.execute(select(User.id).where(User.referral_code.is_not(None))).all() == []
