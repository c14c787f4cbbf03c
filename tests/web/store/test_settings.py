"""店铺设置 over HTTP: the store edits its own profile; status and rating stay with the platform."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image
from sqlalchemy import func, select

from app.accounts.models import Role
from app.extensions import db
from app.jobs import commit
from app.storage import get_storage
from app.stores.models import BusinessStatus, Store, StoreEvent
from app.stores.profile import thumb_key
from tests.factories import make_store, make_user

HX = {"HX-Request": "true"}


@pytest.fixture
def store(app):
    store = make_store(name="椰城小厨")
    commit()
    return store


@pytest.fixture
def owner(store, login):
    user = make_user(Role.STORE_STAFF, store=store, name="王老板")
    commit()
    login(user)
    return user


def photo(name: str = "logo.png", color=(200, 30, 30)) -> tuple[io.BytesIO, str]:
    out = io.BytesIO()
    Image.new("RGB", (400, 300), color).save(out, "PNG")
    out.seek(0)
    return out, name


def profile(**changes) -> dict:
    data = {
        "name": "椰城小厨·海甸店",
        "category": "快餐简餐",
        "intro": "海南鸡饭，现点现做",
        "opens_at": "09:00",
        "closes_at": "21:30",
        "avg_spend": "35.5",
        "address": "海口市美兰区海甸岛人民大道 58 号",
        "lat": "20.0442",
        "lng": "110.3365",
        "service_phone": "0898-66123456",
        "service_wechat": "yecheng_kitchen",
        "announcement": "端午节照常营业",
        "return_address": "海口市美兰区海甸岛人民大道 58 号 后门",
        "after_sales_enabled": "y",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def stored_files() -> list[str]:
    root = get_storage().root
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def events(store, kind: str) -> list[StoreEvent]:
    return list(
        db.session.execute(
            select(StoreEvent).where(StoreEvent.store_id == store.id, StoreEvent.kind == kind)
        ).scalars()
    )


def test_the_settings_page_shows_the_profile_and_the_platforms_part_read_only(client, store, owner):
    page = client.get("/store/settings").get_data(as_text=True)
    for heading in ("基本信息", "营业信息", "客服与售后", "店铺图片", "店铺记录"):
        assert heading in page
    assert 'value="椰城小厨"' in page
    assert "由平台设置" in page and "★★★★★" in page
    assert 'name="business_status"' not in page and 'name="rating"' not in page
    assert 'maxlength="100"' in re.search(r'<textarea[^>]*name="announcement"[^>]*>', page)[0]


def test_the_profile_is_saved_and_read_back(client, store, owner):
    answer = client.post("/store/settings", data=profile())
    assert answer.status_code == 303
    db.session.expire_all()
    saved = db.session.get(Store, store.id)
    assert saved.name == "椰城小厨·海甸店"
    assert (saved.opens_at, saved.closes_at) == ("09:00", "21:30")
    assert saved.avg_spend_fen == 3550
    assert (saved.lat, saved.lng) == (20.0442, 110.3365)
    assert saved.service_phone == "0898-66123456" and saved.service_wechat == "yecheng_kitchen"
    assert saved.after_sales_enabled is True
    page = client.get("/store/settings").get_data(as_text=True)
    assert "店铺资料已保存" in page
    assert 'value="35.50"' in page and "端午节照常营业" in page
    [event] = events(store, "profile")
    assert event.actor_name == "王老板"
    assert "修改店铺资料" in page and "人均消费" in page  # the timeline names what changed


def test_all_day_and_after_sales_off(client, store, owner):
    client.post("/store/settings", data=profile(all_day="y", after_sales_enabled=None))
    db.session.expire_all()
    saved = db.session.get(Store, store.id)
    assert (saved.opens_at, saved.closes_at) == ("00:00", "24:00")
    assert saved.after_sales_enabled is False


def test_an_announcement_of_101_characters_is_refused_and_nothing_is_saved(client, store, owner):
    answer = client.post("/store/settings", data=profile(announcement="公" * 101), headers=HX)
    assert answer.status_code == 422
    assert "公告最多 100 个字" in answer.get_data(as_text=True)
    db.session.expire_all()
    saved = db.session.get(Store, store.id)
    assert saved.name == "椰城小厨" and saved.announcement == ""
    assert events(store, "profile") == []


def test_an_announcement_of_exactly_100_characters_is_kept_whole(client, store, owner):
    assert client.post("/store/settings", data=profile(announcement="告" * 100)).status_code == 303
    db.session.expire_all()
    assert db.session.get(Store, store.id).announcement == "告" * 100


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": "  "}, "请填写店铺名称"),
        ({"opens_at": "22:00", "closes_at": "09:00"}, "打烊时间须晚于开门时间"),
        ({"opens_at": "25:00"}, "营业时间请填写 HH:MM"),
        ({"avg_spend": "12.345"}, "人均消费请填写金额"),
        ({"avg_spend": "-3"}, "人均消费请填写金额"),
        ({"avg_spend": "abc"}, "人均消费请填写金额"),
        ({"service_phone": "12345"}, "请填写正确的手机号或座机号"),
        ({"service_wechat": "微信号"}, "请填写正确的微信号"),
        ({"lat": "48.85", "lng": "2.35"}, "坐标不在中国境内"),  # Paris
        ({"lat": "20.04", "lng": ""}, "坐标不在中国境内"),
    ],
)
def test_bad_input_is_refused_at_its_field_and_nothing_is_saved(
    client, store, owner, changes, message
):
    answer = client.post("/store/settings", data=profile(**changes), headers=HX)
    assert answer.status_code == 422
    assert message in answer.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Store, store.id).name == "椰城小厨"


def test_a_logo_and_images_are_stored_with_thumbnails_and_served_publicly(
    app, client, store, owner
):
    logo = photo("logo.png")
    images = [photo(f"p{n}.png", (n * 40, 90, 90)) for n in range(2)]
    answer = client.post(
        "/store/settings",
        data={**profile(), "logo": logo, "images": images},
        content_type="multipart/form-data",
    )
    assert answer.status_code == 303
    db.session.expire_all()
    saved = db.session.get(Store, store.id)
    assert saved.logo_key and len(saved.images) == 2
    assert set(stored_files()) == {
        key for k in [saved.logo_key, *saved.images] for key in (k, thumb_key(k))
    }
    visitor = app.test_client()
    logo_answer = visitor.get(f"/media/stores/{store.id}/logo")
    assert logo_answer.status_code == 200 and logo_answer.data.startswith(b"\xff\xd8")
    thumb = visitor.get(f"/media/stores/{store.id}/images/2?size=thumb")
    assert thumb.status_code == 200 and len(thumb.data) < len(
        visitor.get(f"/media/stores/{store.id}/images/2").data
    )
    assert visitor.get(f"/media/stores/{store.id}/images/3").status_code == 404
    # removing one image keeps the other
    first, second = saved.images
    client.post("/store/settings", data={**profile(), "remove_images": [first]})
    db.session.expire_all()
    assert db.session.get(Store, store.id).images == [second]
    assert visitor.get(f"/media/stores/{store.id}/images/2").status_code == 404


def test_a_non_image_logo_is_refused_and_nothing_is_stored(client, store, owner):
    fake = (io.BytesIO(b"<script>alert(1)</script>"), "logo.png")
    answer = client.post(
        "/store/settings",
        data={**profile(), "logo": fake},
        content_type="multipart/form-data",
        headers=HX,
    )
    assert answer.status_code == 422
    assert "不是有效的图片" in answer.get_data(as_text=True)
    db.session.expire_all()
    saved = db.session.get(Store, store.id)
    assert saved.logo_key is None and saved.name == "椰城小厨"
    assert stored_files() == []


def test_more_than_six_images_are_refused(client, store, owner):
    images = [photo(f"p{n}.png", (n * 30, 10, 10)) for n in range(7)]
    answer = client.post(
        "/store/settings",
        data={**profile(), "images": images},
        content_type="multipart/form-data",
        headers=HX,
    )
    assert answer.status_code == 422
    assert "店铺图片最多 6 张" in answer.get_data(as_text=True)
    assert stored_files() == []


def test_store_staff_edit_only_their_own_store(client, store, owner):
    other = make_store(name="别家小店")
    commit()
    # there is no store id to send: whatever the form says, the actor's own store changes
    client.post("/store/settings", data=profile(name="改名了", store_id=str(other.id)))
    db.session.expire_all()
    assert db.session.get(Store, other.id).name == "别家小店"
    assert db.session.get(Store, store.id).name == "改名了"


def test_a_buyer_cannot_open_the_settings(client, login, app):
    buyer = make_user(Role.BUYER)
    commit()
    login(buyer)
    assert client.get("/store/settings").status_code == 403


def test_store_staff_cannot_use_the_platforms_status_and_rating_routes(client, store, owner):
    for path, data in (
        ("status", {"status": BusinessStatus.SHUT, "reason": "想关就关", "shown": "open"}),
        ("rating", {"stars": "5", "reason": "自评", "shown": "5"}),
        ("delete", {}),
    ):
        assert client.post(f"/platform/stores/{store.id}/{path}", data=data).status_code == 403
    db.session.expire_all()
    assert db.session.get(Store, store.id).business_status == BusinessStatus.OPEN
    assert db.session.scalar(select(func.count(StoreEvent.id))) == 0
