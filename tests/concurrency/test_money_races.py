"""Money races settled in the database (PostgreSQL): withdrawals at once never overdraw, ten
staff approving one withdrawal approve it once, and one refund announced twice at once posts
once. Each thread has its own app context, so its own session and connection."""

from __future__ import annotations

import threading
import time
from collections import Counter

import pytest
from sqlalchemy import func, select, text

from app.accounts.actor import SYSTEM
from app.accounts.models import User
from app.errors import DomainError
from app.extensions import db
from app.finance import subscribers
from app.finance.ledger import store_account_id
from app.finance.models import EntryKind, Posting, Withdrawal, WithdrawalStatus
from app.finance.reports import Balances, check
from app.finance.withdrawals import approve_withdrawal, request_withdrawal
from app.jobs import commit
from app.ordering.models import Order
from app.payments.models import Refund, RefundStatus
from app.payments.services import paid_payment
from app.payments.standins import WechatPayStandin
from app.stores.models import Store
from tests.factories import actor_of, make_buyer, make_product
from tests.support.money import (
    BANK_CARD,
    complete,
    operator,
    owned_store,
    paid_order,
    set_rules,
    store_balances,
)
from tests.unit.payments.standin_fixtures import client_deliver

pytestmark = pytest.mark.postgres

RACERS = 20


@pytest.fixture
def racing_app(app_factory):
    """A separate app whose engine pool fits the racers."""
    return app_factory(
        SQLALCHEMY_ENGINE_OPTIONS={"pool_size": RACERS + 2, "max_overflow": 5, "pool_timeout": 60}
    )


