"""Fines and adjustments by the platform (SPEC §9): money moved between the platform and a
store's or a rider's 可提现, always with a reason the store or rider sees."""

from __future__ import annotations

import secrets

from app.accounts.actor import Actor
from app.accounts.models import Role
from app.errors import Forbidden, InvalidInput
from app.extensions import db
from app.finance.ledger import Line, platform_account_id, post
from app.finance.models import AccountKind, Bucket, EntryKind, LedgerAccount
from app.i18n_markers import N_
from app.messages import define

REASON_REQUIRED = define("adjust_reason_required", N_("请填写原因（店铺会看到）"))
AMOUNT_POSITIVE = define("fine_amount_positive", N_("罚款金额须大于 0"))
AMOUNT_NONZERO = define("adjust_amount_nonzero", N_("调账金额不能为 0"))
ONLY_OPERATOR = define("adjust_only_operator", N_("只有平台运营可以罚款或调账"))
NO_SUCH_ACCOUNT = define("adjust_no_account", N_("只能对店铺或骑手的账户罚款或调账"))


def _check(actor: Actor, account: LedgerAccount | None, reason: str) -> str:
    if actor.role != Role.OPERATOR:
        raise Forbidden(ONLY_OPERATOR())
    if account is None or account.kind == AccountKind.PLATFORM:
        raise InvalidInput(NO_SUCH_ACCOUNT())
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(REASON_REQUIRED())
    return reason[:200]


def fine(
    actor: Actor, account_id: int, amount_fen: int, reason: str, request_key: str = ""
) -> bool:
    """Take `amount_fen` from the account's 可提现 for the platform (it may go negative)."""
    account = db.session.get(LedgerAccount, account_id)
    reason = _check(actor, account, reason)
    if amount_fen <= 0:
        raise InvalidInput(AMOUNT_POSITIVE())
    return post(
        f"fine:{account.id}:{request_key or secrets.token_hex(8)}",
        EntryKind.FINE,
        [
            Line(account.id, Bucket.AVAILABLE, -amount_fen),
            Line(platform_account_id(), Bucket.AVAILABLE, amount_fen),
        ],
        actor=actor,
        remark=reason,
    )


def adjust(
    actor: Actor, account_id: int, amount_fen: int, reason: str, request_key: str = ""
) -> bool:
    """Add (positive) or take (negative) money on the account's 可提现, against the platform.
    `request_key` (the form's one-time key) makes a double submit post once; returns whether
    this call posted."""
    account = db.session.get(LedgerAccount, account_id)
    reason = _check(actor, account, reason)
    if amount_fen == 0:
        raise InvalidInput(AMOUNT_NONZERO())
    return post(
        f"adjustment:{account.id}:{request_key or secrets.token_hex(8)}",
        EntryKind.ADJUSTMENT,
        [
            Line(account.id, Bucket.AVAILABLE, amount_fen),
            Line(platform_account_id(), Bucket.AVAILABLE, -amount_fen),
        ],
        actor=actor,
        remark=reason,
    )
