"""A store's own coupons: it creates them (the store bears them), sees only its own, and
another store's coupon id answers 404."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.accounts.models import Role
from app.extensions import db
from app.jobs import commit
from app.promotions.models import Coupon, UserCoupon
from tests.factories import make_buyer, make_store, make_user
from tests.unit.promotions.helpers import make_coupon

GOOD = {
    "name": "满50减5",
    "threshold": "50",
    "discount": "5",
    "validity": "days",
    "valid_days": "30",
    "per_person_limit": "1",
    "total_quantity": "100",
    "in_centre": "y",
}


@pytest.fixture
def store(app):
    return make_store(name="椰城小厨")


@pytest.fixture
def owner(store, login):
    user = make_user(Role.STORE_STAFF, store=store)
    commit()
    login(user)
    return user


def test_a_store_creates_its_own_coupon(client, store, owner):
    assert client.post("/store/coupons/new", data=GOOD).status_code == 303
    [coupon] = db.session.execute(select(Coupon)).scalars()
    assert (coupon.store_id, coupon.total_quantity, coupon.threshold_fen) == (store.id, 100, 5000)


def test_the_list_shows_only_the_stores_own_coupons(client, store, owner):
    make_coupon(store, name="本店券")
    make_coupon(make_store(), name="别家券")
    make_coupon(name="平台券")
    commit()
    page = client.get("/store/coupons").get_data(as_text=True)
    assert "本店券" in page and "别家券" not in page and "平台券" not in page


@pytest.mark.parametrize("path", ["", "/stop", "/give"])
def test_another_stores_coupon_answers_404(client, store, owner, path):
    other = make_coupon(make_store(), name="别家券")
    commit()
    method = client.get if not path else client.post
    assert method(f"/store/coupons/{other.id}{path}").status_code == 404


def test_a_platform_coupon_answers_404_to_a_store(client, store, owner):
    coupon = make_coupon()
    commit()
    assert client.post(f"/store/coupons/{coupon.id}", data=GOOD).status_code == 404
    db.session.refresh(coupon)
    assert coupon.name == "测试券"


def test_a_store_gives_its_coupon_to_a_customer(client, store, owner):
    coupon = make_coupon(store)
    buyer = make_buyer(phone="13911112222")
    commit()
    assert (
        client.post(f"/store/coupons/{coupon.id}/give", data={"phone": "13911112222"}).status_code
        == 303
    )
    [held] = db.session.execute(select(UserCoupon)).scalars()
    assert held.user_id == buyer.id


def test_lowering_the_total_below_what_was_claimed_is_refused(client, store, owner):
    coupon = make_coupon(store, total=10)
    coupon.claimed_count = 5
    commit()
    response = client.post(f"/store/coupons/{coupon.id}", data=GOOD | {"total_quantity": "3"})
    assert response.status_code == 422
    assert "发放总量不能少于已领取的 5 张" in response.get_data(as_text=True)
