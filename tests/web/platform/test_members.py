"""The platform's wholesale members: the approval queue with tabs and filters, one member's
profile with the review (approve with a level and the SMS, reject with a reason), the levels
and what outsiders see on wholesale products. Who may do what."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlalchemy import func, select

from app.accounts.members import ProfileFields, start_membership, submit_profile
from app.accounts.models import Member, MemberLevel, MemberStatus, Role
from app.catalog.models import CatalogSettings, OutsiderPrices
from app.extensions import db
from app.jobs import commit
from app.jobs.models import OutboxJob, OutboxStatus
from app.jobs.runner import dispatch_pending
from app.notifications.models import SmsMessage
from app.stores.models import StoreKind
from tests.factories import actor_of, make_buyer, make_product, make_region, make_store, make_user
from tests.support.wholesale_world import client_of

HX = {"HX-Request": "true"}
APPROVED_TEXT = "您的账号已通过审核，请刷新小程序，可获得内部批发价格。"


def jpeg(colour=(200, 30, 30)) -> io.BytesIO:
    out = io.BytesIO()
    Image.new("RGB", (120, 80), colour).save(out, "JPEG")
    out.seek(0)
    return out


def levels() -> list[MemberLevel]:
    made = []
    for rank, name in enumerate(("普通会员", "银牌会员", "金牌会员"), start=1):
        level = db.session.execute(select(MemberLevel).filter_by(name=name)).scalar()
        if level is None:
            level = MemberLevel(name=name, rank=rank)
            db.session.add(level)
        made.append(level)
    db.session.flush()
    return made


def submitted(name="陈老板", shop="椰风便利店", phone=None, region=None) -> Member:
    user = make_buyer(name=name, phone=phone)
    actor = actor_of(user)
    member = start_membership(actor)
    member.region_id = region.id if region else None
    fields = ProfileFields(
        shop_name=shop,
        wechat="wx" + user.phone,
        contact_name=name,
        contact_phone=user.phone,
        address="海口市美兰区人民大道 58 号",
    )
    submit_profile(actor, fields, ("s.jpg", jpeg()), ("l.jpg", jpeg((1, 2, 3))))
    commit()
    return member


@pytest.fixture
def service(app):
    user = make_user(Role.SERVICE, name="李客服")
    commit()
    return client_of(app, user)


@pytest.fixture
def operator(app):
    user = make_user(Role.OPERATOR, name="张运营")
    commit()
    return client_of(app, user)


def approve(browser, member, level, headers=None, **extra):
    return browser.post(
        f"/platform/members/{member.user_id}/approve",
        data={"level_id": level.id, "checked": "y", **extra},
        headers=headers or {},
    )


# ---- the list ------------------------------------------------------------------------------


def test_the_queue_shows_pending_members_with_counts_per_tab(service):
    haikou = make_region("海口")
    submitted("陈老板", "椰风便利店", region=haikou)
    submitted("王老板", "王记粮油")
    start_membership(actor_of(make_buyer(name="未完善")))
    commit()

    page = service.get("/platform/members").get_data(as_text=True)

    assert "椰风便利店" in page and "王记粮油" in page and "海口" in page
    assert "待审核 (2)" in page and "待完善资料 (1)" in page and "全部 (3)" in page
    assert "未完善" not in page  # not in the approval queue


def test_search_and_region_filter_narrow_the_list(service):
    haikou = make_region("海口")
    submitted("陈老板", "椰风便利店", region=haikou)
    submitted("王老板", "王记粮油")

    by_shop = service.get("/platform/members?q=王记", headers=HX).get_data(as_text=True)
    by_region = service.get(f"/platform/members?region={haikou.id}").get_data(as_text=True)

    assert "王记粮油" in by_shop and "椰风便利店" not in by_shop and "<html" not in by_shop
    assert "椰风便利店" in by_region and "王记粮油" not in by_region


def test_an_empty_queue_says_what_happens_next(service):
    page = service.get("/platform/members").get_data(as_text=True)
    assert "没有待审核的会员资料" in page


def test_bad_filters_are_ignored_not_a_crash(service):
    response = service.get("/platform/members?tab=<script>&region=99999999999999&page=-3")
    assert response.status_code in (200, 422)


# ---- review --------------------------------------------------------------------------------


def test_the_member_page_shows_both_photos_through_the_scoped_route(service):
    member = submitted()
    page = service.get(f"/platform/members/{member.user_id}").get_data(as_text=True)
    assert "椰风便利店" in page and "通过审核" in page and "拒绝" in page
    for kind in ("shop", "licence"):
        thumb = f"/platform/members/{member.user_id}/photos/{kind}/thumb.jpg"
        assert thumb in page
        answer = service.get(thumb)
        assert answer.status_code == 200 and answer.mimetype == "image/jpeg"
        assert "public" not in answer.headers.get("Cache-Control", "")


def test_approval_gives_the_level_and_sends_exactly_the_spec_sms(service):
    _ordinary, silver, _gold = levels()
    member = submitted(phone="13800000003")

    response = approve(service, member, silver)

    assert response.status_code == 303
    db.session.expire_all()
    row = db.session.get(Member, member.user_id)
    assert row.status == MemberStatus.APPROVED and row.level_id == silver.id
    [sms] = db.session.execute(select(SmsMessage)).scalars()
    assert sms.phone == "13800000003" and sms.text == APPROVED_TEXT
    page = service.get(f"/platform/members/{member.user_id}").get_data(as_text=True)
    assert "已通过审核，会员会收到短信通知" in page and "银牌会员" in page


def test_approval_needs_the_check_box_and_changes_nothing_without_it(service):
    [level, *_] = levels()
    member = submitted()

    response = service.post(
        f"/platform/members/{member.user_id}/approve", data={"level_id": level.id}, headers=HX
    )

    assert response.status_code == 422 and "请先核对资料并勾选确认" in response.get_data(
        as_text=True
    )
    db.session.expire_all()
    assert db.session.get(Member, member.user_id).status == MemberStatus.PENDING
    assert db.session.scalar(select(func.count()).select_from(SmsMessage)) == 0


def test_a_level_that_does_not_exist_is_refused(service):
    member = submitted()
    levels()
    commit()
    response = service.post(
        f"/platform/members/{member.user_id}/approve",
        data={"level_id": 99999, "checked": "y"},
        headers=HX,
    )
    assert response.status_code == 422 and "请选择会员等级" in response.get_data(as_text=True)


def test_a_second_approval_is_told_someone_else_reviewed_and_one_sms_goes(service, operator):
    [level, *_] = levels()
    member = submitted()

    first = approve(service, member, level)
    second = approve(operator, member, level, headers=HX)

    assert first.status_code == 303
    assert second.status_code == 409 and "该会员已被他人审核" in second.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(SmsMessage)) == 1


def test_rejection_needs_a_reason_and_the_member_reads_it(service, app):
    member = submitted()
    empty = service.post(
        f"/platform/members/{member.user_id}/reject", data={"reason": " ", "checked": "y"}
    )
    assert empty.status_code == 422 and "请填写拒绝原因" in empty.get_data(as_text=True)

    response = service.post(
        f"/platform/members/{member.user_id}/reject",
        data={"reason": "店门照片看不清招牌", "checked": "y"},
    )

    assert response.status_code == 303
    buyer = client_of(app, db.session.get(Member, member.user_id).user)
    page = buyer.get("/shop/me/profile").get_data(as_text=True)
    assert "店门照片看不清招牌" in page
    [sms] = db.session.execute(select(SmsMessage)).scalars()
    assert "店门照片看不清招牌" in sms.text


@pytest.mark.parametrize("role", [Role.STORE_STAFF, Role.BUYER, Role.SALES_MANAGER])
def test_people_outside_the_platform_cannot_review(app, role):
    [level, *_] = levels()
    member = submitted()
    someone = make_user(
        role,
        store=make_store() if role == Role.STORE_STAFF else None,
        region=make_region() if role == Role.SALES_MANAGER else None,
    )
    commit()
    browser = client_of(app, someone)

    response = approve(browser, member, level)
    photo = browser.get(f"/platform/members/{member.user_id}/photos/licence.jpg")

    assert response.status_code == 403 and photo.status_code == 403
    db.session.expire_all()
    assert db.session.get(Member, member.user_id).status == MemberStatus.PENDING


def test_an_unknown_member_is_404(service):
    assert service.get("/platform/members/4242").status_code == 404
    assert service.get("/platform/members/4242/photos/shop.jpg").status_code == 404


def test_approval_stands_when_the_sms_gateway_is_down_and_the_outbox_retries(service, monkeypatch):
    [level, *_] = levels()
    member = submitted()

    class Down:
        name = "down"

        def send(self, *args):
            raise ConnectionError("SMS gateway unreachable")

    monkeypatch.setattr("app.notifications.tasks.build_provider", lambda config: Down())
    response = approve(service, member, level)

    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Member, member.user_id).status == MemberStatus.APPROVED
    [job] = db.session.execute(select(OutboxJob)).scalars()
    assert job.status == OutboxStatus.PENDING

    monkeypatch.undo()
    dispatch_pending()

    db.session.expire_all()
    [sms] = db.session.execute(select(SmsMessage)).scalars()
    assert sms.status == "sent" and sms.text == APPROVED_TEXT


def test_staff_change_an_approved_members_level(service):
    ordinary, _silver, gold = levels()
    member = submitted()
    approve(service, member, ordinary)

    response = service.post(f"/platform/members/{member.user_id}/level", data={"level_id": gold.id})

    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Member, member.user_id).level_id == gold.id


# ---- levels and the price setting ---------------------------------------------------------


def test_operators_add_and_delete_levels_but_not_one_in_use(operator, service):
    ordinary, *_ = levels()
    member = submitted()
    approve(service, member, ordinary)

    added = operator.post("/platform/member-levels", data={"name": "钻石会员"})
    page = operator.get("/platform/member-levels").get_data(as_text=True)
    in_use = operator.post(f"/platform/member-levels/{ordinary.id}/delete", headers=HX)

    assert added.status_code == 303 and "钻石会员" in page and "已添加等级「钻石会员」" in page
    assert in_use.status_code == 409
    assert "「普通会员」正被 1 名会员使用，不能删除" in in_use.get_data(as_text=True)
    diamond = db.session.execute(select(MemberLevel).filter_by(name="钻石会员")).scalar_one()
    assert operator.post(f"/platform/member-levels/{diamond.id}/delete").status_code == 303
    db.session.expire_all()
    assert db.session.get(MemberLevel, diamond.id) is None


def test_a_duplicate_or_empty_level_name_is_refused(operator):
    levels()
    commit()
    empty = operator.post("/platform/member-levels", data={"name": " "}, headers=HX)
    twice = operator.post("/platform/member-levels", data={"name": "银牌会员"}, headers=HX)
    assert empty.status_code == 422 and "请填写等级名称" in empty.get_data(as_text=True)
    assert twice.status_code == 422 and "已有名为「银牌会员」的等级" in twice.get_data(as_text=True)


def test_customer_service_sees_levels_but_cannot_change_them(service):
    [level, *_] = levels()
    commit()
    page = service.get("/platform/member-levels").get_data(as_text=True)
    assert "普通会员" in page and "只有平台运营可以修改" in page
    assert service.post("/platform/member-levels", data={"name": "VIP"}).status_code == 403
    assert (
        service.post(
            "/platform/member-levels/prices", data={"outsider_prices": "retail"}
        ).status_code
        == 403
    )


def test_the_outsider_price_setting_changes_what_visitors_see(operator, client):
    store = make_store(StoreKind.WHOLESALE)
    product = make_product(store, price_fen=4800)
    product.skus[0].retail_price_fen = 6500
    commit()
    assert "登录后可见" in client.get(f"/shop/stores/{store.id}").get_data(as_text=True)

    response = operator.post("/platform/member-levels/prices", data={"outsider_prices": "retail"})

    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(CatalogSettings, 1).outsider_prices == OutsiderPrices.RETAIL
    page = client.get(f"/shop/stores/{store.id}").get_data(as_text=True)
    assert "￥65.00" in page and "￥48.00" not in page
    bad = operator.post("/platform/member-levels/prices", data={"outsider_prices": "free"})
    assert bad.status_code == 422
