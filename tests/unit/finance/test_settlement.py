"""What an order posts to the ledger, driven through the real flows: checkout with coupons and a
delivery fee, payment at the WeChat Pay stand-in, completion through move_order, refunds through
the refund job. The ledger reacts through its subscribers only."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.accounts.actor import SYSTEM
from app.accounts.models import Role
from app.catalog.models import Category
from app.errors import InvalidInput
from app.extensions import db
from app.finance import subscribers
from app.finance.commission import RATE_OUT_OF_RANGE, check_bp, parse_percent
from app.finance.ledger import find_account_id, store_account_id
from app.finance.models import (
    AccountKind,
    Bucket,
    CategoryCommissionRate,
    Entry,
    EntryKind,
    StoreCommissionRate,
)
from app.finance.reports import Balances, check
from app.finance.settings import finance_settings
from app.finance.withdrawals import request_withdrawal
from app.jobs import commit
from app.ordering.offline import record_money_received
from app.ordering.services import move_order
from app.ordering.signals import refund_due
from app.ordering.states import OrderStatus
from app.payments.models import Refund
from app.payments.services import record_offline_refund
from app.payments.signals import refund_completed
from app.wholesale.services import assign_driver, confirm_order
from tests.factories import actor_of, make_buyer, make_product, make_store, place_order
from tests.support.money import (
    BANK_CARD,
    check_out,
    complete,
    ledger_counts,
    operator,
    order_total,
    owned_store,
    paid_order,
    pay,
    platform_balances,
    platform_coupon,
    refund,
    store_balances,
    store_coupon,
)
from tests.support.wholesale_world import build_world
from tests.unit.payments import standin_fixtures

wechat = standin_fixtures.wechat  # fixture

K = EntryKind


def _kinds(order_id: int, account_id: int) -> dict[str, dict[str, int]]:
    """The order's entries on one account: kind → bucket → sum."""
    out: dict[str, dict[str, int]] = {}
    for entry in db.session.execute(
        select(Entry).where(Entry.order_id == order_id, Entry.account_id == account_id)
    ).scalars():
        by_bucket = out.setdefault(entry.kind, {})
        by_bucket[entry.bucket] = by_bucket.get(entry.bucket, 0) + entry.amount_fen
    return out


def _no_difference() -> None:
    assert check() == ([], [])


def _coupon_order(wechat):
    """Two of a 50 yuan product, a 3 yuan delivery fee, a 5 yuan store coupon and a 10 yuan
    platform coupon, paid online: the buyer pays 100 + 3 − 5 − 10 = 88 yuan."""
    store, owner = owned_store(delivery_fee_fen=300)
    product = make_product(store, price_fen=5000)
    buyer = make_buyer()
    held_platform = platform_coupon(buyer, threshold_fen=5000, discount_fen=1000)
    held_store = store_coupon(owner, buyer, threshold_fen=5000, discount_fen=500)
    commit()
    order = paid_order(
        wechat,
        buyer,
        product,
        2,
        platform_coupon_id=held_platform.id,
        store_coupons={store.id: held_store.id},
    )
    assert (order.goods_fen, order.delivery_fee_fen) == (10000, 300)
    assert (order.store_discount_fen, order.platform_discount_fen) == (500, 1000)
    assert order.total_fen == 8800
    return store, owner, order


# --- paying online ---------------------------------------------------------------------------------


def test_paying_online_posts_the_stores_share_and_the_platforms_commission(app, wechat):
    store, _, order = _coupon_order(wechat)
    # commission: 5 % (the platform's default) of the goods less the store's own coupon
    commission = (10000 - 500) * 500 // 10000
    assert commission == 475
    # the store: goods − its coupon − commission + delivery; the platform coupon it did not
    # get from the buyer comes from the platform (buyer's 88 + platform's 10 − commission)
    store_share = 10000 - 500 - commission + 300
    assert store_share == order.total_fen + 1000 - commission == 9325
    assert store_balances(store).pending_fen == store_share
    assert store_balances(store).available_fen == 0
    # the platform: commission − the coupon it bears
    assert platform_balances().pending_fen == commission - 1000
    # every account's entries for the order: exactly what the buyer paid
    assert order_total(order.id) == order.total_fen == 8800
    store_account = store_account_id(store.id)
    assert _kinds(order.id, store_account) == {
        K.SALE: {Bucket.PENDING: 8800},
        K.PLATFORM_COUPON: {Bucket.PENDING: 1000},
        K.COMMISSION: {Bucket.PENDING: -475},
    }
    _no_difference()