def race(app, worker, racers: int) -> Counter:
    """Run worker(i) in `racers` threads released together, each committing its own unit of
    work; count the outcomes ("won", the refusal's message code, or an error's class)."""
    barrier = threading.Barrier(racers)
    outcomes: Counter = Counter()
    lock = threading.Lock()

    def run(i: int) -> None:
        with app.app_context():
            prepared = worker(i)
            barrier.wait()
            try:
                prepared()
                commit()
                result = "won"
            except DomainError as refused:
                db.session.rollback()
                result = refused.msg.code
            except Exception as failed:  # counted, so that the assertion shows what went wrong
                db.session.rollback()
                result = type(failed).__name__
            finally:
                db.session.remove()
            with lock:
                outcomes[result] += 1

    threads = [threading.Thread(target=run, args=(i,)) for i in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcomes


def _funded_store(app) -> tuple[int, int, int, int]:
    """A store with 95 yuan withdrawable (a 100 yuan order at 5 %, paid and completed):
    its id, its owner's id, its ledger account's id and the order's id."""
    with app.app_context(), WechatPayStandin(deliver=client_deliver(app)) as wechat:
        app.config.update(wechat.settings())
        store, owner = owned_store()
        product = make_product(store, price_fen=10000)
        commit()
        order = paid_order(wechat, make_buyer(), product)
        complete(order, owner)
        assert store_balances(store) == Balances(available_fen=9500)
        ids = store.id, owner.id, store_account_id(store.id), order.id
        db.session.remove()
    return ids


def _settled(app, store_id: int) -> tuple[Balances, int, int]:
    with app.app_context():
        assert check() == ([], [])
        balances = store_balances_of(store_id)
        requests = db.session.execute(
            select(func.count(Posting.id)).where(Posting.kind == EntryKind.WITHDRAWAL_REQUEST)
        ).scalar_one()
        withdrawals = db.session.execute(select(func.count(Withdrawal.id))).scalar_one()
        db.session.remove()
    return balances, requests, withdrawals


def store_balances_of(store_id: int) -> Balances:
    return store_balances(db.session.get(Store, store_id))


def _owner_asks(owner_id: int, amount_fen: int):
    def prepare(_: int):
        owner = actor_of(db.session.get(User, owner_id))
        return lambda: request_withdrawal(owner, amount_fen, agreed=True, payout=BANK_CARD)

    return prepare


def test_twenty_requests_against_a_balance_that_covers_one_succeed_once(racing_app):
    store_id, owner_id, _, _ = _funded_store(racing_app)
    with racing_app.app_context():
        set_rules(withdraw_interval_days=0)  # only the balance stands in the way
        db.session.remove()
    outcomes = race(racing_app, _owner_asks(owner_id, 9500), RACERS)
    assert outcomes == Counter({"won": 1, "ledger_not_enough": RACERS - 1})
    balances, requests, withdrawals = _settled(racing_app, store_id)
    assert balances == Balances(review_fen=9500)
    assert (requests, withdrawals) == (1, 1)


def test_twenty_requests_for_a_quarter_each_never_overdraw(racing_app):
    store_id, owner_id, _, _ = _funded_store(racing_app)
    with racing_app.app_context():
        set_rules(withdraw_interval_days=0)
        db.session.remove()
    outcomes = race(racing_app, _owner_asks(owner_id, 2000), RACERS)
    assert outcomes == Counter({"won": 4, "ledger_not_enough": RACERS - 4})
    balances, requests, withdrawals = _settled(racing_app, store_id)
    assert balances == Balances(available_fen=1500, review_fen=8000)
    assert (requests, withdrawals) == (4, 4)


def test_twenty_requests_at_once_inside_the_window_succeed_once(racing_app):
    """The balance covers all of them, the once-per-day rule only one: each request reads the
    window after the account's row lock, so it sees the request that committed before it."""
    store_id, owner_id, _, _ = _funded_store(racing_app)
    outcomes = race(racing_app, _owner_asks(owner_id, 500), RACERS)
    assert outcomes == Counter({"won": 1, "withdraw_too_soon": RACERS - 1})
    balances, requests, withdrawals = _settled(racing_app, store_id)
    assert balances == Balances(available_fen=9000, review_fen=500)
    assert (requests, withdrawals) == (1, 1)


def test_the_same_form_submitted_ten_times_at_once_asks_once(racing_app):
    store_id, owner_id, _, _ = _funded_store(racing_app)

    def prepare(_: int):
        owner = actor_of(db.session.get(User, owner_id))
        return lambda: request_withdrawal(
            owner, 3000, agreed=True, payout=BANK_CARD, request_key="form-key-1"
        )

    outcomes = race(racing_app, prepare, 10)
    assert outcomes == Counter({"won": 10})  # the twins answer with the request made
    balances, requests, made = _settled(racing_app, store_id)
    assert balances == Balances(available_fen=6500, review_fen=3000)
    assert (requests, made) == (1, 1)


def test_ten_approvals_of_one_withdrawal_at_once_post_once(racing_app):
    store_id, owner_id, _, _ = _funded_store(racing_app)
    with racing_app.app_context():
        withdrawal = request_withdrawal(
            actor_of(db.session.get(User, owner_id)), 5000, agreed=True, payout=BANK_CARD
        )
        staff = [operator() for _ in range(10)]
        commit()
        withdrawal_id = withdrawal.id
        db.session.remove()

    def prepare(i: int):
        withdrawal = db.session.get(Withdrawal, withdrawal_id)
        assert withdrawal.status == WithdrawalStatus.REQUESTED
        return lambda: approve_withdrawal(staff[i], withdrawal)

    outcomes = race(racing_app, prepare, 10)
    assert outcomes == Counter({"won": 1, "changed_meanwhile": 9})
    with racing_app.app_context():
        approvals = db.session.execute(
            select(func.count(Posting.id)).where(
                Posting.kind == EntryKind.WITHDRAWAL_APPROVED,
                Posting.withdrawal_id == withdrawal_id,
            )
        ).scalar_one()
        assert approvals == 1
        assert db.session.get(Withdrawal, withdrawal_id).status == WithdrawalStatus.APPROVED
        assert store_balances_of(store_id) == Balances(available_fen=4500, payout_fen=5000)
        assert check() == ([], [])
        db.session.remove()


def test_one_refund_announced_twice_at_once_posts_once(racing_app):
    """The money domain hears the same refund_completed twice at the same moment (a job
    delivered twice, a replayed callback): the posting's unique key lets one through."""
    store_id, _, _, order_id = _funded_store(racing_app)
    with racing_app.app_context():
        order = db.session.get(Order, order_id)
        refund = Refund(
            no="RRACE0000000001",
            order_id=order_id,
            payment_id=paid_payment(order).id,
            amount_fen=4000,
            method="gateway",
            status=RefundStatus.SUCCEEDED,
        )
        db.session.add(refund)
        commit()
        refund_id = refund.id
        db.session.remove()

    def prepare(_: int):
        refund = db.session.get(Refund, refund_id)
        return lambda: subscribers._refund_completed(refund, actor=SYSTEM)

    for racers in (2, 10):
        outcomes = race(racing_app, prepare, racers)
        assert outcomes == Counter({"won": racers})  # the twins are no error: they post nothing
        with racing_app.app_context():
            postings = db.session.execute(
                select(Posting.kind).where(Posting.refund_id == refund_id).order_by(Posting.id)
            ).scalars()
            # no platform coupon on this order: nothing of it to give back, no empty posting
            assert list(postings) == [EntryKind.REFUND, EntryKind.COMMISSION_REVERSAL]
            # 95 − 40 + 2 (the commission on the refunded 40 comes back)
            assert store_balances_of(store_id) == Balances(available_fen=9500 - 4000 + 200)
            assert check() == ([], [])
            db.session.remove()


def _waiting_for_a_lock(app) -> bool:
    with app.app_context():
        waiting = db.session.execute(
            text(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
        ).scalar_one()
        db.session.remove()
    return waiting > 0


def test_two_refunds_of_one_order_completing_at_once_still_reverse_exactly(racing_app):
    """Two halves of a 95 yuan order (commission 4.75) are confirmed at the same moment (two
    refund jobs on two workers): the second is read while the first is posted, not committed.
    Together they must give back exactly the 4.75, as one after the other does."""
    app = racing_app
    with app.app_context(), WechatPayStandin(deliver=client_deliver(app)) as wechat:
        app.config.update(wechat.settings())
        store, _ = owned_store()
        product = make_product(store, price_fen=9500)
        commit()
        order = paid_order(wechat, make_buyer(), product)
        payment_id = paid_payment(order).id
        halves = []
        for n in (1, 2):
            refund = Refund(
                no=f"RHALF000000000{n}",
                order_id=order.id,
                payment_id=payment_id,
                amount_fen=4750,
                method="gateway",
                status=RefundStatus.SUCCEEDED,
            )
            db.session.add(refund)
            db.session.flush()
            halves.append(refund.id)
        commit()
        store_id = store.id
        db.session.remove()
    first_posted, commit_first = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def confirm(refund_id: int, before=None, after=None) -> None:
        with app.app_context():
            try:
                if before is not None:
                    assert before.wait(30)
                subscribers._refund_completed(db.session.get(Refund, refund_id), actor=SYSTEM)
                if after is not None:
                    after.set()
                    assert commit_first.wait(30)
                commit()
            except BaseException as exc:
                errors.append(exc)
                db.session.rollback()
            finally:
                db.session.remove()

    threads = [
        threading.Thread(target=confirm, args=(halves[0], None, first_posted)),
        threading.Thread(target=confirm, args=(halves[1], first_posted)),
    ]
    for thread in threads:
        thread.start()
    assert first_posted.wait(30)
    for _ in range(300):  # the second has read the ledger and waits for the first's row lock
        if _waiting_for_a_lock(app):
            break
        time.sleep(0.01)
    commit_first.set()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    with app.app_context():
        assert check() == ([], [])
        assert store_balances_of(store_id) == Balances()  # fails: 0.01 left with the store
        db.session.remove()
