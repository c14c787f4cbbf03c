"""The store profile rules, called as services: who may change what, and what each change leaves."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.accounts.models import Role, RoleGrant, User
from app.errors import DomainError, Forbidden, IllegalTransition, InvalidInput
from app.extensions import db
from app.stores.models import BusinessStatus, StoreEvent
from app.stores.profile import (
    ProfileFieldError,
    delete_store,
    set_business_status,
    set_rating,
    store_image_url,
    store_timeline,
    update_profile,
)
from tests.factories import actor_of, make_store, make_user, store_actor

PROFILE = {
    "name": "椰城小厨",
    "opens_at": "00:00",
    "closes_at": "24:00",
    "after_sales_enabled": True,
}


@pytest.fixture
def store(app):
    return make_store(name="椰城小厨")


@pytest.fixture
def operator(app):
    return actor_of(make_user(Role.OPERATOR, name="张运营"))


@pytest.fixture
def service(app):
    return actor_of(make_user(Role.SERVICE, name="李客服"))


def test_a_store_actor_may_not_set_status_rating_or_delete(store):
    me = store_actor(store.id)
    with pytest.raises(Forbidden):
        set_business_status(store, BusinessStatus.SHUT, "关店", me)
    with pytest.raises(Forbidden):
        set_rating(store, 5, "自评", me, shown=4)
    with pytest.raises(Forbidden):
        delete_store(store, me)
    assert db.session.scalars(select(StoreEvent)).all() == []


def test_customer_service_sets_status_but_not_rating_nor_deletes(store, service):
    assert set_business_status(store, BusinessStatus.RESTING, "午休", service)
    with pytest.raises(Forbidden):
        set_rating(store, 3, "投诉", service)
    with pytest.raises(Forbidden):
        delete_store(store, service)


def test_the_profile_is_only_the_own_stores_staffs(store, operator):
    other = make_store()
    with pytest.raises(Forbidden):
        update_profile(store, store_actor(other.id), PROFILE)
    with pytest.raises(Forbidden):
        update_profile(store, operator, PROFILE)
    assert update_profile(store, store_actor(store.id), {**PROFILE, "intro": "好吃"}) == ["intro"]


def test_nothing_changed_writes_no_event(store):
    assert update_profile(store, store_actor(store.id), PROFILE) == []
    assert store_timeline(store) == []


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "店" * 101}, "name"),
        ({"announcement": "公" * 101}, "announcement"),
        ({"opens_at": "9:00"}, "opens_at"),
        ({"opens_at": "10:00", "closes_at": "10:00"}, "closes_at"),
        ({"opens_at": "24:00", "closes_at": "24:00"}, "closes_at"),
        ({"avg_spend": "1.001"}, "avg_spend"),
        ({"avg_spend": "100000.01"}, "avg_spend"),
        ({"lat": "nan", "lng": "nan"}, "address"),
        ({"lat": "90", "lng": "110"}, "address"),
        ({"service_phone": "1380000000a"}, "service_phone"),
    ],
)
def test_bad_fields_name_their_field(store, fields, field):
    with pytest.raises(ProfileFieldError) as refused:
        update_profile(store, store_actor(store.id), {**PROFILE, **fields})
    assert refused.value.field == field


def test_status_needs_a_reason_unless_open_and_compares_with_what_was_shown(store, service):
    with pytest.raises(InvalidInput, match="请填写原因"):
        set_business_status(store, BusinessStatus.SHUT, "", service)
    set_business_status(store, BusinessStatus.RESTING, "午休", service)
    with pytest.raises(IllegalTransition, match="状态已被他人更新"):
        set_business_status(store, BusinessStatus.SHUT, "违规", service, shown=BusinessStatus.OPEN)
    # the twin of the change already made: the same outcome, no second line
    assert not set_business_status(
        store, BusinessStatus.RESTING, "午休", service, shown=BusinessStatus.OPEN
    )
    assert set_business_status(store, BusinessStatus.OPEN, "", service)
    lines = store_timeline(store)
    assert [(e.before, e.after, e.actor) for e in lines] == [
        ("休息中", "营业", "李客服"),
        ("营业", "休息中", "李客服"),
    ]
    assert lines[1].reason == "午休"


def test_unknown_status_and_stars_are_refused(store, operator):
    with pytest.raises(InvalidInput):
        set_business_status(store, "gone", "x", operator)
    for stars in (0, 6):
        with pytest.raises(InvalidInput):
            set_rating(store, stars, "x", operator)


def test_delete_removes_the_staffs_grants_and_ends_their_sessions(store, operator):
    staff = make_user(Role.STORE_STAFF, store=store)
    version = staff.session_version
    delete_store(store, operator)
    assert store.deleted_at is not None and store.business_status == BusinessStatus.SHUT
    assert db.session.scalars(select(RoleGrant).where(RoleGrant.store_id == store.id)).all() == []
    db.session.expire_all()
    assert db.session.get(User, staff.id).session_version == version + 1
    with pytest.raises(DomainError, match="已删除"):
        set_business_status(store, BusinessStatus.OPEN, "", operator)
    assert store_timeline(store)[0].title == "删除店铺"


def test_image_urls_only_for_pictures_that_exist(app, store):
    with app.test_request_context():
        assert store_image_url(store, "logo") is None
        store.logo_key = f"stores/{store.id}/abcdef123456.jpg"
        store.images = [f"stores/{store.id}/0123456789ab.jpg"]
        assert store_image_url(store, "logo", thumb=True) == (
            f"/media/stores/{store.id}/logo?size=thumb&v=abcdef123456"
        )
        assert store_image_url(store, "images", 0).startswith(f"/media/stores/{store.id}/images/1")
        assert store_image_url(store, "images", 1) is None
