"""会员中心 → 申请开店 on the phone: the agreement, the fields, the status card, and the way into
the store back office once the store is open."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from app.accounts.models import Role
from app.extensions import db
from app.jobs import commit
from app.stores.applications import install_merchant_settings, reject_application
from app.stores.models import DEFAULT_FIELD_RULES, ApplicationStatus, Store, StoreApplication
from tests.factories import actor_of, make_buyer, make_user

HX = {"HX-Request": "true"}


def jpeg_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (80, 60), "white").save(out, "JPEG")
    return out.getvalue()


def form(**changed) -> dict:
    data = {
        "agree": "y",
        "shop_name": "椰风小馆",
        "category": "餐饮",
        "kind": "same_city",
        "contact": "林小姐",
        "phone": "13800138000",
        "address": "海口市龙华区滨海大道 88 号",
        "intro": "",
        "licence": (io.BytesIO(jpeg_bytes()), "licence.jpg"),
    }
    data.update(changed)
    return {key: value for key, value in data.items() if value is not None}


def stored_files(app) -> list[Path]:
    root = Path(app.config["UPLOAD_DIR"])
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


def applications() -> list[StoreApplication]:
    db.session.expire_all()
    return list(db.session.execute(select(StoreApplication)).scalars())


@pytest.fixture
def settings(app):
    settings = install_merchant_settings()
    commit()
    return settings


@pytest.fixture
def buyer(settings, login):
    user = make_buyer(name="林小姐")
    commit()
    login(user)
    return user


def test_a_visitor_is_sent_to_log_in(client, settings):
    answer = client.get("/shop/apply")
    assert answer.status_code == 302 and "/login" in answer.headers["Location"]


def test_the_page_shows_the_agreement_and_the_fields_the_platform_asks_for(client, buyer):
    page = client.get("/shop/apply").text
    assert "商家入驻协议" in page and "一、商家应保证所提交的资料真实" in page
    assert "我已阅读并同意《商家入驻协议》" in page
    assert "店铺名称 *" in page and "店铺简介" in page and "店铺简介 *" not in page
    assert 'accept="image/*"' in page
    assert 'enctype="multipart/form-data"' in page


def test_fields_switched_off_are_not_shown(client, settings, buyer):
    settings.field_rules = {**DEFAULT_FIELD_RULES, "licence": "off", "intro": "off"}
    commit()
    page = client.get("/shop/apply").text
    assert "营业执照" not in page and "店铺简介" not in page


def test_applying_shows_the_pending_status_and_store_stays_closed(client, buyer):
    answer = client.post("/shop/apply", data=form())
    assert answer.status_code == 303
    [application] = applications()
    assert application.status == ApplicationStatus.PENDING
    assert application.fields["shop_name"] == "椰风小馆"
    page = client.get("/shop/apply").text
    assert "审核中" in page and "椰风小馆" in page and "提交申请" not in page
    assert client.get("/store/orders").status_code == 403  # not a store owner yet


def test_a_double_tap_makes_one_application(client, buyer):
    assert client.post("/shop/apply", data=form()).status_code == 303
    assert client.post("/shop/apply", data=form(shop_name="又一次")).status_code == 303
    [application] = applications()
    assert application.fields["shop_name"] == "椰风小馆"


@pytest.mark.parametrize(
    ("changed", "field_message"),
    [
        ({"agree": None}, "请先阅读并同意《商家入驻协议》"),
        ({"shop_name": "  "}, "请填写店铺名称"),
        ({"kind": None}, "请选择店铺类型"),
        ({"kind": "factory"}, "请选择店铺类型"),
        ({"phone": "hello"}, "请填写正确的联系电话"),
        ({"address": "路" * 256}, "店铺地址不能超过 255 个字"),
        ({"licence": None}, "请上传营业执照照片"),
        ({"licence": (io.BytesIO(b"MZ\x90\x00 not an image"), "licence.jpg")}, "不是有效的图片"),
    ],
)
def test_bad_input_answers_the_form_with_the_message_and_keeps_nothing(
    app, client, buyer, changed, field_message
):
    answer = client.post("/shop/apply", data=form(**changed), headers=HX)
    assert answer.status_code == 422
    assert field_message in answer.text
    assert 'id="apply-form"' in answer.text
    assert applications() == [] and stored_files(app) == []


def test_a_non_image_licence_with_a_plain_post_keeps_the_typed_values(app, client, buyer):
    fake = (io.BytesIO(b"%PDF-1.4"), "licence.pdf")
    answer = client.post("/shop/apply", data=form(licence=fake))
    assert answer.status_code == 422
    assert "「licence.pdf」不是有效的图片" in answer.text and 'value="椰风小馆"' in answer.text
    assert applications() == [] and stored_files(app) == []


def test_multi_merchant_off_shows_the_notice_and_refuses(client, settings, buyer):
    settings.multi_merchant = False
    commit()
    page = client.get("/shop/apply").text
    assert "平台暂未开放商家入驻" in page and "提交申请" not in page
    assert client.post("/shop/apply", data=form(), headers=HX).status_code == 409
    assert applications() == []


def test_a_rejected_applicant_reads_the_reason_corrects_and_applies_again(client, buyer):
    client.post("/shop/apply", data=form())
    [application] = applications()
    operator = make_user(Role.OPERATOR)
    reject_application(application, "营业执照照片不清晰", actor_of(operator))
    commit()

    page = client.get("/shop/apply").text
    assert "已拒绝" in page and "拒绝原因：营业执照照片不清晰" in page
    assert 'value="椰风小馆"' in page and "重新提交申请" in page
    assert "已上传营业执照，不重新选择则沿用原照片" in page

    answer = client.post("/shop/apply", data=form(shop_name="椰风小馆（龙华店）", licence=None))
    assert answer.status_code == 303
    [again] = applications()
    assert again.id == application.id and again.status == ApplicationStatus.PENDING
    assert again.fields["shop_name"] == "椰风小馆（龙华店）"


def test_with_approval_off_the_member_enters_the_new_store_at_once(client, settings, buyer):
    settings.approval_required = False
    commit()

    answer = client.post("/shop/apply", data=form(), follow_redirects=True)

    assert "店铺已开通，可进入商家后台" in answer.text and "已通过" in answer.text
    assert "进入商家后台" in answer.text
    store = db.session.execute(select(Store)).scalar_one()
    db.session.refresh(buyer)
    grant = next(g for g in buyer.grants if g.role == Role.STORE_STAFF)
    assert f"/switch-role/{grant.id}" in answer.text
    entered = client.post(f"/switch-role/{grant.id}")
    assert entered.headers["Location"] == "/store/"
    page = client.get("/store/orders").text
    assert store.name in page


def test_after_approval_the_next_login_lands_on_the_store(app, client, settings, buyer, login):
    settings.approval_required = False
    commit()
    client.post("/shop/apply", data=form())
    client.post("/logout")
    assert login(buyer).headers["Location"] == "/store/"


def test_a_person_without_a_member_role_cannot_apply(client, settings, login):
    operator = make_user(Role.OPERATOR)
    commit()
    login(operator)
    assert client.get("/shop/apply").status_code == 403
    assert client.post("/shop/apply", data=form()).status_code == 403
    assert db.session.scalar(select(func.count(StoreApplication.id))) == 0
