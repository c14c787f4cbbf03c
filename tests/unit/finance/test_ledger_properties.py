"""The ledger's promises, over random sequences of pay, complete, refund, deliver, fine,
withdraw, approve, reject and mark paid (SPEC §9, issue 11 §4):

- every account's cached balances equal the sum of its entries (`reports.check()` is clean);
- a withdrawal never takes more than 可提现 held when it was asked, never leaves 可提现 negative,
  and a request the rules allow is not refused;
- for every order, the entries of all accounts sum to what the buyer paid less the refunds, and
  the whole ledger to what buyers paid less refunds (fines and withdrawals move money between
  accounts or buckets, never create it).

Here the settlement functions are called directly on order, refund and task rows written
without the checkout (that is the point: thousands of sequences in seconds); the other tests
drive the same functions through the real flows. Each example runs in one transaction that is
rolled back at its end, so the next one starts from the empty ledger.
Set MONEY_EXAMPLES=5000 for a longer run (1,000 by default: two thousand sequences across
the SQLite and PostgreSQL runs of `make test`).
"""

from __future__ import annotations

import itertools
import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from app.accounts.models import Role
from app.delivery.models import DeliveryTask, TaskStatus
from app.errors import DomainError
from app.extensions import db
from app.finance.adjustments import fine
from app.finance.ledger import find_account_id
from app.finance.models import AccountKind, Entry, LedgerAccount, StoreCommissionRate, Withdrawal
from app.finance.reports import check
from app.finance.settings import finance_settings
from app.finance.settlement import (
    post_order_completed,
    post_order_paid,
    post_refund,
    post_task_delivered,
)
from app.finance.withdrawals import (
    approve_withdrawal,
    mark_withdrawal_paid,
    reject_withdrawal,
    request_withdrawal,
)
from app.ordering.models import Order, OrderItem
from app.ordering.states import OrderStatus
from app.payments.models import Refund
from app.stores.models import StoreKind
from tests.factories import actor_of, make_buyer, make_product, make_user
from tests.support.money import BANK_CARD, owned_store

EXAMPLES = int(os.environ.get("MONEY_EXAMPLES", "1000"))
MINIMUM = 500  # the platform's default minimum per withdrawal
_numbers = itertools.count(1)


