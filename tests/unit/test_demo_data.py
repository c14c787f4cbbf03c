"""`make run` loads the demo platform: loading it twice changes nothing, and it has something to
review in every queue (a pending wholesale member, a pending store application)."""

from __future__ import annotations

from sqlalchemy import func, select

from app.accounts.models import Address, Member, MemberStatus, User
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
    assert created["users"] == 9 and created["products"] > 0
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