def test_the_stores_own_rate_replaces_the_platform_default(app, wechat):
    store, _ = owned_store()
    db.session.add(StoreCommissionRate(store_id=store.id, bp=1250))  # 12.5 %
    finance_settings().commission_bp = 300
    product = make_product(store, price_fen=10000)
    other, _ = owned_store()
    other_product = make_product(other, price_fen=10000)
    commit()
    order = paid_order(wechat, make_buyer(), product)
    at_default = paid_order(wechat, make_buyer(), other_product)
    assert order_total(order.id, kind=K.COMMISSION) == 0  # store −C, platform +C
    assert store_balances(store).pending_fen == 10000 - 1250
    assert store_balances(other).pending_fen == 10000 - 300
    assert platform_balances().pending_fen == 1250 + 300
    assert order_total(at_default.id) == 10000


def test_a_category_rate_wins_and_the_nearest_ancestor_applies(app, wechat):
    food = Category(name="食品", level=1)
    db.session.add(food)
    db.session.flush()
    drinks = Category(name="饮料", level=2, parent_id=food.id)
    db.session.add(drinks)
    db.session.flush()
    juice = Category(name="果汁", level=3, parent_id=drinks.id)
    other = Category(name="日用", level=1)
    db.session.add_all([juice, other])
    db.session.flush()
    db.session.add_all(
        [
            CategoryCommissionRate(category_id=food.id, bp=800),
            CategoryCommissionRate(category_id=drinks.id, bp=200),  # nearer than 食品
        ]
    )
    store, _ = owned_store()
    db.session.add(StoreCommissionRate(store_id=store.id, bp=1000))
    in_juice = make_product(store, price_fen=10000)
    in_juice.category_id = juice.id
    elsewhere = make_product(store, price_fen=10000)
    elsewhere.category_id = other.id
    commit()
    [order] = pay(wechat, check_out(make_buyer(), [(in_juice, 1), (elsewhere, 1)]))
    # 果汁 inherits 饮料's 2 % (not 食品's 8 %, not the store's 10 %); 日用 takes the store's
    assert order_total(order.id, store_account_id(store.id), K.COMMISSION) == -(200 + 1000)
    assert platform_balances().pending_fen == 1200


def test_the_commission_is_rounded_once_for_the_order_half_up(app, wechat):
    store, _ = owned_store()
    db.session.add(StoreCommissionRate(store_id=store.id, bp=100))  # 1 %
    cheap = [make_product(store, price_fen=50) for _ in range(2)]
    odd = make_product(make_store(), price_fen=250)
    db.session.add(StoreCommissionRate(store_id=odd.store_id, bp=100))
    commit()
    # two lines of 0.5 fen each: 1 fen for the order, not 1 + 1 rounded per line
    [order] = pay(wechat, check_out(make_buyer(), [(p, 1) for p in cheap]))
    assert order_total(order.id, store_account_id(store.id), K.COMMISSION) == -1
    # 2.5 fen rounds half up to 3 (not to the even 2, not down)
    [other] = pay(wechat, check_out(make_buyer(), [(odd, 1)]))
    assert order_total(other.id, store_account_id(odd.store_id), K.COMMISSION) == -3
    _no_difference()


def test_a_rate_change_after_payment_leaves_the_posted_order_alone(app, wechat):
    store, owner = owned_store()
    product = make_product(store, price_fen=10000)
    commit()
    order = paid_order(wechat, make_buyer(), product)
    assert store_balances(store).pending_fen == 9500
    db.session.add(StoreCommissionRate(store_id=store.id, bp=2000))
    finance_settings().commission_bp = 3000
    commit()
    complete(order, owner)
    refund(order, 4000)  # the reversal follows the commission posted, not today's rate
    assert store_balances(store).available_fen == 9500 - 4000 + 200
    assert platform_balances().available_fen == 500 - 200
    _no_difference()


