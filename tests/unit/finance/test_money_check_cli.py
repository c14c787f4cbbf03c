"""`flask money check` recomputes every balance from the entries: silent success after a real
sequence of payments, refunds, fines and withdrawals; a corrupted balance is named, exit 1."""

from __future__ import annotations

from sqlalchemy import text

from app.accounts.models import Role
from app.extensions import db
from app.finance.adjustments import fine
from app.finance.ledger import store_account_id
from app.finance.withdrawals import (
    approve_withdrawal,
    mark_withdrawal_paid,
    reject_withdrawal,
    request_withdrawal,
)
from app.jobs import commit
from tests.factories import actor_of, make_buyer, make_product, make_user
from tests.support.money import (
    BANK_CARD,
    complete,
    deliver,
    operator,
    owned_store,
    paid_order,
    refund,
    store_balances,
)
from tests.unit.payments import standin_fixtures

wechat = standin_fixtures.wechat  # fixture


def _money_check(app):
    return app.test_cli_runner().invoke(args=["money", "check"])


def _a_month_of_business(wechat):
    store, owner = owned_store(delivery_fee_fen=300, rider_commission_fen=500)
    product = make_product(store, price_fen=4200)
    rider = make_user(Role.RIDER)
    staff = operator()
    first = paid_order(wechat, make_buyer(), product, 2)
    complete(first, owner)
    second = paid_order(wechat, make_buyer(), product)
    refund(second, 1000)  # before completion
    deliver(second, owner, rider)
    refund(first, 4200)  # after completion
    unfinished = paid_order(wechat, make_buyer(), product, 3)
    refund(unfinished, 1)
    fine(staff, store_account_id(store.id), 300, "迟发货")
    paid_out = request_withdrawal(actor_of(owner), 2000, agreed=True, payout=BANK_CARD)
    approve_withdrawal(staff, paid_out)
    mark_withdrawal_paid(staff, paid_out, "流水 1")
    commit()
    with_rule_off = request_withdrawal(actor_of(rider), 500, agreed=True, payout=BANK_CARD)
    reject_withdrawal(staff, with_rule_off, "账户不符")
    commit()
    return store


def test_money_check_finds_no_difference_after_a_real_sequence(app, wechat):
    store = _a_month_of_business(wechat)
    assert store_balances(store).withdrawn_fen == 2000
    result = _money_check(app)
    assert result.exit_code == 0, result.output
    assert "no difference" in result.output
    assert not [
        line for line in result.output.splitlines() if line.startswith(("account ", "order "))
    ]


def test_money_check_reports_a_corrupted_balance_and_fails(app, wechat):
    store = _a_month_of_business(wechat)
    account = store_account_id(store.id)
    cached = store_balances(store).available_fen
    db.session.execute(
        text("UPDATE ledger_accounts SET available_fen = available_fen + 1 WHERE id = :id"),
        {"id": account},
    )
    commit()
    result = _money_check(app)
    assert result.exit_code == 1
    assert f"account {account} available" in result.output
    assert f"balance ￥{(cached + 1) / 100:,.2f}" in result.output
    assert f"entries ￥{cached / 100:,.2f}" in result.output
    assert "1 balance and 0 order differences" in result.output
