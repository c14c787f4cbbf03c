"""Withdrawals (SPEC §9, seed 004): a store's owner asks, the platform approves or rejects, pays
offline and marks paid. Every rule refuses with its message and posts nothing."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.accounts.models import Role
from app.clock import local_today, travel
from app.errors import Forbidden, IllegalTransition, InvalidInput
from app.extensions import db
from app.finance import withdrawals
from app.finance.ledger import NOT_ENOUGH, NotEnoughMoney
from app.finance.models import LedgerAccount, Posting, Withdrawal, WithdrawalStatus
from app.finance.reports import Balances, check
from app.finance.withdrawals import (
    BAD_ALIPAY,
    BAD_BANK,
    BAD_CARD,
    BAD_HOLDER,
    BAD_METHOD,
    BAD_WECHAT,
    BELOW_MINIMUM,
    MUST_AGREE,
    NEGATIVE_BALANCE,
    NO_PAYOUT_ACCOUNT,
    NOT_YOURS,
    REASON_NEEDED,
    REFERENCE_NEEDED,
    TOO_SOON,
    WITHDRAWALS_OFF,
    PayoutAccount,
    approve_withdrawal,
    change_payout_account,
    clean_payout_account,
    mark_withdrawal_paid,
    next_withdrawal_date,
    reject_withdrawal,
    request_withdrawal,
    withdrawal_visible_to,
)
from app.jobs import commit
from app.statemachine import CHANGED_MEANWHILE, MOVE_NOT_ALLOWED
from tests.factories import actor_of, make_buyer, make_product, make_user
from tests.support.money import (
    BANK_CARD,
    complete,
    ledger_counts,
    operator,
    owned_store,
    paid_order,
    refund,
    refused,
    set_rules,
    store_balances,
)
from tests.unit.payments import standin_fixtures

wechat = standin_fixtures.wechat  # fixture

W = WithdrawalStatus


@pytest.fixture
def funded(app, wechat):
    """A store whose completed order left it 95 yuan withdrawable (100 yuan at 5 %)."""
    store, owner = owned_store()
    product = make_product(store, price_fen=10000)
    commit()
    order = paid_order(wechat, make_buyer(), product)
    complete(order, owner)
    assert store_balances(store) == Balances(available_fen=9500)
    return store, owner, order


def _ask(owner, amount_fen: int, payout: PayoutAccount | None = BANK_CARD) -> Withdrawal:
    withdrawal = request_withdrawal(actor_of(owner), amount_fen, agreed=True, payout=payout)
    commit()
    return withdrawal


# --- the happy paths -------------------------------------------------------------------------------


def test_request_approve_and_mark_paid_move_the_money_through_the_balances(funded):
    store, owner, _ = funded
    staff = operator()
    postings = ledger_counts()[0]
    withdrawal = _ask(owner, 5000)
    assert withdrawal.status == W.REQUESTED and withdrawal.no.startswith("TX")
    assert store_balances(store) == Balances(available_fen=4500, review_fen=5000)
    approve_withdrawal(staff, withdrawal)
    commit()
    assert withdrawal.status == W.APPROVED
    assert store_balances(store) == Balances(available_fen=4500, payout_fen=5000)
    mark_withdrawal_paid(staff, withdrawal, " 工行流水 889900 ")
    commit()
    assert (withdrawal.status, withdrawal.reference) == (W.PAID, "工行流水 889900")
    assert withdrawal.paid_by == staff.user_id and withdrawal.paid_at is not None
    assert store_balances(store) == Balances(available_fen=4500, withdrawn_fen=5000)
    assert ledger_counts()[0] == postings + 3  # requested, approved, paid
    assert check() == ([], [])


def test_the_first_request_keeps_the_account_and_later_ones_reuse_it(funded):
    store, owner, _ = funded
    first = _ask(owner, 1000)
    assert (first.method, first.account_name, first.account_no, first.bank) == (
        "bank",
        "王老板",
        "6222020200112233445",
        "工商银行",
    )
    stored = db.session.get(LedgerAccount, first.account_id)
    assert (stored.payout_method, stored.payout_account) == ("bank", "6222020200112233445")
    assert stored.agreement_accepted_at is not None  # the agreement, accepted with the request
    reject_withdrawal(operator(), first, "测试")
    commit()
    alipay = clean_payout_account("alipay", "王老板", "13912345678")
    second = _ask(owner, 1000, payout=alipay)  # the stored account stays: change it in 资料
    assert second.method == "bank"
    change_payout_account(actor_of(owner), alipay)
    commit()
    reject_withdrawal(operator(), second, "测试")
    third = _ask(owner, 1000, payout=None)
    assert (third.method, third.account_no) == ("alipay", "13912345678")
    db.session.refresh(first)
    assert first.method == "bank"  # a request keeps the account it was made with


def test_reject_returns_the_money_to_withdrawable_with_the_reason(funded):
    store, owner, _ = funded
    withdrawal = _ask(owner, 5000)
    reject_withdrawal(operator(), withdrawal, "收款账户户名不符")
    commit()
    assert (withdrawal.status, withdrawal.reject_reason) == (W.REJECTED, "收款账户户名不符")
    assert store_balances(store) == Balances(available_fen=9500)
    assert check() == ([], [])
    # a rejected request does not count for the once-per-N-days rule
    _ask(owner, 9500)
    assert store_balances(store) == Balances(review_fen=9500)


def test_the_same_form_submitted_twice_asks_once(funded):
    store, owner, _ = funded
    set_rules(withdraw_interval_days=0)
    ask = actor_of(owner)
    first = request_withdrawal(ask, 3000, agreed=True, payout=BANK_CARD, request_key="k1")
    commit()
    postings = ledger_counts()
    again = request_withdrawal(ask, 3000, agreed=True, payout=BANK_CARD, request_key="k1")
    commit()
    assert again.id == first.id and ledger_counts() == postings
    assert store_balances(store) == Balances(available_fen=6500, review_fen=3000)
    other = request_withdrawal(ask, 3000, agreed=True, request_key="k2")  # another form
    commit()
    assert other.id != first.id
    assert store_balances(store) == Balances(available_fen=3500, review_fen=6000)
    requests = db.session.execute(
        select(func.count(Posting.id)).where(Posting.withdrawal_id.in_([first.id, other.id]))
    ).scalar_one()
    assert requests == 2


def test_the_whole_withdrawable_balance_can_be_withdrawn(funded):
    store, owner, _ = funded
    _ask(owner, 9500)
    assert store_balances(store) == Balances(review_fen=9500)


# --- refusals: nothing posted ----------------------------------------------------------------------


def test_below_the_minimum_is_refused(funded):
    _, owner, _ = funded
    with refused(BELOW_MINIMUM(minimum="￥5.00"), InvalidInput) as caught:
        request_withdrawal(actor_of(owner), 499, agreed=True, payout=BANK_CARD)
    assert "￥5.00" in caught.value.message
    set_rules(withdraw_min_fen=2000)
    with refused(BELOW_MINIMUM(minimum="￥20.00"), InvalidInput):
        request_withdrawal(actor_of(owner), 1999, agreed=True, payout=BANK_CARD)
    with refused(BELOW_MINIMUM(minimum="￥20.00"), InvalidInput):
        request_withdrawal(actor_of(owner), -5000, agreed=True, payout=BANK_CARD)


def test_above_withdrawable_is_refused(funded):
    _, owner, _ = funded
    with refused(NOT_ENOUGH(available="￥95.00", amount="￥95.01"), NotEnoughMoney) as caught:
        request_withdrawal(actor_of(owner), 9501, agreed=True, payout=BANK_CARD)
    assert "￥95.00" in caught.value.message


def test_money_not_yet_withdrawable_cannot_be_withdrawn(app, wechat):
    store, owner = owned_store()
    product = make_product(store, price_fen=10000)
    commit()
    paid_order(wechat, make_buyer(), product)  # paid, not completed: 不可提现
    assert store_balances(store).pending_fen == 9500
    with refused(NOT_ENOUGH(available="￥0.00", amount="￥50.00"), NotEnoughMoney):
        request_withdrawal(actor_of(owner), 5000, agreed=True, payout=BANK_CARD)


def test_once_per_n_days_counts_from_the_last_withdrawal(funded):
    store, owner, _ = funded
    set_rules(withdraw_interval_days=5)
    staff = operator()
    day_one = local_today()
    withdrawal = _ask(owner, 2000)
    approve_withdrawal(staff, withdrawal)
    mark_withdrawal_paid(staff, withdrawal, "流水 1")
    commit()  # paid out on day 1
    sixth = day_one + timedelta(days=5)
    assert next_withdrawal_date(withdrawal.account_id) == sixth
    with travel(timedelta(days=4)):  # day 5
        expected = TOO_SOON(days=5, date=sixth.isoformat())
        with refused(expected, IllegalTransition) as caught:
            request_withdrawal(actor_of(owner), 2000, agreed=True)
        assert sixth.isoformat() in caught.value.message
    with travel(timedelta(days=5)):  # day 6
        assert next_withdrawal_date(withdrawal.account_id) is None
        _ask(owner, 2000, payout=None)
    assert store_balances(store) == Balances(
        available_fen=5500, review_fen=2000, withdrawn_fen=2000
    )
    assert check() == ([], [])


def test_without_accepting_the_agreement_is_refused(funded):
    _, owner, _ = funded
    with refused(MUST_AGREE(), InvalidInput):
        request_withdrawal(actor_of(owner), 1000, agreed=False, payout=BANK_CARD)


def test_the_first_request_without_an_account_is_refused(funded):
    _, owner, _ = funded
    with refused(NO_PAYOUT_ACCOUNT(), InvalidInput):
        request_withdrawal(actor_of(owner), 1000, agreed=True, payout=None)


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        (("bank", "王老板", "6222 0202 0011", ""), BAD_BANK),
        (("bank", "王老板", "12345678901", "工商银行"), BAD_CARD),  # 11 digits
        (("bank", "王老板", "62220202001122334455", "工商银行"), BAD_CARD),  # 20 digits
        (("bank", "王老板", "6222O20200112233", "工商银行"), BAD_CARD),  # a letter O
        (("bank", "王老板", "６２２２０２０２００１１２２", "工商银行"), BAD_CARD),  # full-width
        (("alipay", "王老板", "wang", ""), BAD_ALIPAY),
        (("alipay", "王老板", "12912345678", ""), BAD_ALIPAY),  # no such mobile prefix
        (("wechat", "王老板", "1abcdef", ""), BAD_WECHAT),
        (("wechat", "王老板", "wx", ""), BAD_WECHAT),
        (("wechat", "王老板", "wang laoban", ""), BAD_WECHAT),
        (("bank", "", "6222020200112233445", "工商银行"), BAD_HOLDER),
        (("alipay", "   ", "13912345678", ""), BAD_HOLDER),
        (("wechat", "王", "wang_laoban", ""), BAD_HOLDER),
        (("wechat", "<b>王老板</b>", "wang_laoban", ""), BAD_HOLDER),
        (("paypal", "王老板", "wang@example.com", ""), BAD_METHOD),
    ],
)
def test_a_malformed_payout_account_is_refused(funded, fields, expected):
    with refused(expected(), InvalidInput):
        clean_payout_account(*fields)


def test_well_formed_payout_accounts_are_cleaned(app):
    card = clean_payout_account("bank", " 王老板 ", "6222-0202 0011 2233", " 建设银行 ")
    assert card == PayoutAccount("bank", "王老板", "6222020200112233", "建设银行")
    assert clean_payout_account("alipay", "王老板", "wang@example.com", "x").bank == ""
    assert clean_payout_account("alipay", "王老板", "13912345678").account == "13912345678"
    assert clean_payout_account("wechat", "王老板", "wang_laoban-1").account == "wang_laoban-1"
    assert clean_payout_account("wechat", "王老板", "13912345678").method == "wechat"


def test_withdrawals_switched_off_are_refused(funded):
    _, owner, _ = funded
    set_rules(withdrawals_enabled=False)
    with refused(WITHDRAWALS_OFF(), IllegalTransition):
        request_withdrawal(actor_of(owner), 1000, agreed=True, payout=BANK_CARD)


def test_a_clerk_may_not_withdraw_or_change_the_account(funded):
    store, _, _ = funded
    clerk = make_user(Role.STORE_STAFF, store=store, name="店员小李")
    commit()
    with refused(NOT_YOURS(), Forbidden):
        request_withdrawal(actor_of(clerk), 1000, agreed=True, payout=BANK_CARD)
    with refused(NOT_YOURS(), Forbidden):
        change_payout_account(actor_of(clerk), BANK_CARD)
    buyer = make_buyer()
    commit()
    with refused(NOT_YOURS(), Forbidden):
        request_withdrawal(actor_of(buyer), 1000, agreed=True, payout=BANK_CARD)


def test_a_negative_balance_blocks_withdrawals_and_says_why(funded):
    store, owner, order = funded
    _ask(owner, 9000)
    refund(order, 10000)  # the buyer returned everything after completion
    assert store_balances(store).available_fen == -9000
    expected = NEGATIVE_BALANCE(balance="-￥90.00")
    with refused(expected, IllegalTransition) as caught:
        request_withdrawal(actor_of(owner), 500, agreed=True)
    assert "-￥90.00" in caught.value.message


def test_approving_twice_is_refused_the_second_time(funded):
    _, owner, _ = funded
    withdrawal = _ask(owner, 5000)
    staff = operator()
    approve_withdrawal(staff, withdrawal)
    commit()
    with refused(MOVE_NOT_ALLOWED(current="待打款", to="待打款"), IllegalTransition):
        approve_withdrawal(staff, withdrawal)
    # a stale copy (another tab still showing 待审核): the compare-and-set says it changed
    stale = db.session.get(Withdrawal, withdrawal.id)
    db.session.expunge(stale)
    stale.status = W.REQUESTED
    with refused(CHANGED_MEANWHILE(), IllegalTransition):
        approve_withdrawal(staff, stale)


def test_marking_paid_twice_is_refused_the_second_time(funded):
    _, owner, _ = funded
    withdrawal = _ask(owner, 5000)
    staff = operator()
    with refused(MOVE_NOT_ALLOWED(current="待审核", to="已打款"), IllegalTransition):
        mark_withdrawal_paid(staff, withdrawal, "流水 1")  # not approved yet
    approve_withdrawal(staff, withdrawal)
    mark_withdrawal_paid(staff, withdrawal, "流水 1")
    commit()
    with refused(MOVE_NOT_ALLOWED(current="已打款", to="已打款"), IllegalTransition):
        mark_withdrawal_paid(staff, withdrawal, "流水 2")
    with refused(MOVE_NOT_ALLOWED(current="已打款", to="已拒绝"), IllegalTransition):
        reject_withdrawal(staff, withdrawal, "晚了")
    assert withdrawal.reference == "流水 1"


def test_reject_needs_a_reason_and_mark_paid_a_reference(funded):
    _, owner, _ = funded
    withdrawal = _ask(owner, 5000)
    staff = operator()
    for reason in ("", "   ", None):
        with refused(REASON_NEEDED(), InvalidInput):
            reject_withdrawal(staff, withdrawal, reason)
    approve_withdrawal(staff, withdrawal)
    commit()
    with refused(MOVE_NOT_ALLOWED(current="待打款", to="已拒绝"), IllegalTransition):
        reject_withdrawal(staff, withdrawal, "已经通过了")
    for reference in ("", "  "):
        with refused(REFERENCE_NEEDED(), InvalidInput):
            mark_withdrawal_paid(staff, withdrawal, reference)


def test_only_operators_decide(funded):
    store, owner, _ = funded
    withdrawal = _ask(owner, 5000)
    service = actor_of(make_user(Role.SERVICE, name="李客服"))
    commit()
    for act in (
        lambda: approve_withdrawal(service, withdrawal),
        lambda: reject_withdrawal(service, withdrawal, "不行"),
        lambda: approve_withdrawal(actor_of(owner), withdrawal),
    ):
        with pytest.raises(Forbidden):
            act()
        db.session.rollback()
    assert withdrawal.status == W.REQUESTED
    assert store_balances(store) == Balances(available_fen=4500, review_fen=5000)


def test_each_store_sees_only_its_own_withdrawals(funded, wechat):
    store, owner, _ = funded
    withdrawal = _ask(owner, 5000)
    _, other_owner = owned_store()
    clerk = make_user(Role.STORE_STAFF, store=store)
    rider = make_user(Role.RIDER)
    commit()
    assert withdrawal_visible_to(actor_of(other_owner), withdrawal.id) is None
    assert withdrawal_visible_to(actor_of(rider), withdrawal.id) is None
    assert withdrawal_visible_to(actor_of(owner), withdrawal.id) == withdrawal
    assert withdrawal_visible_to(actor_of(clerk), withdrawal.id) == withdrawal  # sees, not asks
    assert withdrawal_visible_to(operator(), withdrawal.id) == withdrawal


def test_two_stores_withdrawing_in_the_same_second_both_succeed(funded, wechat, monkeypatch):
    """Numbers are unique whatever the second (they once were the second + 4 random digits,
    which two requests in the same second could share: an IntegrityError)."""
    monkeypatch.setattr(withdrawals, "utcnow", lambda: datetime(2026, 12, 1, 2, 0, 0))
    first_store, first_owner, _ = funded
    second_store, second_owner = owned_store()
    product = make_product(second_store, price_fen=10000)
    commit()
    complete(paid_order(wechat, make_buyer(), product), second_owner)
    first, second = _ask(first_owner, 5000), _ask(second_owner, 5000)
    assert first.no != second.no
    assert first.no.startswith("TX20261201100000") and second.no.startswith("TX20261201100000")
    assert store_balances(first_store).review_fen == store_balances(second_store).review_fen