@st.composite
def pay_steps(draw):
    goods = draw(st.one_of(st.integers(1, 100_000), st.integers(20_000, 100_000)))

    def discount(most: int) -> int:  # none, a little, or up to all that is left
        return draw(st.one_of(st.just(0), st.integers(0, most // 4), st.integers(0, most)))

    store_discount = discount(goods)
    platform_discount = discount(goods - store_discount)
    points_discount = discount(goods - store_discount - platform_discount)
    return (
        "pay",
        draw(st.integers(0, 1)),  # which store
        goods,
        store_discount,
        platform_discount,
        points_discount,
        draw(st.integers(0, 1_000)),  # delivery fee
        draw(
            st.one_of(
                st.integers(0, 1_000), st.integers(0, 10_000), st.sampled_from([0, 1, 3333, 10_000])
            )
        ),  # the store's rate, basis points
    )


PICK = st.integers(0, 1_000)  # an index, taken modulo what exists
WHO = st.integers(0, 2)  # store 0, store 1, the rider
ASKS = st.integers(0, 3)  # the same, or 3: whoever holds the most 可提现
steps = st.builds(
    lambda first, rest: [first, ("complete", 0), *rest],
    pay_steps(),
    st.lists(
        st.one_of(
            pay_steps(),
            st.tuples(st.just("complete"), PICK),
            st.tuples(st.just("complete"), PICK),  # twice: completed orders can be withdrawn
            st.tuples(st.just("refund"), PICK, st.integers(1, 100)),  # percent of what is left
            st.tuples(st.just("deliver"), PICK, st.integers(0, 2_000)),
            st.tuples(st.just("fine"), WHO, st.integers(1, 5_000)),
            # a share (percent) of what 可提现 holds, or any amount at all
            st.tuples(st.just("withdraw"), ASKS, st.integers(1, 130), st.just(True)),
            st.tuples(st.just("withdraw"), ASKS, st.integers(1, 130), st.just(True)),
            st.tuples(st.just("withdraw"), ASKS, st.integers(1, 60_000), st.just(False)),
            st.tuples(st.just("approve"), PICK),
            st.tuples(st.just("approve"), PICK),
            st.tuples(st.just("reject"), PICK),
            st.tuples(st.just("paid"), PICK),
            st.tuples(st.just("paid"), PICK),
        ),
        min_size=3,
        max_size=13,
    ),
)  # sequences of 5 to 15 steps that start with an order paid and completed


class Sequence:
    """One example's world and what the ledger should say about it."""

    def __init__(self) -> None:
        rules = finance_settings()
        rules.withdraw_interval_days = 0  # the window has its own tests; here any day will do
        rules.withdraw_min_fen = MINIMUM
        self.stores, self.owners, self.products = [], [], []
        for _ in range(2):
            store, owner = owned_store()
            self.stores.append(store)
            self.owners.append(owner)
            self.products.append(make_product(store, price_fen=100))
        self.rider = make_user(Role.RIDER)
        self.buyer = make_buyer()
        self.staff = actor_of(make_user(Role.OPERATOR))
        self.orders: list[Order] = []
        self.expected: dict[int, int] = {}  # order id → paid − refunded, as posted
        self.delivered: set[int] = set()
        self.withdrawals: list[Withdrawal] = []

    # --- the steps ---

    def pay(self, which, goods, store_d, platform_d, points_d, delivery, bp) -> None:
        store = self.stores[which]
        db.session.merge(StoreCommissionRate(store_id=store.id, bp=bp))
        discount = store_d + platform_d + points_d
        order = Order(
            no=f"P{next(_numbers):012d}",
            store_id=store.id,
            buyer_id=self.buyer.id,
            kind=StoreKind.SAME_CITY,
            status=OrderStatus.AWAITING_SHIPMENT,
            payment_method="online",
            goods_fen=goods,
            delivery_fee_fen=delivery,
            store_discount_fen=store_d,
            platform_discount_fen=platform_d,
            points_discount_fen=points_d,
            total_fen=goods + delivery - discount,
            contact_name="买家",
            contact_phone="13900000000",
            address="海口",
        )
        order.items = [
            OrderItem(
                sku_id=self.products[which].skus[0].id,
                product_name="商品",
                unit_price_fen=goods,
                quantity=1,
                line_fen=goods,
                discount_fen=discount,
                platform_discount_fen=platform_d + points_d,
            )
        ]
        db.session.add(order)
        db.session.flush()
        self.orders.append(order)
        posted = post_order_paid(order)
        assert posted == (order.total_fen > 0)
        self.expected[order.id] = order.total_fen if posted else 0

    def complete(self, pick) -> None:
        waiting = [o for o in self.orders if o.status != OrderStatus.COMPLETED]
        if not waiting:
            return
        order = waiting[pick % len(waiting)]
        order.status = OrderStatus.COMPLETED
        db.session.flush()
        post_order_completed(order)

    def refund(self, pick, percent) -> None:
        order = self._order(pick)
        if order is None:
            return
        left = order.total_fen - order.refunded_fen
        if left <= 0:
            return
        amount = max(left * percent // 100, 1)
        refund = Refund(
            no=f"R{next(_numbers):012d}",
            order_id=order.id,
            amount_fen=amount,
            method="gateway",
            status="succeeded",
        )
        db.session.add(refund)
        order.refunded_fen += amount
        db.session.flush()
        assert post_refund(refund)
        assert not post_refund(refund)  # the same refund again posts nothing
        self.expected[order.id] -= amount

    def deliver(self, pick, commission) -> None:
        order = self._order(pick)
        if order is None or order.id in self.delivered:
            return
        task = DeliveryTask(
            order_id=order.id,
            store_id=order.store_id,
            rider_id=self.rider.id,
            status=TaskStatus.DELIVERED,
            commission_fen=commission,
        )
        db.session.add(task)
        db.session.flush()
        self.delivered.add(order.id)
        assert post_task_delivered(task) == (commission > 0)

    def fine(self, who, amount) -> None:
        account_id = self._account_id(who)
        if account_id is not None:
            assert fine(self.staff, account_id, amount, "随机罚款")

    def withdraw(self, who, number, share) -> None:
        if who == 3:
            who = max(range(3), key=lambda w: self._available(self._account_id(w)))
        actor = actor_of(self.rider) if who == 2 else actor_of(self.owners[who])
        account_id = self._account_id(who)
        before = self._available(account_id)
        amount = max(before, 0) * number // 100 if share else number
        try:
            with db.session.begin_nested():
                withdrawal = request_withdrawal(actor, amount, agreed=True, payout=BANK_CARD)
        except DomainError:
            # refusals are fine, but never of a request the rules allow
            assert not (MINIMUM <= amount <= before), (amount, before)
            return
        assert MINIMUM <= amount <= before, (amount, before)
        assert self._available(account_id) == before - amount >= 0
        self.withdrawals.append(withdrawal)

    def approve(self, pick) -> None:
        self._decide(pick, "requested", lambda w: approve_withdrawal(self.staff, w))

    def reject(self, pick) -> None:
        self._decide(pick, "requested", lambda w: reject_withdrawal(self.staff, w, "随机拒绝"))

    def paid(self, pick) -> None:
        self._decide(pick, "approved", lambda w: mark_withdrawal_paid(self.staff, w, "流水"))

    # --- helpers and the invariants ---

    def _order(self, pick) -> Order | None:
        return self.orders[pick % len(self.orders)] if self.orders else None

    def _account_id(self, who) -> int | None:
        if who == 2:
            return find_account_id(AccountKind.RIDER, self.rider.id)
        return find_account_id(AccountKind.STORE, self.stores[who].id)

    def _available(self, account_id: int | None) -> int:
        if account_id is None:
            return 0
        return db.session.execute(
            select(LedgerAccount.available_fen).where(LedgerAccount.id == account_id)
        ).scalar_one()

    def _decide(self, pick, allowed_from: str, act) -> None:
        if not self.withdrawals:
            return
        withdrawal = self.withdrawals[pick % len(self.withdrawals)]
        was = withdrawal.status
        try:
            with db.session.begin_nested():
                act(withdrawal)
        except DomainError:
            db.session.refresh(withdrawal)
            assert was != allowed_from, "a legal decision was refused"
            assert withdrawal.status == was
            return
        assert was == allowed_from, "an illegal decision went through"

    def check(self) -> None:
        assert check() == ([], [])
        by_order = dict(
            db.session.execute(
                select(Entry.order_id, func.sum(Entry.amount_fen))
                .where(Entry.order_id.is_not(None))
                .group_by(Entry.order_id)
            ).all()
        )
        for order_id, expected in self.expected.items():
            assert by_order.get(order_id, 0) == expected, order_id
        everything = db.session.execute(select(func.sum(Entry.amount_fen))).scalar() or 0
        assert everything == sum(self.expected.values())
        for account in db.session.execute(select(LedgerAccount)).scalars():
            assert account.review_fen >= 0 and account.payout_fen >= 0
            assert account.withdrawn_fen >= 0
            if account.kind != AccountKind.PLATFORM:  # 不可提现: what paid orders still owe
                assert account.pending_fen >= 0, account.id


def test_random_sequences_keep_every_balance_equal_to_its_entries(app):
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(steps)
    def run(sequence):
        try:
            world = Sequence()
            for step in sequence:
                getattr(world, step[0])(*step[1:])
                db.session.expire_all()  # read what the database says, not the session
                world.check()
        finally:
            db.session.rollback()

    run()
