"""Wholesale members in the domain: the profile, the review (one winner, the SMS in the same
unit of work, retried by the outbox), the levels and who sees which price."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlalchemy import func, select

from app.accounts.actor import Actor
from app.accounts.members import (
    ProfileFields,
    add_level,
    approve_member,
    delete_level,
    move_level,
    price_viewer,
    reject_member,
    rename_level,
    sees_wholesale_prices,
    set_member_level,
    set_outsider_prices,
    shown_price,
    start_membership,
    submit_profile,
)
from app.accounts.models import Member, MemberLevel, MemberStatus, Role
from app.catalog.models import OutsiderPrices
from app.errors import AlreadyTaken, DomainError, Forbidden, IllegalTransition, InvalidInput
from app.extensions import db
from app.jobs import commit
from app.jobs.models import OutboxJob, OutboxStatus
from app.jobs.runner import dispatch_pending
from app.notifications.models import SmsMessage
from app.storage import get_storage
from app.stores.models import StoreKind
from tests.factories import actor_of, make_buyer, make_product, make_region, make_store, make_user

APPROVED_TEXT = "您的账号已通过审核，请刷新小程序，可获得内部批发价格。"
FIELDS = ProfileFields(
    shop_name="椰风便利店",
    wechat="yefeng88",
    contact_name="陈老板",
    contact_phone="13800000003",
    address="海口市美兰区海甸岛人民大道 58 号",
)


def photo(name: str = "shop.jpg", colour=(200, 30, 30)) -> tuple[str, io.BytesIO]:
    out = io.BytesIO()
    Image.new("RGB", (120, 80), colour).save(out, "JPEG")
    out.seek(0)
    return name, out


def levels() -> list[MemberLevel]:
    """The three levels the migration makes (the first test of a run still has them; later
    tests find the tables emptied)."""
    made = []
    for rank, name in enumerate(("普通会员", "银牌会员", "金牌会员"), start=1):
        level = db.session.execute(select(MemberLevel).filter_by(name=name)).scalar()
        if level is None:
            level = MemberLevel(name=name, rank=rank)
            db.session.add(level)
        made.append(level)
    db.session.flush()
    return made


def staff(role: str = Role.SERVICE) -> Actor:
    return actor_of(make_user(role))


def member_buyer() -> tuple[Actor, Member]:
    user = make_buyer()
    actor = actor_of(user)
    return actor, start_membership(actor)


def submitted() -> Member:
    actor, member = member_buyer()
    submit_profile(actor, FIELDS, photo(), photo("licence.jpg", (10, 90, 200)))
    commit()
    return member


def stored_files(app) -> list[str]:
    root = get_storage().root
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


# ---- the profile ---------------------------------------------------------------------------


def test_a_submitted_profile_waits_for_review_with_both_photos_and_thumbnails(app):
    actor, member = member_buyer()

    submit_profile(actor, FIELDS, photo(), photo("licence.jpg"))
    commit()

    db.session.refresh(member)
    assert member.status == MemberStatus.PENDING and member.submitted_at is not None
    assert (member.shop_name, member.wechat, member.contact_phone) == (
        "椰风便利店",
        "yefeng88",
        "13800000003",
    )
    files = stored_files(app)
    assert len(files) == 4 and sum(f.endswith(".thumb.jpg") for f in files) == 2


def test_a_non_image_licence_keeps_nothing_not_even_the_good_photo(app):
    actor, member = member_buyer()
    commit()

    with pytest.raises(InvalidInput, match="不是有效的图片"):
        submit_profile(actor, FIELDS, photo(), ("licence.pdf", io.BytesIO(b"%PDF-1.4 not a photo")))
    db.session.rollback()

    db.session.refresh(member)
    assert member.status == MemberStatus.INCOMPLETE and member.shop_photo_key is None
    assert stored_files(app) == []


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"wechat": "  "}, "请填写微信号"),
        ({"contact_phone": "12345"}, "请填写正确的联系电话"),
        ({"address": "长" * 300}, "店铺地址不能超过 255 字"),
    ],
)
def test_bad_fields_are_refused_with_the_field_named(app, change, message):
    actor, _member = member_buyer()
    fields = ProfileFields(**{**FIELDS.__dict__, **change})
    with pytest.raises(InvalidInput, match=message):
        submit_profile(actor, fields, photo(), photo("licence.jpg"))


def test_a_landline_with_area_code_is_a_contact_phone(app):
    actor, member = member_buyer()
    fields = ProfileFields(**{**FIELDS.__dict__, "contact_phone": "0898-66123456"})
    submit_profile(actor, fields, photo(), photo("licence.jpg"))
    assert member.status == MemberStatus.PENDING


def test_both_photos_are_required_the_first_time(app):
    actor, _member = member_buyer()
    with pytest.raises(InvalidInput, match="请上传营业执照照片"):
        submit_profile(actor, FIELDS, photo(), None)
    with pytest.raises(InvalidInput, match="请上传店门照片"):
        submit_profile(actor, FIELDS, None, photo("licence.jpg"))


def test_a_pending_profile_cannot_be_sent_again(app):
    member = submitted()
    actor = actor_of(member.user)
    with pytest.raises(IllegalTransition, match="审核中"):
        submit_profile(actor, FIELDS, photo(), photo("licence.jpg"))


def test_only_the_buyer_submits_and_a_buyer_without_membership_is_told_to_apply(app):
    with pytest.raises(Forbidden):
        submit_profile(staff(), FIELDS, photo(), photo("licence.jpg"))
    with pytest.raises(InvalidInput, match="请先申请批发会员"):
        submit_profile(actor_of(make_buyer()), FIELDS, photo(), photo("licence.jpg"))


def test_applying_twice_makes_one_membership(app):
    actor = actor_of(make_buyer())
    start_membership(actor)
    start_membership(actor)
    assert db.session.scalar(select(func.count()).select_from(Member)) == 1


# ---- review --------------------------------------------------------------------------------


def test_approval_gives_the_level_and_queues_exactly_the_spec_sms(app):
    ordinary, silver, _gold = levels()
    member = submitted()

    approve_member(member, silver.id, staff())
    commit()

    assert member.status == MemberStatus.APPROVED and member.level_id == silver.id
    [sms] = db.session.execute(select(SmsMessage)).scalars()
    assert sms.text == APPROVED_TEXT and sms.phone == member.user.phone
    assert sms.status == "sent"  # without Redis the job ran right after the commit


def test_a_second_approval_loses_and_only_one_sms_goes(app):
    [level, *_] = levels()
    member = submitted()
    approve_member(member, level.id, staff())
    commit()

    with pytest.raises(AlreadyTaken, match="该会员已被他人审核"):
        approve_member(db.session.get(Member, member.user_id), level.id, staff(Role.OPERATOR))

    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(SmsMessage)) == 1


def test_a_member_who_never_submitted_cannot_be_approved(app):
    [level, *_] = levels()
    _actor, member = member_buyer()
    with pytest.raises(IllegalTransition, match="还没有提交资料"):
        approve_member(member, level.id, staff())


@pytest.mark.parametrize("role", [Role.BUYER, Role.STORE_STAFF, Role.SALES_MANAGER, Role.DRIVER])
def test_only_platform_staff_review(app, role):
    [level, *_] = levels()
    member = submitted()
    someone = Actor(user_id=member.user_id, role=role)
    with pytest.raises(Forbidden):
        approve_member(member, level.id, someone)
    with pytest.raises(Forbidden):
        reject_member(member, "照片不清楚", someone)
    assert member.status == MemberStatus.PENDING


def test_approval_needs_a_real_level(app):
    member = submitted()
    with pytest.raises(InvalidInput, match="请选择会员等级"):
        approve_member(member, 999, staff())


def test_rejection_keeps_the_reason_then_a_corrected_resubmit_is_pending_again(app):
    member = submitted()
    old_licence = member.licence_photo_key

    reject_member(member, "  营业执照照片不清楚  ", staff())
    commit()
    assert member.status == MemberStatus.REJECTED and member.reject_reason == "营业执照照片不清楚"
    [sms] = db.session.execute(select(SmsMessage)).scalars()
    assert "营业执照照片不清楚" in sms.text

    submit_profile(actor_of(member.user), FIELDS, photo("new.jpg", (1, 2, 3)), None)
    commit()
    assert member.status == MemberStatus.PENDING
    assert member.licence_photo_key == old_licence  # kept: no new one was chosen


@pytest.mark.parametrize(("reason", "message"), [("   ", "请填写拒绝原因"), ("长" * 201, "200")])
def test_rejection_needs_a_short_reason(app, reason, message):
    member = submitted()
    with pytest.raises(InvalidInput, match=message):
        reject_member(member, reason, staff())


def test_a_failed_sms_send_keeps_the_approval_and_the_outbox_retries(app, monkeypatch):
    [level, *_] = levels()
    member = submitted()

    class Down:
        name = "down"

        def send(self, *args):
            raise ConnectionError("SMS gateway unreachable")

    monkeypatch.setattr("app.notifications.tasks.build_provider", lambda config: Down())
    approve_member(member, level.id, staff())
    commit()  # the job runs in-process after the commit and fails

    db.session.expire_all()
    assert db.session.get(Member, member.user_id).status == MemberStatus.APPROVED
    [sms] = db.session.execute(select(SmsMessage)).scalars()
    assert sms.status == "pending"
    [job] = db.session.execute(select(OutboxJob)).scalars()
    assert job.status == OutboxStatus.PENDING and "unreachable" in job.last_error

    monkeypatch.undo()
    dispatch_pending()  # what the sweep does

    db.session.expire_all()
    assert db.session.get(SmsMessage, sms.id).status == "sent"
    assert db.session.get(SmsMessage, sms.id).text == APPROVED_TEXT


def test_a_level_is_changed_only_for_an_approved_member(app):
    ordinary, _silver, gold = levels()
    member = submitted()
    with pytest.raises(IllegalTransition):
        set_member_level(member, gold.id, staff())
    approve_member(member, ordinary.id, staff())
    set_member_level(member, gold.id, staff())
    assert member.level_id == gold.id


# ---- levels --------------------------------------------------------------------------------


def test_operators_add_rename_reorder_and_delete_unused_levels(app):
    ordinary, silver, gold = levels()
    operator = staff(Role.OPERATOR)

    diamond = add_level(" 钻石会员 ", operator)
    rename_level(silver, "白银会员", operator)
    move_level(gold, -1, operator)
    delete_level(diamond, operator)

    names = [
        level.name
        for level in db.session.execute(select(MemberLevel).order_by(MemberLevel.rank)).scalars()
    ]
    assert names == ["普通会员", "金牌会员", "白银会员"]


def test_a_level_in_use_is_not_deleted_and_the_count_is_said(app):
    [level, *_] = levels()
    for _ in range(2):
        approve_member(submitted(), level.id, staff())
    with pytest.raises(DomainError, match="正被 2 名会员使用"):
        delete_level(level, staff(Role.OPERATOR))


def test_level_names_are_unique_and_customer_service_cannot_edit_levels(app):
    [level, *_] = levels()
    with pytest.raises(InvalidInput, match="已有名为「银牌会员」的等级"):
        add_level("银牌会员", staff(Role.OPERATOR))
    with pytest.raises(Forbidden):
        rename_level(level, "VIP", staff(Role.SERVICE))
    with pytest.raises(Forbidden):
        set_outsider_prices(OutsiderPrices.RETAIL, staff(Role.SERVICE))


# ---- prices --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "setting", "expected"),
    [
        ("visitor", OutsiderPrices.NONE, None),
        ("visitor", OutsiderPrices.RETAIL, 650),
        ("buyer", OutsiderPrices.RETAIL, 650),
        ("incomplete", OutsiderPrices.NONE, None),
        ("pending", OutsiderPrices.RETAIL, 650),
        ("pending", OutsiderPrices.NONE, None),
        ("approved", OutsiderPrices.NONE, 480),
        ("approved", OutsiderPrices.RETAIL, 480),
    ],
)
def test_wholesale_prices_only_for_approved_members(app, who, setting, expected):
    [level, *_] = levels()
    set_outsider_prices(setting, staff(Role.OPERATOR))
    product = make_product(make_store(StoreKind.WHOLESALE), price_fen=480)
    product.skus[0].retail_price_fen = 650
    actor = None
    if who == "buyer":
        actor = actor_of(make_buyer())
    elif who == "incomplete":
        actor, _member = member_buyer()
    elif who in ("pending", "approved"):
        member = submitted()
        actor = actor_of(member.user)
        if who == "approved":
            approve_member(member, level.id, staff())

    assert shown_price(product.skus[0], price_viewer(actor)) == expected
    assert sees_wholesale_prices(actor) is (who == "approved")


def test_same_city_prices_are_for_everyone(app):
    product = make_product(make_store(), price_fen=3200)
    assert shown_price(product.skus[0], price_viewer(None)) == 3200


def test_retail_setting_without_a_retail_price_shows_none(app):
    set_outsider_prices(OutsiderPrices.RETAIL, staff(Role.OPERATOR))
    product = make_product(make_store(StoreKind.WHOLESALE, name="批发"), price_fen=480)
    assert shown_price(product.skus[0], price_viewer(None)) is None


def test_approving_may_place_the_member_in_a_region(app):
    [level, *_] = levels()
    region = make_region("三亚")
    member = submitted()
    approve_member(member, level.id, staff(), region_id=region.id)
    assert member.region_id == region.id
