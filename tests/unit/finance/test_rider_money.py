"""A rider's money: the platform pays the store's rider commission for each delivered task,
待结算 until the order completes, then withdrawable under the stores' rules."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.accounts.models import Role
from app.clock import local_today
from app.delivery.models import DeliveryTask
from app.delivery.services import grab_task, ship_with_assistant
from app.errors import IllegalTransition, InvalidInput
from app.extensions import db
from app.finance.ledger import find_account_id
from app.finance.models import AccountKind, Bucket, Entry, EntryKind, WithdrawalStatus
from app.finance.reports import Balances, check, kind_total
from app.finance.withdrawals import (
    BELOW_MINIMUM,
    TOO_SOON,
    approve_withdrawal,
    clean_payout_account,
    mark_withdrawal_paid,
    request_withdrawal,
)
from app.jobs import commit
from app.ordering.services import move_order
from app.ordering.states import OrderStatus
from tests.factories import actor_of, make_buyer, make_product, make_user, place_order
from tests.support.money import (
    deliver,
    operator,
    order_total,
    owned_store,
    paid_order,
    platform_balances,
    refused,
    rider_balances,
    set_rules,
    store_balances,
)
from tests.unit.payments import standin_fixtures

wechat = standin_fixtures.wechat  # fixture

WECHAT_ID = clean_payout_account("wechat", "赵骑手", "zhao_rider")


def _rider_entries(rider) -> list[tuple[str, str, int]]:
    account = find_account_id(AccountKind.RIDER, rider.id)
    return [
        (e.kind, e.bucket, e.amount_fen)
        for e in db.session.execute(
            select(Entry).where(Entry.account_id == account).order_by(Entry.id)
        ).scalars()
    ]


def test_a_delivered_task_pays_the_rider_from_the_platform_and_settles_on_completion(app, wechat):
    store, owner = owned_store(rider_commission_fen=600)
    product = make_product(store, price_fen=3000)
    rider = make_user(Role.RIDER, name="赵骑手")
    commit()
    order = paid_order(wechat, make_buyer(), product)
    assert rider_balances(rider) == Balances()
    task = deliver(order, owner, rider)  # 送达 completes the order
    db.session.expire_all()
    assert order.status == OrderStatus.COMPLETED
    # posted as 待结算 when delivered, moved to 可提现 when the order completed
    assert _rider_entries(rider) == [
        (EntryKind.DELIVERY_COMMISSION, Bucket.PENDING, 600),
        (EntryKind.SETTLEMENT, Bucket.PENDING, -600),
        (EntryKind.SETTLEMENT, Bucket.AVAILABLE, 600),
    ]
    assert rider_balances(rider) == Balances(available_fen=600)
    account = find_account_id(AccountKind.RIDER, rider.id)
    assert kind_total(account, EntryKind.DELIVERY_COMMISSION) == 600  # 累计收入
    # the platform pays it: its commission (150) less the rider's 600
    assert platform_balances() == Balances(available_fen=150 - 600)
    assert store_balances(store) == Balances(available_fen=2850)
    # the order's entries still sum to what the buyer paid
    assert order_total(order.id) == 3000
    assert task.commission_fen == 600
    assert check() == ([], [])


def test_a_cash_on_delivery_order_still_pays_its_rider(app):
    store, owner = owned_store(rider_commission_fen=500)
    order = place_order(make_buyer(), make_product(store, price_fen=3000))
    rider = make_user(Role.RIDER)
    commit()
    deliver(order, owner, rider)
    assert rider_balances(rider) == Balances(available_fen=500)
    assert store_balances(store) == Balances()  # the cash never passed the platform
    assert platform_balances() == Balances(available_fen=-500)
    assert check() == ([], [])


def test_a_task_ended_by_the_platform_completing_the_order_pays_the_rider_once(app, wechat):
    store, owner = owned_store(rider_commission_fen=600)
    product = make_product(store, price_fen=3000)
    rider = make_user(Role.RIDER)
    commit()
    order = paid_order(wechat, make_buyer(), product)
    task = ship_with_assistant(order, actor_of(owner))
    commit()
    grab_task(db.session.get(DeliveryTask, task.id), actor_of(rider))
    commit()
    move_order(order, OrderStatus.COMPLETED, operator())  # the platform completes it first
    commit()
    assert rider_balances(rider) == Balances(available_fen=600)
    assert [k for k, _, _ in _rider_entries(rider)].count(EntryKind.DELIVERY_COMMISSION) == 1
    assert check() == ([], [])


def test_the_rider_withdraws_under_the_same_rules(app, wechat):
    store, owner = owned_store(rider_commission_fen=600)
    product = make_product(store, price_fen=3000)
    rider = make_user(Role.RIDER, name="赵骑手")
    staff = operator()
    set_rules(withdraw_interval_days=5)
    for _ in range(2):
        deliver(paid_order(wechat, make_buyer(), product), owner, rider)
    assert rider_balances(rider) == Balances(available_fen=1200)
    with refused(BELOW_MINIMUM(minimum="￥5.00"), InvalidInput):
        request_withdrawal(actor_of(rider), 400, agreed=True, payout=WECHAT_ID)
    withdrawal = request_withdrawal(actor_of(rider), 1000, agreed=True, payout=WECHAT_ID)
    commit()
    assert (withdrawal.method, withdrawal.account_no) == ("wechat", "zhao_rider")
    approve_withdrawal(staff, withdrawal)
    mark_withdrawal_paid(staff, withdrawal, "微信转账 7788")
    commit()
    assert withdrawal.status == WithdrawalStatus.PAID
    assert rider_balances(rider) == Balances(available_fen=200, withdrawn_fen=1000)
    due = (local_today() + timedelta(days=5)).isoformat()
    deliver(paid_order(wechat, make_buyer(), product), owner, rider)
    with refused(TOO_SOON(days=5, date=due), IllegalTransition):
        request_withdrawal(actor_of(rider), 800, agreed=True)
    assert check() == ([], [])
