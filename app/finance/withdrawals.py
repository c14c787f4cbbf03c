"""Withdrawals (SPEC §9, seed 004): a store or a rider asks, the platform approves or rejects,
pays offline, then marks paid with the transfer's reference.

    request   可提现 → 审核中   (guarded: never more than 可提现 holds, in one UPDATE)
    approve   审核中 → 待打款
    reject    审核中 → 可提现   (with a reason)
    mark paid 待打款 → 已提现   (with a reference)

Each step is a compare-and-set on the withdrawal's status and a posting keyed by the withdrawal
and step, so a double tap or two staff at once act once.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select

from app.accounts.actor import Actor
from app.accounts.models import Role
from app.clock import to_local, utcnow
from app.errors import Forbidden, IllegalTransition, InvalidInput
from app.extensions import db
from app.finance.ledger import (
    NOT_ENOUGH,
    Line,
    NotEnoughMoney,
    account_id_for,
    find_account_id,
    post,
)
from app.finance.models import (
    PAYOUT_METHOD_LABELS,
    WITHDRAWAL_STATUS_LABELS,
    AccountKind,
    Bucket,
    EntryKind,
    LedgerAccount,
    PayoutMethod,
    Withdrawal,
    WithdrawalStatus,
)
from app.finance.settings import finance_settings
from app.i18n_markers import N_
from app.messages import define
from app.money import format_fen
from app.statemachine import Machine, moves
from app.stores.models import Store
from app.stores.staff import is_owner
from app.upsert import upsert_into

W = WithdrawalStatus
STAFF = (Role.OPERATOR,)
WITHDRAWAL_MACHINE = Machine(
    name="withdrawal",
    labels=WITHDRAWAL_STATUS_LABELS,
    moves=moves(
        (W.REQUESTED, W.APPROVED, N_("通过"), STAFF),
        (W.REQUESTED, W.REJECTED, N_("拒绝"), STAFF),
        (W.APPROVED, W.PAID, N_("确认打款"), STAFF),
    ),
    terminal=frozenset({W.REJECTED, W.PAID}),
)

WITHDRAWALS_OFF = define("withdrawals_off", N_("平台暂未开放提现"))
MUST_AGREE = define("withdraw_must_agree", N_("请先阅读并同意提现协议"))
BELOW_MINIMUM = define("withdraw_below_min", N_("单笔提现金额不得低于 %(minimum)s"))
NEGATIVE_BALANCE = define(
    "withdraw_negative", N_("可提现余额为 %(balance)s（退款或罚款扣回），补足前不能提现")
)
TOO_SOON = define("withdraw_too_soon", N_("%(days)s 天内只能提现一次，下次可提现日期：%(date)s"))
NO_PAYOUT_ACCOUNT = define("payout_account_missing", N_("首次提现请填写收款账户"))
BAD_METHOD = define("payout_bad_method", N_("请选择提现方式：银行卡、支付宝或微信"))
BAD_HOLDER = define("payout_bad_holder", N_("请填写收款人姓名（2–30 个字）"))
BAD_CARD = define("payout_bad_card", N_("银行卡号应为 12–19 位数字"))
BAD_BANK = define("payout_bad_bank", N_("请填写开户银行"))
BAD_ALIPAY = define("payout_bad_alipay", N_("支付宝账号应为手机号或邮箱"))
BAD_WECHAT = define(
    "payout_bad_wechat", N_("微信号应为手机号，或以字母开头的 6–20 位字母、数字、-、_")
)
REASON_NEEDED = define("withdraw_reason_needed", N_("请填写拒绝原因"))
REFERENCE_NEEDED = define("withdraw_reference_needed", N_("请填写打款流水号"))
NOT_YOURS = define("withdraw_not_yours", N_("只有店主或骑手本人可以申请提现和修改收款账户"))

_PHONE = re.compile(r"^1[3-9]\d{9}$")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[A-Za-z]{2,}$")
_WECHAT_ID = re.compile(r"^[A-Za-z][-_A-Za-z0-9]{5,19}$")


@dataclass(frozen=True)
class PayoutAccount:
    method: str
    holder: str
    account: str
    bank: str = ""


def clean_payout_account(method: str, holder: str, account: str, bank: str = "") -> PayoutAccount:
    """The account as it will be stored, or InvalidInput saying what is wrong with it."""
    method, holder, bank = (method or "").strip(), (holder or "").strip(), (bank or "").strip()
    account = (
        re.sub(r"[\s-]", "", account or "")
        if method == PayoutMethod.BANK
        else (account or "").strip()
    )
    if method not in PAYOUT_METHOD_LABELS:
        raise InvalidInput(BAD_METHOD())
    if not 2 <= len(holder) <= 30 or any(ch.isdigit() or ch in "<>\"'&" for ch in holder):
        raise InvalidInput(BAD_HOLDER())
    if method == PayoutMethod.BANK:
        if not (account.isdigit() and account.isascii() and 12 <= len(account) <= 19):
            raise InvalidInput(BAD_CARD())
        if not 2 <= len(bank) <= 50:
            raise InvalidInput(BAD_BANK())
    elif method == PayoutMethod.ALIPAY:
        if not (_PHONE.match(account) or _EMAIL.match(account)) or len(account) > 50:
            raise InvalidInput(BAD_ALIPAY())
        bank = ""
    elif not (_PHONE.match(account) or _WECHAT_ID.match(account)):
        raise InvalidInput(BAD_WECHAT())
    else:
        bank = ""
    return PayoutAccount(method, holder, account, bank)


def account_of(actor: Actor) -> LedgerAccount | None:
    """The ledger account a store person or a rider withdraws from: None for anyone else, and
    for a store or rider that has had no money yet (a page shows zeros; nothing is created)."""
    if actor.role == Role.STORE_STAFF and actor.store_id:
        found = find_account_id(AccountKind.STORE, actor.store_id)
    elif actor.role == Role.RIDER and actor.user_id:
        found = find_account_id(AccountKind.RIDER, actor.user_id)
    else:
        return None
    return db.session.get(LedgerAccount, found) if found is not None else None


def may_withdraw(actor: Actor) -> bool:
    """A rider for themselves; for a store only its owner (clerks see the figures, not this)."""
    if actor.role == Role.RIDER:
        return bool(actor.user_id)
    if actor.role == Role.STORE_STAFF and actor.store_id:
        store = db.session.get(Store, actor.store_id)
        return store is not None and is_owner(store, actor)
    return False


def change_payout_account(actor: Actor, payout: PayoutAccount) -> LedgerAccount:
    """The store's profile (or the rider's 我的) changes where later withdrawals are paid;
    requests already made keep the account they were made with."""
    if not may_withdraw(actor):
        raise Forbidden(NOT_YOURS())
    kind = AccountKind.RIDER if actor.role == Role.RIDER else AccountKind.STORE
    owner = actor.user_id if kind == AccountKind.RIDER else actor.store_id
    account = db.session.get(LedgerAccount, account_id_for(kind, owner))
    set_payout_account(account, payout)
    return account


def set_payout_account(account: LedgerAccount, payout: PayoutAccount) -> None:
    account.payout_method = payout.method
    account.payout_name = payout.holder
    account.payout_account = payout.account
    account.payout_bank = payout.bank


def next_withdrawal_date(account_id: int) -> date | None:
    """The first local date the account may ask again (None: it may ask today)."""
    days = finance_settings().withdraw_interval_days
    if days <= 0:
        return None
    last = db.session.execute(
        select(Withdrawal.created_at)
        .where(Withdrawal.account_id == account_id, Withdrawal.status != W.REJECTED)
        .order_by(Withdrawal.created_at.desc())
        .limit(1)
    ).scalar()
    if last is None:
        return None
    due = to_local(last).date() + timedelta(days=days)
    return due if due > to_local(utcnow()).date() else None


def withdrawal_no(withdrawal: Withdrawal) -> str:
    """ "TX" + the local time of the request + the row's id: unique, and sorts by time."""
    return f"TX{to_local(withdrawal.created_at):%Y%m%d%H%M%S}{withdrawal.id:06d}"


