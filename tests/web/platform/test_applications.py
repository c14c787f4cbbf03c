"""The platform's side of merchant onboarding: the settings, the review list, approving (which
opens the store for its new owner) and rejecting, each told to the applicant by SMS."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlalchemy import select

from app.accounts.models import Role
from app.extensions import db
from app.jobs import commit, dispatch_pending
from app.jobs.models import OutboxJob, OutboxStatus
from app.notifications.models import SmsMessage
from app.notifications.providers import SmsSendFailed
from app.stores.applications import apply_for_store, install_merchant_settings
from app.stores.models import ApplicationStatus, MerchantSettings, Store, StoreApplication
from tests.factories import actor_of, make_buyer, make_store, make_user

HX = {"HX-Request": "true"}
APPROVED_SMS = "您的开店申请已通过审核，店铺“椰风小馆”已开通，请登录商家后台完善店铺资料。"
FIELDS = {
    "shop_name": "椰风小馆",
    "category": "餐饮",
    "kind": "wholesale",
    "contact": "林小姐",
    "phone": "13800138000",
    "address": "海口市龙华区滨海大道 88 号",
    "intro": "海南家常菜",
}
RULES = {
    "rule_shop_name": "required",
    "rule_category": "required",
    "rule_kind": "required",
    "rule_contact": "required",
    "rule_phone": "optional",
    "rule_address": "required",
    "rule_licence": "required",
    "rule_intro": "off",
}


def jpeg() -> tuple[str, io.BytesIO]:
    out = io.BytesIO()
    Image.new("RGB", (80, 60), "white").save(out, "JPEG")
    out.seek(0)
    return "licence.jpg", out


@pytest.fixture
def settings(app):
    settings = install_merchant_settings()
    commit()
    return settings


@pytest.fixture
def applicant(settings):
    buyer = make_buyer(name="林小姐", phone="13911112222")
    commit()
    return buyer


@pytest.fixture
def application(applicant) -> StoreApplication:
    application = apply_for_store(
        actor_of(applicant, Role.BUYER), FIELDS, jpeg(), agreement_accepted=True
    )
    commit()
    return application


@pytest.fixture
def operator(app, login):
    user = make_user(Role.OPERATOR, name="张运营")
    commit()
    login(user)
    return user


def sms() -> list[SmsMessage]:
    db.session.expire_all()
    return list(db.session.execute(select(SmsMessage)).scalars())


# ---- settings ---------------------------------------------------------------------------------


def test_the_operator_sets_switches_agreement_and_field_rules(client, settings, operator):
    page = client.get("/platform/merchant-settings").text
    assert "开启多商户" in page and "开店申请需平台审核" in page
    assert "必填" in page and "选填" in page and "不显示" in page
    assert "商家入驻协议" in page

    answer = client.post(
        "/platform/merchant-settings",
        data={"multi_merchant": "y", "agreement": "新的入驻协议", **RULES},
    )

    assert answer.status_code == 303
    db.session.expire_all()
    saved = db.session.get(MerchantSettings, 1)
    assert saved.multi_merchant and not saved.approval_required
    assert saved.agreement == "新的入驻协议"
    assert saved.field_rules["intro"] == "off" and saved.field_rules["phone"] == "optional"


@pytest.mark.parametrize(
    ("changed", "message"),
    [
        ({"rule_shop_name": "optional"}, "店铺名称必须为必填项"),
        ({"rule_intro": "sometimes"}, "请为每个申请字段选择必填、选填或不显示"),
        ({"rule_kind": None}, "请为每个申请字段选择必填、选填或不显示"),
        ({"agreement": "长" * 20001}, "入驻协议不能超过"),
    ],
)
def test_bad_settings_are_refused_and_nothing_changes(client, settings, operator, changed, message):
    data = {**RULES, "agreement": "x", **changed}
    answer = client.post(
        "/platform/merchant-settings",
        data={key: value for key, value in data.items() if value is not None},
        headers=HX,
    )
    assert answer.status_code == 422 and message in answer.text
    db.session.expire_all()
    assert db.session.get(MerchantSettings, 1).field_rules["shop_name"] == "required"


def test_customer_service_reads_the_settings_but_cannot_change_them(client, settings, login):
    login(make_user(Role.SERVICE))
    commit()
    page = client.get("/platform/merchant-settings").text
    assert "只有平台运营可以修改商家入驻设置" in page
    answer = client.post("/platform/merchant-settings", data={**RULES, "agreement": "x"})
    assert answer.status_code == 403


def test_people_off_the_platform_cannot_reach_onboarding(client, application, login):
    login(make_user(Role.STORE_STAFF, store=make_store()))
    commit()
    assert client.get("/platform/applications").status_code == 403
    assert client.get(f"/platform/applications/{application.id}/licence").status_code == 403
    assert client.post(f"/platform/applications/{application.id}/approve").status_code == 403


# ---- reviewing --------------------------------------------------------------------------------


def test_the_list_has_tabs_with_counts_and_the_pending_applications(client, application, operator):
    rejected_by = make_buyer(name="周先生")
    commit()
    other = apply_for_store(
        actor_of(rejected_by, Role.BUYER),
        {**FIELDS, "shop_name": "周记糖水"},
        jpeg(),
        agreement_accepted=True,
    )
    other.status = ApplicationStatus.REJECTED
    commit()

    page = client.get("/platform/applications").text
    assert "审核中 1" in page and "已拒绝 1" in page and "已通过 0" in page
    assert "椰风小馆" in page and "林小姐" in page and "13911112222" in page and "批发" in page
    assert "周记糖水" not in page
    rejected = client.get("/platform/applications?status=rejected", headers=HX).text
    assert "周记糖水" in rejected and "椰风小馆" not in rejected


def test_an_empty_list_says_what_happens_next(client, settings, operator):
    page = client.get("/platform/applications").text
    assert "没有待审核的开店申请" in page


def test_the_detail_shows_the_fields_and_the_licence_photo(client, application, operator):
    page = client.get(f"/platform/applications/{application.id}").text
    for value in ("椰风小馆", "餐饮", "林小姐", "13800138000", "海口市龙华区滨海大道 88 号"):
        assert value in page
    licence_url = f"/platform/applications/{application.id}/licence"
    assert licence_url in page and "通过并开通店铺" in page and "hx-confirm" in page
    photo = client.get(licence_url)
    assert photo.status_code == 200 and photo.mimetype == "image/jpeg"
    assert photo.data.startswith(b"\xff\xd8")


def test_unknown_applications_answer_404(client, settings, operator):
    assert client.get("/platform/applications/999").status_code == 404
    assert client.get("/platform/applications/999/licence").status_code == 404
    assert client.post("/platform/applications/999/approve").status_code == 404
    assert client.get(f"/platform/applications/{2**40}").status_code == 404


def test_approval_opens_the_store_for_its_new_owner(
    app, client, application, applicant, operator, login
):
    other_store = make_store(name="别人的店")
    commit()
    answer = client.post(f"/platform/applications/{application.id}/approve")
    assert answer.status_code == 303

    db.session.expire_all()
    store = db.session.execute(select(Store).where(Store.owner_id == applicant.id)).scalar_one()
    assert store.name == "椰风小馆" and store.kind == "wholesale" and store.rating == 5
    assert [(m.phone, m.text) for m in sms()] == [("13911112222", APPROVED_SMS)]
    assert "已通过" in client.get(f"/platform/applications/{application.id}").text

    owner = app.test_client()
    assert login(applicant, test_client=owner).headers["Location"] == "/store/"
    page = owner.get("/store/orders").text
    assert "椰风小馆" in page and other_store.name not in page
    staff_page = owner.get("/store/staff").text
    assert "店主" in staff_page and "添加店员" in staff_page


def test_a_double_approval_has_one_winner_and_one_sms(app, client, application, operator, login):
    service = make_user(Role.SERVICE, name="李客服")
    commit()
    colleague = app.test_client()
    login(service, test_client=colleague)

    assert client.post(f"/platform/applications/{application.id}/approve").status_code == 303
    late = colleague.post(f"/platform/applications/{application.id}/approve", headers=HX)

    assert late.status_code == 409 and "该申请已被他人处理" in late.text
    assert len(db.session.execute(select(Store)).scalars().all()) == 1
    assert [m.text for m in sms()] == [APPROVED_SMS]


def test_a_rejection_needs_a_reason_and_tells_the_applicant(
    client, application, applicant, operator, login
):
    empty = client.post(
        f"/platform/applications/{application.id}/reject", data={"reason": " "}, headers=HX
    )
    assert empty.status_code == 422 and "请填写拒绝原因（200 字以内）" in empty.text
    assert sms() == []

    answer = client.post(
        f"/platform/applications/{application.id}/reject", data={"reason": "类目与执照不符"}
    )
    assert answer.status_code == 303
    assert [m.text for m in sms()] == [
        "您的开店申请未通过审核，原因：类目与执照不符。请修改后重新提交。"
    ]
    db.session.expire_all()
    assert db.session.get(StoreApplication, application.id).status == ApplicationStatus.REJECTED
    assert client.post(f"/platform/applications/{application.id}/approve").status_code == 409
    assert db.session.execute(select(Store)).scalars().all() == []


def test_an_sms_provider_down_at_send_time_does_not_undo_the_approval(
    app, client, application, applicant, operator, monkeypatch
):
    class Down:
        name = "down"

        def send(self, *args):
            raise SmsSendFailed("provider unreachable")

    monkeypatch.setattr("app.notifications.tasks.build_provider", lambda config: Down())

    answer = client.post(f"/platform/applications/{application.id}/approve")

    assert answer.status_code == 303  # the approval stands
    db.session.expire_all()
    assert db.session.execute(select(Store)).scalar_one().owner_id == applicant.id
    [message] = sms()
    assert message.status == "pending"
    job = db.session.execute(select(OutboxJob)).scalar_one()
    assert job.status == OutboxStatus.PENDING and "provider unreachable" in job.last_error

    monkeypatch.undo()  # the provider is back: the sweep hands the row over again
    assert dispatch_pending() == 1
    db.session.expire_all()
    [message] = sms()
    assert message.status == "sent" and message.text == APPROVED_SMS
    assert db.session.get(OutboxJob, job.id).status == OutboxStatus.DONE