def test_rates_outside_zero_to_a_hundred_percent_are_refused(app):
    for text in ("100.01", "-1", "5.125", "abc", ""):
        with pytest.raises(InvalidInput) as refused:
            parse_percent(text)
        assert refused.value.msg == RATE_OUT_OF_RANGE()
    assert parse_percent("5.25") == 525 and parse_percent("100") == 10000
    for bp in (-1, 10001):
        with pytest.raises(InvalidInput):
            check_bp(bp)


# --- completion and offline orders -----------------------------------------------------------------


def test_completion_moves_everything_of_the_order_to_withdrawable(app, wechat):
    store, owner, order = _coupon_order(wechat)
    complete(order, owner)
    assert store_balances(store).pending_fen == 0
    assert store_balances(store).available_fen == 9325
    assert platform_balances().pending_fen == 0
    assert platform_balances().available_fen == 475 - 1000
    settlement = _kinds(order.id, store_account_id(store.id))[K.SETTLEMENT]
    assert settlement == {Bucket.PENDING: -9325, Bucket.AVAILABLE: 9325}
    assert order_total(order.id) == 8800
    _no_difference()


def test_cash_on_delivery_posts_nothing_for_the_store(app):
    store, owner = owned_store()
    order = place_order(make_buyer(), make_product(store, price_fen=3000))  # cod, accepted
    move_order(order, OrderStatus.SHIPPED, actor_of(owner))
    move_order(order, OrderStatus.COMPLETED, actor_of(order.buyer, Role.BUYER))
    commit()
    assert ledger_counts() == (0, 0)
    assert store_balances(store) == Balances()
    # a refund of money that never went through the platform posts nothing either
    refund_due.send(order, amount_fen=500, reason="少送", aftersale_id=None, actor=SYSTEM)
    commit()
    [offline] = db.session.execute(select(Refund)).scalars()
    record_offline_refund(offline, "微信转账 42", actor_of(owner))
    commit()
    assert ledger_counts() == (0, 0)


def test_a_bank_transfer_order_posts_nothing_for_the_store(app):
    world = build_world()
    order = place_order(world.buyer, world.product, 24, payment="bank_transfer")
    confirm_order(order, actor_of(world.manager))
    record_money_received(order, operator(), order.total_fen, "工行转账 0001")
    assign_driver(order, world.driver.id, actor_of(world.manager))
    move_order(order, OrderStatus.COMPLETED, actor_of(world.buyer, Role.BUYER))
    commit()
    assert order.status == OrderStatus.COMPLETED and order.paid_at is not None
    assert ledger_counts() == (0, 0)


# --- refunds ---------------------------------------------------------------------------------------


def test_a_partial_refund_before_completion_reverses_in_proportion(app, wechat):
    store, _, order = _coupon_order(wechat)
    refund(order, 2200)  # a quarter of the 88 yuan paid
    # the store gives back the refund and the quarter of the platform coupon share, and gets
    # back a quarter of the commission (475 / 4 = 118.75 → 119, half up)
    assert store_balances(store).pending_fen == 9325 - 2200 - 250 + 119
    assert platform_balances().pending_fen == (475 - 1000) - 119 + 250
    assert order_total(order.id) == 8800 - 2200
    _no_difference()


def test_a_full_refund_reverses_exactly(app, wechat):
    store, _, order = _coupon_order(wechat)
    refund(order, 3000)
    refund(order, 3001)
    refund(order, 2799)  # three odd parts: the rounding of each is caught up by the last
    assert store_balances(store) == Balances()
    assert platform_balances() == Balances()
    account = store_account_id(store.id)
    assert order_total(order.id, account) == 0
    assert order_total(order.id) == 0
    assert order_total(order.id, account, K.COMMISSION_REVERSAL) == 475
    assert order_total(order.id, account, K.PLATFORM_COUPON_REVERSAL) == -1000
    _no_difference()