def request_withdrawal(
    actor: Actor,
    amount_fen: int,
    *,
    agreed: bool,
    payout: PayoutAccount | None = None,
    request_key: str = "",
) -> Withdrawal:
    """Ask for `amount_fen` from 可提现. `request_key` (the form's one-time key) makes a double
    submit, a retry or a concurrent twin of the same form return the request already made."""
    if not may_withdraw(actor):
        raise Forbidden(NOT_YOURS())
    account = account_of(actor)
    request_key = (request_key or "")[:64] or None
    if account is not None and request_key:
        made = _made_with(account.id, request_key)
        if made is not None:
            return made
    rules = finance_settings()
    if not rules.withdrawals_enabled:
        raise IllegalTransition(WITHDRAWALS_OFF())
    if not agreed:
        raise InvalidInput(MUST_AGREE())
    if amount_fen < max(rules.withdraw_min_fen, 1):
        raise InvalidInput(BELOW_MINIMUM(minimum=format_fen(max(rules.withdraw_min_fen, 1))))
    if account is None or account.available_fen < amount_fen:
        held = account.available_fen if account is not None else 0
        if held < 0:
            raise IllegalTransition(NEGATIVE_BALANCE(balance=format_fen(held)))
        raise NotEnoughMoney(NOT_ENOUGH(available=format_fen(held), amount=format_fen(amount_fen)))
    if payout is not None and not account.has_payout_account:
        set_payout_account(account, payout)  # the first request asks; later ones reuse it
    if not account.has_payout_account:
        raise InvalidInput(NO_PAYOUT_ACCOUNT())
    account.agreement_accepted_at = utcnow()
    values = dict(
        account_id=account.id,
        amount_fen=amount_fen,
        status=W.REQUESTED,
        method=account.payout_method,
        account_name=account.payout_name,
        account_no=account.payout_account,
        bank=account.payout_bank,
        request_key=request_key,
        requested_by=actor.user_id,
        reject_reason="",
        reference="",
    )
    withdrawal_id = db.session.execute(
        upsert_into(Withdrawal)
        .values(no=f"new-{secrets.token_hex(12)}", created_at=utcnow(), **values)
        .on_conflict_do_nothing(index_elements=["account_id", "request_key"])
        .returning(Withdrawal.id)
    ).scalar()
    if withdrawal_id is None:  # a twin of this form got in first: its request stands
        return _made_with(account.id, request_key)
    withdrawal = db.session.get(Withdrawal, withdrawal_id)
    withdrawal.no = withdrawal_no(withdrawal)  # the id makes it unique, whatever the second
    # the guarded move locks the account's row first; the window is read after it, so two
    # requests at once see each other
    post(
        f"withdrawal:{withdrawal.id}:request",
        EntryKind.WITHDRAWAL_REQUEST,
        [
            Line(account.id, Bucket.AVAILABLE, -amount_fen, guard=True),
            Line(account.id, Bucket.REVIEW, amount_fen),
        ],
        actor=actor,
        withdrawal_id=withdrawal.id,
    )
    days = rules.withdraw_interval_days
    if days > 0:
        earlier = db.session.execute(
            select(Withdrawal.created_at)
            .where(
                Withdrawal.account_id == account.id,
                Withdrawal.status != W.REJECTED,
                Withdrawal.id != withdrawal.id,
            )
            .order_by(Withdrawal.created_at.desc())
            .limit(1)
        ).scalar()
        if earlier is not None:
            due = to_local(earlier).date() + timedelta(days=days)
            if due > to_local(utcnow()).date():
                raise IllegalTransition(TOO_SOON(days=days, date=due.isoformat()))
    return withdrawal


