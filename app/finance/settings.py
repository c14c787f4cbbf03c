"""The platform's money rules (one row) and the platform's ledger account (one row), both made
by the migration; `install_finance()` recreates them in a fresh test world."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.finance.models import AccountKind, FinanceSettings, LedgerAccount

DEFAULT_AGREEMENT = (
    "1. 提现金额从可提现余额中扣除，平台审核通过后线下打款至您填写的收款账户。\n"
    "2. 请确保收款账户信息真实有效，因账户信息错误导致的打款失败由店铺自行承担。\n"
    "3. 订单完成后的退款将从可提现余额中扣回；余额为负时不能提现。"
)


def finance_settings() -> FinanceSettings:
    found = db.session.execute(select(FinanceSettings).limit(1)).scalar_one_or_none()
    if found is None:
        raise LookupError("finance_settings has no row: run `flask db upgrade`")
    return found


def install_finance() -> FinanceSettings:
    """Create the settings row and the platform's account if missing (seed and tests)."""
    found = db.session.execute(select(FinanceSettings).limit(1)).scalar_one_or_none()
    if found is None:
        found = FinanceSettings(agreement=DEFAULT_AGREEMENT)
        db.session.add(found)
    platform = db.session.execute(
        select(LedgerAccount.id).where(LedgerAccount.kind == AccountKind.PLATFORM)
    ).scalar()
    if platform is None:
        db.session.add(LedgerAccount(kind=AccountKind.PLATFORM))
    db.session.flush()
    return found
