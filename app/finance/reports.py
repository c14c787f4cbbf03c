"""What the ledger says: balances, an account's entries, statements per period, the platform's
overview and per-store totals, and `check()`, which recomputes every balance from the entries.

Periods are local (Asia/Shanghai) dates, both ends included.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import case, func, select

from app.clock import local_day_start, to_local
from app.extensions import db
from app.finance.models import (
    AccountKind,
    Bucket,
    Entry,
    EntryKind,
    LedgerAccount,
    Posting,
    Withdrawal,
    WithdrawalStatus,
)
from app.ordering.models import Order
from app.stores.models import Store

BUCKETS = tuple(Bucket)
# what the platform still owes the account: every bucket but money already paid out
OWED = (Bucket.PENDING, Bucket.AVAILABLE, Bucket.REVIEW, Bucket.PAYOUT)


@dataclass(frozen=True)
class Balances:
    pending_fen: int = 0  # 不可提现
    available_fen: int = 0  # 可提现
    review_fen: int = 0  # 审核中
    payout_fen: int = 0  # 待打款
    withdrawn_fen: int = 0  # 已提现

    @classmethod
    def of(cls, account: LedgerAccount | None) -> Balances:
        if account is None:
            return cls()
        return cls(*(account.balance(b) for b in BUCKETS))


def period_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    return local_day_start(start), local_day_start(end + timedelta(days=1))


def account_entries(account_id: int, kind: str | None = None, start=None, end=None):
    """The select of an account's entries with their posting's remark, newest first."""
    query = (
        select(Entry, Posting.remark, Posting.actor_name, Order.no.label("order_no"))
        .join(Posting, Posting.id == Entry.posting_id)
        .outerjoin(Order, Order.id == Entry.order_id)
        .where(Entry.account_id == account_id)
        .order_by(Entry.id.desc())
    )
    if kind:
        query = query.where(Entry.kind == kind)
    if start is not None and end is not None:
        since, until = period_bounds(start, end)
        query = query.where(Entry.created_at >= since, Entry.created_at < until)
    return query


@dataclass
class OrderLine:
    order_id: int
    order_no: str
    amounts: dict[str, int] = field(default_factory=dict)  # kind → fen (this account)

    @property
    def net_fen(self) -> int:
        return sum(self.amounts.values())


@dataclass
class Statement:
    account_id: int
    start: date
    end: date
    opening_fen: int  # owed to the account before the period (every bucket but 已提现)
    closing_fen: int
    by_kind: dict[str, int]  # what moved the owed money in the period, per entry kind
    orders: list[OrderLine]
    withdrawn_fen: int  # paid out in the period


def _owed_until(account_id: int, until: datetime) -> int:
    return int(
        db.session.execute(
            select(func.coalesce(func.sum(Entry.amount_fen), 0)).where(
                Entry.account_id == account_id,
                Entry.bucket.in_(OWED),
                Entry.created_at < until,
            )
        ).scalar_one()
    )


def statement(account_id: int, start: date, end: date) -> Statement:
    """Opening and closing owed balance, and everything between: per kind and per order.
    Moves between the owed buckets (settlement, a request, its approval or rejection) net to
    zero here; a paid withdrawal leaves them, so it shows as the period's 已提现."""
    since, until = period_bounds(start, end)
    rows = db.session.execute(
        select(Entry.kind, Entry.order_id, Order.no, func.sum(Entry.amount_fen))
        .outerjoin(Order, Order.id == Entry.order_id)
        .where(
            Entry.account_id == account_id,
            Entry.bucket.in_(OWED),
            Entry.created_at >= since,
            Entry.created_at < until,
        )
        .group_by(Entry.kind, Entry.order_id, Order.no)
    ).all()
    by_kind: dict[str, int] = defaultdict(int)
    orders: dict[int, OrderLine] = {}
    for kind, order_id, order_no, amount in rows:
        if kind == EntryKind.SETTLEMENT or not amount:
            continue
        by_kind[kind] += int(amount)
        if order_id is not None:
            line = orders.setdefault(order_id, OrderLine(order_id, order_no or ""))
            line.amounts[kind] = line.amounts.get(kind, 0) + int(amount)
    opening = _owed_until(account_id, since)
    return Statement(
        account_id=account_id,
        start=start,
        end=end,
        opening_fen=opening,
        closing_fen=_owed_until(account_id, until),
        by_kind={k: v for k, v in by_kind.items() if v},
        orders=sorted(orders.values(), key=lambda line: line.order_id),
        withdrawn_fen=-by_kind.get(EntryKind.WITHDRAWAL_PAID, 0),
    )


@dataclass(frozen=True)
class Overview:
    paid_out_fen: int  # 已打款 in the period
    payout_fen: int  # 待打款 at the period's end
    available_fen: int  # 待提现 (可提现) at the period's end
    pending_fen: int  # 不可提现 at the period's end
    review_fen: int  # 审核中 at the period's end
    payments_fen: int  # what buyers paid online in the period
    refunds_fen: int  # what went back to buyers in the period
    commission_fen: int  # the platform's net commission in the period