def test_closing_a_paid_order_refunds_it_and_nets_to_zero(app, wechat):
    store, owner, order = _coupon_order(wechat)
    move_order(order, OrderStatus.CLOSED, actor_of(owner))
    commit()  # the refund job runs after the commit
    db.session.expire_all()
    assert order.refunded_fen == order.total_fen
    assert store_balances(store) == Balances()
    assert platform_balances() == Balances()
    _no_difference()


def test_a_refund_after_completion_comes_out_of_withdrawable_and_may_make_it_negative(app, wechat):
    store, owner = owned_store()
    product = make_product(store, price_fen=10000)
    commit()
    order = paid_order(wechat, make_buyer(), product)
    complete(order, owner)
    assert store_balances(store).available_fen == 9500
    # the store withdraws most of it, then the buyer returns the goods
    request_withdrawal(actor_of(owner), 9000, agreed=True, payout=BANK_CARD)
    commit()
    refund(order, 10000)
    balances = store_balances(store)
    assert balances.available_fen == 500 - 10000 + 500  # the commission comes back
    assert balances.available_fen < 0
    assert balances.pending_fen == 0 and balances.review_fen == 9000
    assert platform_balances().available_fen == 0
    _no_difference()


def test_the_same_refund_announced_twice_posts_once(app, wechat):
    store, _, order = _coupon_order(wechat)
    done = refund(order, 2200)
    before = ledger_counts(), store_balances(store), platform_balances()
    refund_completed.send(done, actor=SYSTEM)  # a replayed announcement
    subscribers._refund_completed(done)  # and the subscriber called again
    commit()
    assert (ledger_counts(), store_balances(store), platform_balances()) == before
    _no_difference()


def test_the_same_payment_announced_twice_posts_once(app, wechat):
    store, owner, order = _coupon_order(wechat)
    before = ledger_counts(), store_balances(store)
    frm = OrderStatus.PENDING_PAYMENT
    subscribers._order_moved(order, frm=frm, to=order.status, actor=SYSTEM)
    subscribers._order_moved(order, frm=frm, to=order.status, actor=SYSTEM)
    commit()
    assert (ledger_counts(), store_balances(store)) == before
    complete(order, owner)
    after = ledger_counts(), store_balances(store)
    subscribers._order_moved(order, frm=OrderStatus.SHIPPED, to=OrderStatus.COMPLETED, actor=SYSTEM)
    commit()
    assert (ledger_counts(), store_balances(store)) == after
    assert store_balances(store).available_fen == 9325
    _no_difference()


def test_the_platform_pays_the_store_and_nobody_else_sees_the_order(app, wechat):
    """Two stores in one checkout: each store's account holds only its own order."""
    first, _ = owned_store()
    second, _ = owned_store()
    a, b = make_product(first, price_fen=3000), make_product(second, price_fen=7000)
    buyer = make_buyer()
    held = platform_coupon(buyer, threshold_fen=5000, discount_fen=1000)
    commit()
    orders = pay(wechat, check_out(buyer, [(a, 1), (b, 1)], platform_coupon_id=held.id))
    by_store = {o.store_id: o for o in orders}
    # the platform coupon is split 3:7 over the two orders; each store is made whole for it
    assert by_store[first.id].platform_discount_fen == 300
    assert store_balances(first).pending_fen == 3000 - 150
    assert store_balances(second).pending_fen == 7000 - 350
    assert platform_balances().pending_fen == 500 - 1000
    for order in orders:
        assert order_total(order.id) == order.total_fen
        assert {e.account_id for e in _entries(order.id)} == {
            store_account_id(order.store_id),
            _platform_id(),
        }
    _no_difference()


def _entries(order_id: int) -> list[Entry]:
    return list(db.session.execute(select(Entry).where(Entry.order_id == order_id)).scalars())


def _platform_id() -> int:
    return find_account_id(AccountKind.PLATFORM)
