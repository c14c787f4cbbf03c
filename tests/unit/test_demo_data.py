"""`make run` loads the demo platform: loading it twice changes nothing, and it has something to
review in every queue (a pending wholesale member, a pending store application)."""

from __future__ import annotations

from sqlalchemy import func, select

from app.accounts.models import Address, Member, MemberStatus, User
from app.delivery.models import RiderProfile, RiderStatus
from app.delivery.services import dispatch_settings
from app.demo_data import load_demo_data
from app.extensions import db
from app.storage import get_storage
from app.stores.models import ApplicationStatus, Store, StoreApplication


def _counts() -> dict[str, int]:
    return {
        model.__name__: db.session.execute(select(func.count()).select_from(model)).scalar_one()
        for model in (User, Store, Member, Address, StoreApplication)
    }


def test_demo_data_loads_once_and_again_changes_nothing(app):
    created = load_demo_data()
    db.session.commit()
    assert created["users"] == 10 and created["products"] > 0  # 钱调度, the dispatcher, is the 10th
    before = _counts()
    assert load_demo_data() == {"users": 0, "products": 0}
    db.session.commit()
    assert _counts() == before


def test_demo_data_has_a_pending_member_and_a_pending_application_with_photos(app):
    load_demo_data()
    db.session.commit()
    pending = db.session.execute(select(Member).filter_by(status=MemberStatus.PENDING)).scalars()
    member = pending.one()
    assert member.user.phone == "13800000008"
    application = db.session.execute(
        select(StoreApplication).filter_by(status=ApplicationStatus.PENDING)
    ).scalar_one()
    assert application.fields["shop_name"] == "孙记椰子鸡"
    storage = get_storage()
    for key in (member.shop_photo_key, member.licence_photo_key, application.licence_key):
        assert storage.read(key)[:2] == b"\xff\xd8"  # a JPEG the reviewer can open


def test_demo_stores_have_places_for_the_mall_to_measure_from(app):
    load_demo_data()
    db.session.commit()
    stores = db.session.execute(select(Store)).scalars().all()
    assert len(stores) == 4
    assert all(store.lat and store.lng for store in stores)
    owner = db.session.execute(select(User).filter_by(phone="13800000003")).scalar_one()
    assert {s.name for s in stores if s.owner_id == owner.id} == {"椰城小厨", "海南批发供应"}


def test_demo_catalog_has_categories_brands_and_pictured_products_to_find(app):
    from app.catalog.models import Brand, Category, Product
    from app.catalog.search import search_line

    load_demo_data()
    db.session.commit()
    products = db.session.execute(select(Product)).scalars().all()
    assert db.session.execute(select(func.count(Category.id))).scalar_one() >= 10
    assert {"椰树", "怡宝"} <= {b.name for b in db.session.execute(select(Brand)).scalars()}
    assert all(p.category_id and p.images for p in products)
    storage = get_storage()
    assert all(storage.read(p.images[0])[:2] == b"\xff\xd8" for p in products)
    juice = next(p for p in products if p.name == "椰子汁")
    assert "椰子" in juice.search_text and juice.pinned_at is not None
    assert juice.search_text == search_line("椰子汁", "", "椰树", ("食品饮料", "饮料", "果汁"))
    assert [lp.price_fen for lp in juice.skus[0].level_prices] == [600]  # 金牌 price


def test_demo_data_has_a_connected_assistant_and_a_rider_waiting_for_approval(app):
    load_demo_data()
    db.session.commit()
    settings = dispatch_settings()
    assert settings.connected and settings.connected_at is not None
    waiting = db.session.execute(
        select(RiderProfile).filter_by(status=RiderStatus.PENDING)
    ).scalar_one()
    assert waiting.user.phone == "13800000011"