def overview(start: date, end: date) -> Overview:
    """The platform's figures over stores' and riders' accounts (SPEC §9, seed 004 2.5.2)."""
    since, until = period_bounds(start, end)
    not_platform = LedgerAccount.kind != AccountKind.PLATFORM
    in_period = (Entry.created_at >= since) & (Entry.created_at < until)

    def total(condition):
        return func.coalesce(func.sum(case((condition, Entry.amount_fen), else_=0)), 0)

    row = db.session.execute(
        select(
            total(
                in_period
                & not_platform
                & (Entry.kind == EntryKind.WITHDRAWAL_PAID)
                & (Entry.bucket == Bucket.WITHDRAWN)
            ),
            total(not_platform & (Entry.bucket == Bucket.PAYOUT)),
            total(not_platform & (Entry.bucket == Bucket.AVAILABLE)),
            total(not_platform & (Entry.bucket == Bucket.PENDING)),
            total(not_platform & (Entry.bucket == Bucket.REVIEW)),
            total(in_period & (Entry.kind == EntryKind.SALE)),
            total(in_period & (Entry.kind == EntryKind.REFUND)),
            total(
                in_period
                & (LedgerAccount.kind == AccountKind.PLATFORM)
                & Entry.kind.in_((EntryKind.COMMISSION, EntryKind.COMMISSION_REVERSAL))
            ),
        )
        .join(LedgerAccount, LedgerAccount.id == Entry.account_id)
        .where(Entry.created_at < until)
    ).one()
    values = [int(v) for v in row]
    values[6] = -values[6]
    return Overview(*values)


@dataclass(frozen=True)
class StoreTotals:
    store_id: int
    store_name: str
    account_id: int
    withdrawals: int  # 提现笔数 (not rejected)
    paid_out_fen: int  # 已打款
    available_fen: int  # 待提现
    pending_fen: int  # 不可提现
    payout_fen: int  # 待打款


def store_totals() -> list[StoreTotals]:
    counted = (
        select(Withdrawal.account_id, func.count().label("n"))
        .where(Withdrawal.status != WithdrawalStatus.REJECTED)
        .group_by(Withdrawal.account_id)
        .subquery()
    )
    rows = db.session.execute(
        select(
            Store.id,
            Store.name,
            LedgerAccount.id,
            func.coalesce(counted.c.n, 0),
            LedgerAccount.withdrawn_fen,
            LedgerAccount.available_fen,
            LedgerAccount.pending_fen,
            LedgerAccount.payout_fen,
        )
        .join(Store, Store.id == LedgerAccount.store_id)
        .outerjoin(counted, counted.c.account_id == LedgerAccount.id)
        .where(LedgerAccount.kind == AccountKind.STORE)
        .order_by(Store.name)
    ).all()
    return [StoreTotals(*row) for row in rows]


def daily_series(start: date, end: date) -> list[tuple[date, int, int]]:
    """Per local day: what buyers paid online and what was refunded (for the chart)."""
    since, until = period_bounds(start, end)
    rows = db.session.execute(
        select(Entry.created_at, Entry.kind, Entry.amount_fen).where(
            Entry.kind.in_((EntryKind.SALE, EntryKind.REFUND)),
            Entry.created_at >= since,
            Entry.created_at < until,
        )
    ).all()
    days: dict[date, list[int]] = {
        start + timedelta(days=n): [0, 0] for n in range((end - start).days + 1)
    }
    for created_at, kind, amount in rows:
        day = to_local(created_at).date()
        if day in days:
            days[day][0 if kind == EntryKind.SALE else 1] += abs(int(amount))
    return [(day, paid, refunded) for day, (paid, refunded) in days.items()]


@dataclass(frozen=True)
class Difference:
    account_id: int
    bucket: str
    cached_fen: int
    entries_fen: int


@dataclass(frozen=True)
class OrderDifference:
    order_id: int
    entries_fen: int  # every account's entries for the order
    paid_less_refunds_fen: int  # sale less refunds


def check() -> tuple[list[Difference], list[OrderDifference]]:
    """Recompute every balance from the entries and compare with the accounts' figures; and
    check that every order's entries sum to what the buyer paid less what was refunded."""
    sums = {
        (account_id, bucket): int(amount)
        for account_id, bucket, amount in db.session.execute(
            select(Entry.account_id, Entry.bucket, func.sum(Entry.amount_fen)).group_by(
                Entry.account_id, Entry.bucket
            )
        ).all()
    }
    differences = []
    for account in db.session.execute(select(LedgerAccount).order_by(LedgerAccount.id)).scalars():
        for bucket in BUCKETS:
            cached, recomputed = account.balance(bucket), sums.get((account.id, bucket), 0)
            if cached != recomputed:
                differences.append(Difference(account.id, bucket, cached, recomputed))
    money_kinds = (EntryKind.SALE, EntryKind.REFUND)
    order_rows = db.session.execute(
        select(
            Entry.order_id,
            func.sum(Entry.amount_fen),
            func.sum(case((Entry.kind.in_(money_kinds), Entry.amount_fen), else_=0)),
        )
        .where(Entry.order_id.is_not(None))
        .group_by(Entry.order_id)
        .having(
            func.sum(Entry.amount_fen)
            != func.sum(case((Entry.kind.in_(money_kinds), Entry.amount_fen), else_=0))
        )
    ).all()
    return differences, [OrderDifference(int(o), int(a), int(b)) for o, a, b in order_rows]


def kind_total(account_id: int | None, *kinds: str) -> int:
    """The sum of an account's entries of these kinds (e.g. a rider's 累计收入: every delivery
    commission ever posted, settled or not)."""
    if account_id is None:
        return 0
    return int(
        db.session.execute(
            select(func.coalesce(func.sum(Entry.amount_fen), 0)).where(
                Entry.account_id == account_id, Entry.kind.in_(kinds)
            )
        ).scalar_one()
    )
