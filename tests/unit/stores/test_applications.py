"""Merchant onboarding rules: who may apply, what an application must carry, and what approval
opens (the store, the owner's role, the timeline line, the SMS) exactly once."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from app.accounts.models import Role, RoleGrant
from app.errors import AlreadyTaken, DomainError, Forbidden, InvalidInput
from app.extensions import db
from app.jobs import commit
from app.notifications.models import SmsMessage
from app.stores.applications import (
    ApplicationInvalid,
    apply_for_store,
    approve_application,
    field_rules,
    install_merchant_settings,
    merchant_settings,
    reject_application,
    update_merchant_settings,
)
from app.stores.models import (
    DEFAULT_FIELD_RULES,
    ApplicationStatus,
    BusinessStatus,
    FieldRule,
    MerchantSettings,
    Store,
    StoreApplication,
    StoreEvent,
    StoreKind,
)
from tests.factories import actor_of, make_buyer, make_store, make_user

FIELDS = {
    "shop_name": "椰风小馆",
    "category": "餐饮",
    "kind": StoreKind.SAME_CITY,
    "contact": "林小姐",
    "phone": "13800138000",
    "address": "海口市龙华区滨海大道 88 号",
    "intro": "海南家常菜",
}


def jpeg(name: str = "licence.jpg") -> tuple[str, io.BytesIO]:
    out = io.BytesIO()
    Image.new("RGB", (80, 60), "white").save(out, "JPEG")
    out.seek(0)
    return name, out


def stored_files(app) -> list[Path]:
    root = Path(app.config["UPLOAD_DIR"])
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def settings(app) -> MerchantSettings:
    settings = install_merchant_settings()
    commit()
    return settings


@pytest.fixture
def buyer(settings):
    user = make_buyer(name="林小姐", phone="13911112222")
    commit()
    return user


@pytest.fixture
def operator(app):
    user = make_user(Role.OPERATOR, name="张运营")
    commit()
    return user


def apply(buyer, fields=None, licence=None, agree=True) -> StoreApplication:
    application = apply_for_store(
        actor_of(buyer, Role.BUYER),
        FIELDS if fields is None else fields,
        jpeg() if licence is None else licence,
        agreement_accepted=agree,
    )
    commit()
    return application


def sms_texts() -> list[str]:
    return [m.text for m in db.session.execute(select(SmsMessage)).scalars()]


def test_approval_opens_the_store_and_makes_the_applicant_its_owner(app, buyer, operator):
    application = apply(buyer)
    assert application.status == ApplicationStatus.PENDING
    assert application.licence_key and len(stored_files(app)) == 1

    store = approve_application(application, actor_of(operator))
    commit()

    assert (store.name, store.kind, store.category, store.phone) == (
        "椰风小馆",
        StoreKind.SAME_CITY,
        "餐饮",
        "13800138000",
    )
    assert store.address == FIELDS["address"] and store.intro == "海南家常菜"
    assert (store.rating, store.opens_at, store.closes_at) == (5, "00:00", "24:00")
    assert store.business_status == BusinessStatus.OPEN
    assert store.owner_id == buyer.id
    db.session.refresh(buyer)
    assert [(g.role, g.store_id) for g in buyer.grants] == [
        (Role.BUYER, None),
        (Role.STORE_STAFF, store.id),
    ]
    [event] = db.session.execute(select(StoreEvent)).scalars()
    assert (event.store_id, event.kind, event.actor_name) == (store.id, "opened", "张运营")
    assert application.store_id == store.id and application.reviewed_by == operator.id
    assert sms_texts() == [
        "您的开店申请已通过审核，店铺“椰风小馆”已开通，请登录商家后台完善店铺资料。"
    ]


def test_with_approval_off_the_store_opens_at_once_by_the_system(app, settings, buyer):
    settings.approval_required = False
    commit()

    application = apply(buyer)

    assert application.status == ApplicationStatus.APPROVED
    store = db.session.get(Store, application.store_id)
    assert store.owner_id == buyer.id
    [event] = db.session.execute(select(StoreEvent)).scalars()
    assert event.actor_id is None and event.actor_name == "系统"
    assert len(sms_texts()) == 1


def test_a_double_submit_with_approval_off_opens_one_store(app, settings, buyer):
    settings.approval_required = False
    commit()
    first = apply(buyer)
    second = apply(buyer)
    assert second.id == first.id
    assert count(Store) == 1 and len(sms_texts()) == 1


def test_multi_merchant_off_refuses_applications(app, settings, buyer):
    settings.multi_merchant = False
    commit()
    with pytest.raises(DomainError, match="平台暂未开放商家入驻"):
        apply(buyer)
    db.session.rollback()
    assert count(StoreApplication) == 0


def test_only_members_apply(app, settings):
    staff = make_user(Role.STORE_STAFF, store=make_store())
    with pytest.raises(Forbidden):
        apply_for_store(actor_of(staff), FIELDS, jpeg(), agreement_accepted=True)


def test_the_agreement_must_be_accepted(app, buyer):
    with pytest.raises(InvalidInput, match="请先阅读并同意《商家入驻协议》"):
        apply(buyer, agree=False)


@pytest.mark.parametrize(
    ("field", "message"),
    [("shop_name", "请填写店铺名称"), ("contact", "请填写联系人"), ("kind", "请选择店铺类型")],
)
def test_a_missing_required_field_is_refused_and_nothing_is_kept(app, buyer, field, message):
    with pytest.raises(ApplicationInvalid, match=message) as refused:
        apply(buyer, {**FIELDS, field: "  "})
    db.session.rollback()
    assert refused.value.field == field
    assert count(StoreApplication) == 0 and stored_files(app) == []


@pytest.mark.parametrize(
    ("changed", "message"),
    [
        ({"shop_name": "店" * 101}, "店铺名称不能超过 100 个字"),
        ({"phone": "call me"}, "请填写正确的联系电话"),
        ({"kind": "factory"}, "请选择店铺类型"),
    ],
)
def test_bad_values_are_refused(app, buyer, changed, message):
    with pytest.raises(ApplicationInvalid, match=message):
        apply(buyer, {**FIELDS, **changed})


def test_a_licence_that_is_not_an_image_is_refused_and_nothing_is_stored(app, buyer):
    fake = ("licence.jpg", io.BytesIO(b"%PDF-1.4 not a photo"))
    with pytest.raises(ApplicationInvalid, match="不是有效的图片") as refused:
        apply(buyer, licence=fake)
    db.session.rollback()
    assert refused.value.field == "licence"
    assert count(StoreApplication) == 0 and stored_files(app) == []


def test_a_required_licence_must_be_uploaded(app, buyer):
    with pytest.raises(ApplicationInvalid, match="请上传营业执照照片"):
        apply(buyer, licence=("", io.BytesIO()))


def test_fields_switched_off_are_neither_asked_nor_kept(app, settings, buyer):
    settings.field_rules = {**DEFAULT_FIELD_RULES, "licence": "off", "intro": "off"}
    commit()
    application = apply(buyer, {**FIELDS, "intro": "不该保存"}, licence=("", io.BytesIO()))
    assert "intro" not in application.fields and application.licence_key is None


def test_a_second_submit_while_pending_answers_with_the_same_application(app, buyer):
    first = apply(buyer)
    second = apply(buyer, {**FIELDS, "shop_name": "别的名字"})
    assert second.id == first.id and second.fields["shop_name"] == "椰风小馆"
    assert count(StoreApplication) == 1


def test_a_rejected_applicant_corrects_and_applies_again(app, buyer, operator):
    application = apply(buyer)
    reject_application(application, "营业执照不清晰。", actor_of(operator))
    commit()
    assert application.status == ApplicationStatus.REJECTED
    assert application.reject_reason == "营业执照不清晰。"
    assert sms_texts() == ["您的开店申请未通过审核，原因：营业执照不清晰。请修改后重新提交。"]

    again = apply(buyer, {**FIELDS, "shop_name": "椰风小馆二店"}, licence=("", io.BytesIO()))

    assert again.id == application.id  # the same row, back to pending
    assert again.status == ApplicationStatus.PENDING and again.reject_reason == ""
    assert again.fields["shop_name"] == "椰风小馆二店"
    assert again.licence_key == application.licence_key  # the photo may stay as it was


def test_a_double_approval_has_one_winner_and_sends_one_sms(app, buyer, operator):
    service = make_user(Role.SERVICE, name="李客服")
    application = apply(buyer)
    approve_application(application, actor_of(operator))
    commit()

    with pytest.raises(AlreadyTaken, match="该申请已被他人处理"):
        approve_application(application, actor_of(service))
    with pytest.raises(AlreadyTaken, match="该申请已被他人处理"):
        reject_application(application, "重复", actor_of(service))
    db.session.rollback()
    # the winner's own second tap is the same outcome, not a second store
    assert approve_application(application, actor_of(operator)).owner_id == buyer.id
    commit()
    assert count(Store) == 1 and len(sms_texts()) == 1
    assert (
        db.session.scalar(
            select(func.count(RoleGrant.id)).where(RoleGrant.role == Role.STORE_STAFF)
        )
        == 1
    )


def test_only_platform_staff_review(app, buyer):
    application = apply(buyer)
    owner = make_user(Role.STORE_STAFF, store=make_store())
    with pytest.raises(Forbidden):
        approve_application(application, actor_of(owner))
    with pytest.raises(Forbidden):
        reject_application(application, "不行", actor_of(buyer))


@pytest.mark.parametrize("reason", ["", "   ", "长" * 201])
def test_a_rejection_needs_a_reason_of_at_most_200_characters(app, buyer, operator, reason):
    application = apply(buyer)
    with pytest.raises(InvalidInput, match="请填写拒绝原因"):
        reject_application(application, reason, actor_of(operator))


def test_settings_are_the_operators(app, settings, operator):
    service = make_user(Role.SERVICE)
    rules = {**DEFAULT_FIELD_RULES, "intro": FieldRule.OFF}
    with pytest.raises(Forbidden):
        update_merchant_settings(
            actor_of(service),
            multi_merchant=False,
            approval_required=False,
            agreement="x",
            rules=rules,
        )
    update_merchant_settings(
        actor_of(operator),
        multi_merchant=False,
        approval_required=False,
        agreement="  新协议  ",
        rules=rules,
    )
    commit()
    db.session.expire_all()
    saved = merchant_settings()
    assert (saved.multi_merchant, saved.approval_required, saved.agreement) == (
        False,
        False,
        "新协议",
    )
    assert field_rules(saved)["intro"] == FieldRule.OFF


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        ({**DEFAULT_FIELD_RULES, "shop_name": FieldRule.OPTIONAL}, "店铺名称必须为必填项"),
        ({**DEFAULT_FIELD_RULES, "intro": "maybe"}, "请为每个申请字段选择"),
        ({"shop_name": FieldRule.REQUIRED}, "请为每个申请字段选择"),
    ],
)
def test_bad_field_rules_are_refused(app, settings, operator, rules, message):
    with pytest.raises(InvalidInput, match=message):
        update_merchant_settings(
            actor_of(operator),
            multi_merchant=True,
            approval_required=True,
            agreement="",
            rules=rules,
        )


def test_without_a_settings_row_the_defaults_are_read_and_nothing_is_written(app):
    db.session.execute(MerchantSettings.__table__.delete())
    commit()
    settings = merchant_settings()
    assert settings.multi_merchant and settings.approval_required
    assert field_rules(settings) == DEFAULT_FIELD_RULES
    assert count(MerchantSettings) == 0
