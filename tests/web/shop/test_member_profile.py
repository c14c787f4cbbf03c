"""The member centre (我的) and the wholesale profile: the gate "完善资料后可继续访问", sending
the profile with its photos, what a refused member reads, and which prices each person sees."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlalchemy import select

from app.accounts.members import (
    ProfileFields,
    approve_member,
    reject_member,
    start_membership,
    submit_profile,
)
from app.accounts.models import Member, MemberLevel, MemberStatus, Role
from app.catalog.models import CatalogSettings, OutsiderPrices
from app.extensions import db
from app.jobs import commit
from app.ordering.models import CartItem
from app.storage import get_storage
from app.stores.models import StoreKind
from tests.factories import actor_of, make_buyer, make_product, make_region, make_store, make_user

HX = {"HX-Request": "true"}
GATE = "完善资料后可继续访问"
FIELDS = {
    "shop_name": "椰风便利店",
    "contact_name": "陈老板",
    "contact_phone": "13800000003",
    "wechat": "yefeng88",
    "address": "海口市美兰区海甸岛人民大道 58 号",
}


def jpeg(colour=(200, 30, 30)) -> io.BytesIO:
    out = io.BytesIO()
    Image.new("RGB", (120, 80), colour).save(out, "JPEG")
    out.seek(0)
    return out


def stored_files() -> list:
    root = get_storage().root
    return [p for p in root.rglob("*") if p.is_file()]


def outsiders_see(value: str) -> None:
    settings = db.session.get(CatalogSettings, 1)
    if settings is None:
        settings = CatalogSettings(id=1)
        db.session.add(settings)
    settings.outsider_prices = value


def a_level() -> MemberLevel:
    level = db.session.execute(select(MemberLevel).order_by(MemberLevel.rank)).scalars().first()
    if level is None:
        level = MemberLevel(name="普通会员", rank=1)
        db.session.add(level)
        db.session.flush()
    return level


@pytest.fixture
def wholesale():
    store = make_store(StoreKind.WHOLESALE, name="椰风批发")
    product = make_product(store, "椰子汁 1L", price_fen=4800, min_order_qty=12)
    product.skus[0].retail_price_fen = 6500
    commit()
    return store, product


def member(status: str = MemberStatus.INCOMPLETE, region=None):
    user = make_buyer()
    actor = actor_of(user)
    row = start_membership(actor)
    row.region_id = region.id if region else None
    if status != MemberStatus.INCOMPLETE:
        submit_profile(
            actor, ProfileFields(**FIELDS), ("s.jpg", jpeg()), ("l.jpg", jpeg((0, 0, 9)))
        )
    if status == MemberStatus.REJECTED:
        reject_member(row, "营业执照照片不清楚", actor_of(make_user(Role.SERVICE)))
    if status == MemberStatus.APPROVED:
        approve_member(row, a_level().id, actor_of(make_user(Role.SERVICE)))
    commit()
    return user


# ---- the gate ------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [MemberStatus.INCOMPLETE, MemberStatus.REJECTED])
def test_a_member_without_a_sent_profile_is_sent_to_complete_it(client, login, wholesale, status):
    store, _product = wholesale
    login(member(status))

    for path in ("/shop/me", f"/shop/stores/{store.id}"):
        response = client.get(path)
        assert response.status_code in (302, 303)
        assert response.headers["Location"].endswith("/shop/me/profile")
    page = client.get(f"/shop/stores/{store.id}", follow_redirects=True).get_data(as_text=True)
    assert GATE in page and "店门照片" in page and "营业执照" in page


def test_the_gate_answers_htmx_with_a_redirect_header(client, login, wholesale):
    login(member())
    response = client.get("/shop/me", headers=HX)
    assert response.headers["HX-Redirect"].endswith("/shop/me/profile")


def test_pages_that_are_never_gated(client, login):
    same_city = make_store(name="椰城小厨")
    make_product(same_city, "海南鸡饭")
    commit()
    login(member())

    for path in (
        "/shop/",
        f"/shop/stores/{same_city.id}",
        "/shop/orders",
        "/shop/cart",
        "/shop/me/profile",
        "/static/css/app.css",
    ):
        assert client.get(path).status_code == 200, path
    assert client.post("/logout").status_code in (302, 303)


def test_a_pending_member_sees_the_pages_but_no_wholesale_price(client, login, wholesale):
    store, _product = wholesale
    login(member(MemberStatus.PENDING))

    me = client.get("/shop/me").get_data(as_text=True)
    page = client.get(f"/shop/stores/{store.id}").get_data(as_text=True)

    assert "待审核" in me
    assert "审核通过后可见" in page and "￥48.00" not in page
    assert "加入购物车" not in page and "资料审核中，审核通过后可订货" in page


def test_a_buyer_who_is_no_wholesale_member_is_never_gated_and_may_apply(client, login, wholesale):
    store, _product = wholesale
    buyer = make_buyer(name="林小姐", phone="13912345678")
    commit()
    login(buyer)

    me = client.get("/shop/me")
    html = me.get_data(as_text=True)
    assert me.status_code == 200
    assert "林小姐" in html and "139****5678" in html and "13912345678" not in html
    assert "申请批发会员" in html and "/shop/addresses" in html and "/shop/apply" in html
    assert client.get(f"/shop/stores/{store.id}").status_code == 200

    response = client.post("/shop/me/member")
    assert response.headers["Location"].endswith("/shop/me/profile")
    assert db.session.get(Member, buyer.id).status == MemberStatus.INCOMPLETE
    assert client.get("/shop/me").status_code in (302, 303)  # now gated until the profile is sent


def test_visitors_are_asked_to_log_in_for_the_member_centre(client, app):
    response = client.get("/shop/me")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


# ---- sending the profile -------------------------------------------------------------------


def test_the_profile_is_sent_with_both_photos_and_waits_for_review(client, login):
    user = member()
    login(user)

    response = client.post(
        "/shop/me/profile",
        data={**FIELDS, "shop_photo": (jpeg(), "door.jpg"), "licence_photo": (jpeg(), "lic.jpg")},
        content_type="multipart/form-data",
    )

    assert response.status_code == 303
    row = db.session.get(Member, user.id)
    db.session.refresh(row)
    assert row.status == MemberStatus.PENDING and row.wechat == "yefeng88"
    me = client.get("/shop/me").get_data(as_text=True)
    assert "资料已提交，请等待客服审核" in me and "资料审核中" in me
    profile = client.get("/shop/me/profile").get_data(as_text=True)
    assert "/shop/me/photos/shop/thumb.jpg" in profile
    photo = client.get("/shop/me/photos/licence/thumb.jpg")
    assert photo.status_code == 200 and photo.mimetype == "image/jpeg"


def test_missing_fields_are_named_and_nothing_is_kept(client, login):
    user = member()
    login(user)

    response = client.post(
        "/shop/me/profile",
        data={**FIELDS, "wechat": "", "contact_phone": "12345", "shop_photo": (jpeg(), "d.jpg")},
        content_type="multipart/form-data",
        headers=HX,
    )

    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "<html" not in html
    assert "请填写微信号" in html and "请填写正确的联系电话" in html
    assert db.session.get(Member, user.id).status == MemberStatus.INCOMPLETE
    assert stored_files() == []


def test_a_licence_that_is_not_an_image_is_refused_and_no_file_is_left(client, login):
    user = member()
    login(user)

    response = client.post(
        "/shop/me/profile",
        data={
            **FIELDS,
            "shop_photo": (jpeg(), "door.jpg"),
            "licence_photo": (io.BytesIO(b"%PDF-1.4 licence"), "licence.pdf"),
        },
        content_type="multipart/form-data",
    )

    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "「licence.pdf」不是有效的图片" in html
    assert "椰风便利店" in html  # what was typed is still in the form
    row = db.session.get(Member, user.id)
    db.session.refresh(row)
    assert row.status == MemberStatus.INCOMPLETE and row.shop_photo_key is None
    assert stored_files() == []


def test_without_a_licence_photo_the_member_is_asked_for_it(client, login):
    login(member())
    response = client.post(
        "/shop/me/profile",
        data={**FIELDS, "shop_photo": (jpeg(), "door.jpg")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422 and "请上传营业执照照片" in response.get_data(as_text=True)


def test_a_refused_member_reads_the_reason_and_a_corrected_profile_is_reviewed_again(client, login):
    user = member(MemberStatus.REJECTED)
    login(user)

    page = client.get("/shop/me/profile").get_data(as_text=True)
    assert "营业执照照片不清楚" in page and "重新提交审核" in page and "已上传，不换可不选" in page

    response = client.post(
        "/shop/me/profile",
        data={**FIELDS, "licence_photo": (jpeg((5, 5, 5)), "clear.jpg")},
        content_type="multipart/form-data",
    )

    assert response.status_code == 303
    row = db.session.get(Member, user.id)
    db.session.refresh(row)
    assert row.status == MemberStatus.PENDING
    assert "待审核" in client.get("/shop/me").get_data(as_text=True)


def test_a_pending_profile_cannot_be_posted_again(client, login):
    login(member(MemberStatus.PENDING))
    response = client.post(
        "/shop/me/profile",
        data={**FIELDS, "shop_photo": (jpeg(), "d.jpg"), "licence_photo": (jpeg(), "l.jpg")},
        content_type="multipart/form-data",
        headers=HX,
    )
    assert response.status_code == 409 and "审核中" in response.get_data(as_text=True)


def test_a_buyer_sees_no_other_members_photos(client, login):
    member(MemberStatus.PENDING)
    login(make_buyer())
    commit()
    assert client.get("/shop/me/photos/shop.jpg").status_code == 404


# ---- prices --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("setting", "shown", "hidden"),
    [
        (OutsiderPrices.NONE, "登录后可见", "￥65.00"),
        (OutsiderPrices.RETAIL, "￥65.00", "登录后可见"),
    ],
)
def test_visitors_see_the_retail_price_or_none_per_setting(
    client, app, wholesale, setting, shown, hidden
):
    store, _product = wholesale
    outsiders_see(setting)
    commit()

    page = client.get(f"/shop/stores/{store.id}").get_data(as_text=True)

    assert shown in page and hidden not in page and "￥48.00" not in page


def test_an_approved_member_sees_the_wholesale_price_and_may_order(client, login, wholesale):
    store, product = wholesale
    outsiders_see(OutsiderPrices.RETAIL)
    user = member(MemberStatus.APPROVED, region=make_region("海口"))
    login(user)

    page = client.get(f"/shop/stores/{store.id}").get_data(as_text=True)
    response = client.post("/shop/cart/add", data={"sku_id": product.skus[0].id, "quantity": 12})

    assert "￥48.00" in page and "￥65.00" not in page and "加入购物车" in page
    assert response.status_code == 303
    assert db.session.execute(select(CartItem).filter_by(user_id=user.id)).scalar() is not None
    me = client.get("/shop/me").get_data(as_text=True)
    assert "已通过" in me and "普通会员" in me


def test_an_empty_profile_says_every_missing_thing_at_once(client, login):
    buyer = make_user(Role.BUYER)
    db.session.add(Member(user_id=buyer.id, status=MemberStatus.INCOMPLETE))
    commit()
    login(buyer)

    page = client.post("/shop/me/profile", data={})

    assert page.status_code == 422
    text = page.get_data(as_text=True)
    assert "请上传店门照片" in text and "请上传营业执照照片" in text
    assert "请填写微信号" in text  # the text fields' errors come in the same answer