def _made_with(account_id: int, request_key: str) -> Withdrawal | None:
    return db.session.execute(
        select(Withdrawal).where(
            Withdrawal.account_id == account_id, Withdrawal.request_key == request_key
        )
    ).scalar_one_or_none()


# each step of the platform: the status it reaches, its entry kind, where the money goes from
# and to, and the key of its posting
STEPS = {
    W.APPROVED: (EntryKind.WITHDRAWAL_APPROVED, Bucket.REVIEW, Bucket.PAYOUT, "approved"),
    W.REJECTED: (EntryKind.WITHDRAWAL_REJECTED, Bucket.REVIEW, Bucket.AVAILABLE, "rejected"),
    W.PAID: (EntryKind.WITHDRAWAL_PAID, Bucket.PAYOUT, Bucket.WITHDRAWN, "paid"),
}


def _step(actor: Actor, withdrawal: Withdrawal, to: str, remark: str = "", **values) -> None:
    """Guard and compare-and-set the move, then post the money's move between buckets."""
    WITHDRAWAL_MACHINE.guard(withdrawal.status, to, actor.role)
    WITHDRAWAL_MACHINE.compare_and_set(Withdrawal, withdrawal.id, withdrawal.status, to, **values)
    db.session.refresh(withdrawal)
    kind, source, target, name = STEPS[to]
    amount = withdrawal.amount_fen
    post(
        f"withdrawal:{withdrawal.id}:{name}",
        kind,
        [Line(withdrawal.account_id, source, -amount), Line(withdrawal.account_id, target, amount)],
        actor=actor,
        remark=remark,
        withdrawal_id=withdrawal.id,
    )


def approve_withdrawal(actor: Actor, withdrawal: Withdrawal) -> None:
    _step(actor, withdrawal, W.APPROVED, decided_by=actor.user_id, decided_at=utcnow())


def reject_withdrawal(actor: Actor, withdrawal: Withdrawal, reason: str) -> None:
    """The money returns to 可提现; the reason is what the store or rider reads."""
    reason = (reason or "").strip()[:200]
    if not reason:
        raise InvalidInput(REASON_NEEDED())
    decided = {"decided_by": actor.user_id, "decided_at": utcnow(), "reject_reason": reason}
    _step(actor, withdrawal, W.REJECTED, reason, **decided)


def mark_withdrawal_paid(actor: Actor, withdrawal: Withdrawal, reference: str) -> None:
    """Paid offline: the transfer's reference is kept with it."""
    reference = (reference or "").strip()[:100]
    if not reference:
        raise InvalidInput(REFERENCE_NEEDED())
    paid = {"paid_by": actor.user_id, "paid_at": utcnow(), "reference": reference}
    _step(actor, withdrawal, W.PAID, reference, **paid)


def withdrawals_visible_to(actor: Actor):
    """The select of withdrawals this person may see: the platform's staff all of them, a store
    its own, a rider their own; anyone else none."""
    query = select(Withdrawal)
    if actor.is_staff:
        return query
    account = account_of(actor)
    if account is None:
        return query.where(False)
    return query.where(Withdrawal.account_id == account.id)


def withdrawal_visible_to(actor: Actor, withdrawal_id: int) -> Withdrawal | None:
    return db.session.execute(
        withdrawals_visible_to(actor).where(Withdrawal.id == withdrawal_id)
    ).scalar_one_or_none()


def account_kind_label(account: LedgerAccount) -> str:
    return {AccountKind.STORE: N_("店铺"), AccountKind.RIDER: N_("骑手")}.get(account.kind, "")
