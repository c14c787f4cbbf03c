"""Fines and adjustments by the platform's operators, always with a reason the store sees."""

from __future__ import annotations

import pytest

from app.accounts.models import Role
from app.errors import Forbidden, IllegalTransition, InvalidInput
from app.extensions import db
from app.finance.adjustments import (
    AMOUNT_NONZERO,
    AMOUNT_POSITIVE,
    NO_SUCH_ACCOUNT,
    ONLY_OPERATOR,
    REASON_REQUIRED,
    adjust,
    fine,
)
from app.finance.ledger import find_account_id, store_account_id
from app.finance.models import AccountKind, EntryKind
from app.finance.reports import Balances, account_entries, check
from app.finance.withdrawals import NEGATIVE_BALANCE, request_withdrawal
from app.jobs import commit
from tests.factories import actor_of, make_buyer, make_product, make_user
from tests.support.money import (
    BANK_CARD,
    complete,
    operator,
    owned_store,
    paid_order,
    platform_balances,
    refused,
    store_balances,
)
from tests.unit.payments import standin_fixtures

wechat = standin_fixtures.wechat  # fixture


@pytest.fixture
def funded(app, wechat):
    store, owner = owned_store()
    product = make_product(store, price_fen=10000)
    commit()
    complete(paid_order(wechat, make_buyer(), product), owner)
    assert store_balances(store) == Balances(available_fen=9500)
    assert platform_balances() == Balances(available_fen=500)
    return store, owner, store_account_id(store.id)


def test_a_fine_lowers_withdrawable_raises_the_platform_and_shows_its_reason(funded):
    store, _, account = funded
    staff = operator()
    assert fine(staff, account, 2000, "  虚假发货  ", request_key="form-1")
    commit()
    assert store_balances(store) == Balances(available_fen=7500)
    assert platform_balances() == Balances(available_fen=2500)
    [(entry, remark, actor_name, _)] = db.session.execute(
        account_entries(account, kind=EntryKind.FINE)
    ).all()
    assert (entry.amount_fen, remark, actor_name) == (-2000, "虚假发货", "张运营")
    # the same form submitted twice fines once
    assert not fine(staff, account, 2000, "虚假发货", request_key="form-1")
    commit()
    assert store_balances(store).available_fen == 7500
    assert check() == ([], [])


def test_a_fine_may_make_withdrawable_negative_and_then_blocks_withdrawals(funded):
    store, owner, account = funded
    fine(operator(), account, 12000, "售假，平台先行赔付")
    commit()
    assert store_balances(store).available_fen == -2500
    assert platform_balances().available_fen == 12500
    with refused(NEGATIVE_BALANCE(balance="-￥25.00"), IllegalTransition):
        request_withdrawal(actor_of(owner), 1000, agreed=True, payout=BANK_CARD)
    assert check() == ([], [])


def test_a_fine_without_a_reason_or_amount_is_refused(funded):
    _, _, account = funded
    staff = operator()
    for reason in ("", "   ", None):
        with refused(REASON_REQUIRED(), InvalidInput):
            fine(staff, account, 1000, reason)
    for amount in (0, -100):
        with refused(AMOUNT_POSITIVE(), InvalidInput):
            fine(staff, account, amount, "迟发货")
    with refused(NO_SUCH_ACCOUNT(), InvalidInput):
        fine(staff, find_account_id(AccountKind.PLATFORM), 1000, "迟发货")
    with refused(NO_SUCH_ACCOUNT(), InvalidInput):
        fine(staff, 987654, 1000, "迟发货")


def test_customer_service_and_stores_may_not_fine(funded):
    store, owner, account = funded
    service = actor_of(make_user(Role.SERVICE, name="李客服"))
    commit()
    for actor in (service, actor_of(owner)):
        with refused(ONLY_OPERATOR(), Forbidden):
            fine(actor, account, 1000, "迟发货")
        with refused(ONLY_OPERATOR(), Forbidden):
            adjust(actor, account, 1000, "补偿")


def test_an_adjustment_moves_money_either_way_against_the_platform(funded):
    store, _, account = funded
    staff = operator()
    adjust(staff, account, 300, "补贴运费")
    adjust(staff, account, -100, "多补了")
    commit()
    assert store_balances(store).available_fen == 9700
    assert platform_balances().available_fen == 300
    with refused(AMOUNT_NONZERO(), InvalidInput):
        adjust(staff, account, 0, "无")
    with refused(REASON_REQUIRED(), InvalidInput):
        adjust(staff, account, 100, " ")
    rows = db.session.execute(account_entries(account, kind=EntryKind.ADJUSTMENT)).all()
    assert [(row.Entry.amount_fen, row.remark) for row in rows] == [
        (-100, "多补了"),
        (300, "补贴运费"),
    ]
    assert check() == ([], [])
