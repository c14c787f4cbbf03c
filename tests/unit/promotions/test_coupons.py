"""Coupons: claim within the total and the per-person limit, used once, only where they apply,
with the reason a buyer reads when one does not fit."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.accounts.models import Role
from app.clock import travel
from app.errors import AlreadyTaken, Forbidden, InvalidInput
from app.extensions import db
from app.jobs import commit
from app.promotions.coupons import (
    CouponFields,
    claim,
    coupon_problem,
    edit_coupon,
    give,
    stop_coupon,
    usable_coupons,
    use,
    wallet,
)
from app.promotions.models import Coupon, UserCoupon
from tests.factories import actor_of, make_buyer, make_store, make_user
from tests.support.racing import race as run_race
from tests.unit.promotions.helpers import PLATFORM, make_coupon


def test_a_platform_coupon_is_borne_by_the_platform_and_a_store_coupon_by_its_store(app):
    store = make_store()
    assert make_coupon().store_id is None
    assert make_coupon(store).store_id == store.id


def test_a_discount_not_below_its_threshold_is_refused(app):
    with pytest.raises(InvalidInput, match="优惠金额须小于使用门槛"):
        make_coupon(threshold_fen=1000, discount_fen=1000)
    assert db.session.execute(select(func.count(Coupon.id))).scalar_one() == 0


def test_a_coupon_needs_a_validity(app):
    with pytest.raises(InvalidInput, match="请填写有效期"):
        make_coupon(days=None)


def test_claims_stop_at_the_per_person_limit(app):
    buyer = make_buyer()
    coupon = make_coupon(per_person=2)
    claim(buyer.id, coupon)
    claim(buyer.id, coupon)
    with pytest.raises(AlreadyTaken, match="每人限领 2 张"):
        claim(buyer.id, coupon)


def test_claims_stop_at_the_total(app):
    coupon = make_coupon(total=2)
    claim(make_buyer().id, coupon)
    claim(make_buyer().id, coupon)
    with pytest.raises(AlreadyTaken, match="优惠券已领完"):
        claim(make_buyer().id, coupon)
    assert coupon.claimed_count == 2


def test_a_stopped_coupon_cannot_be_claimed_but_claimed_ones_stay(app):
    buyer = make_buyer()
    coupon = make_coupon()
    held = claim(buyer.id, coupon)
    stop_coupon(coupon, PLATFORM)
    with pytest.raises(Exception, match="停止发放"):
        claim(make_buyer().id, coupon)
    assert wallet(buyer.id, "usable") == [held]


def test_a_claimed_coupon_is_valid_for_its_days_then_expired(app):
    buyer = make_buyer()
    held = claim(buyer.id, make_coupon(threshold_fen=0, discount_fen=300, days=3))
    assert coupon_problem(held, store_id=None, goods_fen=100) is None
    with travel(timedelta(days=3, minutes=1)):
        assert str(coupon_problem(held, store_id=None, goods_fen=100)) == "已过期"
        assert wallet(buyer.id, "expired") == [held]
        assert wallet(buyer.id, "usable") == []


def test_a_coupon_whose_window_has_not_started_says_so(app):
    held = claim(make_buyer().id, make_coupon(starts_in=timedelta(days=2)))
    assert str(coupon_problem(held, store_id=None, goods_fen=50_000)) == "未到使用时间"


def test_below_the_threshold_names_the_amount(app):
    held = claim(make_buyer().id, make_coupon(threshold_fen=10_000, discount_fen=1_000))
    assert str(coupon_problem(held, store_id=None, goods_fen=9_999)) == "未满 ￥100.00"
    assert coupon_problem(held, store_id=None, goods_fen=10_000) is None


def test_another_stores_coupon_names_its_store(app):
    home = make_store(name="椰城小厨")
    other = make_store(name="别家")
    buyer = make_buyer()
    held = claim(buyer.id, make_coupon(home, threshold_fen=5000, discount_fen=500))
    assert str(coupon_problem(held, store_id=other.id, goods_fen=9000)) == "仅限「椰城小厨」"
    platform, per_store = usable_coupons(buyer.id, {other.id: 9000})
    assert [str(c.problem) for c in platform] == ["仅限「椰城小厨」"]
    assert per_store == {other.id: []}


def test_usable_coupons_lists_the_usable_first_with_reasons_for_the_rest(app):
    store = make_store()
    buyer = make_buyer()
    small = claim(buyer.id, make_coupon(store, threshold_fen=5000, discount_fen=500))
    big = claim(buyer.id, make_coupon(store, threshold_fen=50_000, discount_fen=5000))
    _, per_store = usable_coupons(buyer.id, {store.id: 6000})
    assert [(c.held, c.usable) for c in per_store[store.id]] == [(small, True), (big, False)]
    assert str(per_store[store.id][1].problem) == "未满 ￥500.00"


def test_a_coupon_is_used_once(app):
    held = claim(make_buyer().id, make_coupon())
    use(held)
    with pytest.raises(AlreadyTaken, match="优惠券已使用"):
        use(held)


def test_store_staff_give_only_their_stores_coupons(app):
    home, other = make_store(), make_store()
    staff = actor_of(make_user(Role.STORE_STAFF, store=home))
    buyer = make_buyer()
    given = give(staff, make_coupon(home), buyer)
    assert given.given_by == staff.user_id and given.user_id == buyer.id
    with pytest.raises(Forbidden):
        give(staff, make_coupon(other), buyer)
    with pytest.raises(Forbidden):
        give(staff, make_coupon(), buyer)  # a platform coupon
    assert give(PLATFORM, make_coupon(other), buyer).user_id == buyer.id


def test_store_staff_cannot_edit_another_stores_coupon(app):
    home, other = make_store(), make_store()
    staff = actor_of(make_user(Role.STORE_STAFF, store=home))
    coupon = make_coupon(other)
    fields = CouponFields(name="改", threshold_fen=0, discount_fen=100, valid_days=1)
    with pytest.raises(Forbidden):
        edit_coupon(coupon, staff, fields)
    assert coupon.name == "测试券"


# --- races (PostgreSQL: SQLite runs writers one at a time) -----------------------------------


def race(app, worker, ids):
    return run_race(app, worker, ids, refused=(AlreadyTaken,))


@pytest.fixture
def racing_app(app_factory):
    return app_factory(SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 22, "max_overflow": 5})


@pytest.mark.postgres
def test_a_coupon_used_twice_at_once_is_used_exactly_once(racing_app):
    with racing_app.app_context():
        held_id = claim(make_buyer().id, make_coupon()).id
        commit()
        db.session.remove()

    outcomes = race(racing_app, lambda _: use(db.session.get(UserCoupon, held_id)), range(10))
    assert outcomes == Counter({"won": 1, "优惠券已使用": 9})


@pytest.mark.postgres
def test_twenty_claims_at_once_never_exceed_the_total_or_the_limit(racing_app):
    with racing_app.app_context():
        coupon_id = make_coupon(total=5, per_person=2).id
        buyers = [make_buyer().id for _ in range(4)]
        commit()
        db.session.remove()

    def grab(i):
        claim(buyers[i % 4], db.session.get(Coupon, coupon_id))

    outcomes = race(racing_app, grab, list(range(20)))
    assert outcomes["won"] == 5
    with racing_app.app_context():
        per_person = db.session.execute(
            select(UserCoupon.user_id, func.count()).group_by(UserCoupon.user_id)
        ).all()
        assert sum(n for _, n in per_person) == 5
        assert max(n for _, n in per_person) <= 2
        assert db.session.get(Coupon, coupon_id).claimed_count == 5
        db.session.remove()


@pytest.mark.postgres
def test_one_person_claiming_ten_times_at_once_gets_the_limit(racing_app):
    with racing_app.app_context():
        coupon_id = make_coupon(per_person=1).id
        buyer_id = make_buyer().id
        commit()
        db.session.remove()

    outcomes = race(
        racing_app, lambda _: claim(buyer_id, db.session.get(Coupon, coupon_id)), range(10)
    )
    assert outcomes == Counter({"won": 1, "每人限领 1 张，您已领过": 9})
