"""Money (SPEC §9): an append-only ledger of entries in integer fen, accounts with their five
buckets, withdrawals, commission rates and the platform's withdrawal rules.

Every movement of money is a *posting* (one business fact: an order paid, a refund, a fine, a
withdrawal approved) holding *entries*, each an amount in one bucket of one account. Postings
and entries are never updated or deleted (`ledger.py` refuses it in the ORM; a trigger refuses it
on PostgreSQL). An account's five `*_fen` columns are a cache of the sum of its entries per
bucket, moved in the same statement as the entries are written; `flask money check` recomputes
them from the entries.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.clock import utcnow
from app.extensions import db
from app.i18n_markers import N_


class AccountKind(StrEnum):
    PLATFORM = "platform"
    STORE = "store"
    RIDER = "rider"


class Bucket(StrEnum):
    """Where an account's money sits (the four balances of SPEC §9 plus requests under review)."""

    PENDING = "pending"  # 不可提现: paid online, order not completed
    AVAILABLE = "available"  # 可提现: completed (may go negative after a refund or a fine)
    REVIEW = "review"  # 审核中: a withdrawal request waiting for the platform
    PAYOUT = "payout"  # 待打款: withdrawal approved, not yet paid
    WITHDRAWN = "withdrawn"  # 已提现: paid out


BUCKET_LABELS = {
    Bucket.PENDING: N_("不可提现"),
    Bucket.AVAILABLE: N_("可提现"),
    Bucket.REVIEW: N_("审核中"),
    Bucket.PAYOUT: N_("待打款"),
    Bucket.WITHDRAWN: N_("已提现"),
}


class EntryKind(StrEnum):
    SALE = "sale"  # what the buyer paid for the order
    COMMISSION = "commission"  # the platform's commission on the goods
    PLATFORM_COUPON = "platform_coupon"  # platform-borne coupon and points, paid to the store
    DELIVERY_COMMISSION = "delivery_commission"  # a rider's pay for a delivered task
    SETTLEMENT = "settlement"  # the order completed: 不可提现 → 可提现
    REFUND = "refund"  # money back to the buyer
    COMMISSION_REVERSAL = "commission_reversal"  # the commission on refunded money comes back
    PLATFORM_COUPON_REVERSAL = "platform_coupon_reversal"  # and the coupon share goes back
    FINE = "fine"
    ADJUSTMENT = "adjustment"
    WITHDRAWAL_REQUEST = "withdrawal_request"
    WITHDRAWAL_APPROVED = "withdrawal_approved"
    WITHDRAWAL_REJECTED = "withdrawal_rejected"
    WITHDRAWAL_PAID = "withdrawal_paid"


ENTRY_KIND_LABELS = {
    EntryKind.SALE: N_("订单收入"),
    EntryKind.COMMISSION: N_("平台佣金"),
    EntryKind.PLATFORM_COUPON: N_("平台优惠补贴"),
    EntryKind.DELIVERY_COMMISSION: N_("配送佣金"),
    EntryKind.SETTLEMENT: N_("订单结算"),
    EntryKind.REFUND: N_("退款"),
    EntryKind.COMMISSION_REVERSAL: N_("佣金退回"),
    EntryKind.PLATFORM_COUPON_REVERSAL: N_("优惠补贴退回"),
    EntryKind.FINE: N_("罚款"),
    EntryKind.ADJUSTMENT: N_("调账"),
    EntryKind.WITHDRAWAL_REQUEST: N_("申请提现"),
    EntryKind.WITHDRAWAL_APPROVED: N_("提现审核通过"),
    EntryKind.WITHDRAWAL_REJECTED: N_("提现被拒绝"),
    EntryKind.WITHDRAWAL_PAID: N_("提现已打款"),
}


class PayoutMethod(StrEnum):
    BANK = "bank"
    ALIPAY = "alipay"
    WECHAT = "wechat"


PAYOUT_METHOD_LABELS = {
    PayoutMethod.BANK: N_("银行卡"),
    PayoutMethod.ALIPAY: N_("支付宝"),
    PayoutMethod.WECHAT: N_("微信"),
}


class WithdrawalStatus(StrEnum):
    REQUESTED = "requested"
    APPROVED = "approved"
    REJECTED = "rejected"
    PAID = "paid"


WITHDRAWAL_STATUS_LABELS = {
    WithdrawalStatus.REQUESTED: N_("待审核"),
    WithdrawalStatus.APPROVED: N_("待打款"),
    WithdrawalStatus.REJECTED: N_("已拒绝"),
    WithdrawalStatus.PAID: N_("已打款"),
}


class FinanceSettings(db.Model):
    """The platform's money rules (one row, created by the migration)."""

    __tablename__ = "finance_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    commission_bp: Mapped[int] = mapped_column(default=500)  # 5.00 %, basis points
    withdrawals_enabled: Mapped[bool] = mapped_column(default=True)
    withdraw_min_fen: Mapped[int] = mapped_column(default=500)
    withdraw_interval_days: Mapped[int] = mapped_column(default=1)  # once per N days
    agreement: Mapped[str] = mapped_column(Text, default="")


class StoreCommissionRate(db.Model):
    """A store's own rate, instead of the platform's default."""

    __tablename__ = "store_commission_rates"
    __table_args__ = (CheckConstraint("bp >= 0 AND bp <= 10000", name="bp_range"),)

    store_id: Mapped[int] = mapped_column(
        ForeignKey("stores.id", ondelete="CASCADE"), primary_key=True
    )
    bp: Mapped[int]


class CategoryCommissionRate(db.Model):
    """A category's rate for every store (it wins over the store's rate; the nearest category
    up the tree that has one applies)."""

    __tablename__ = "category_commission_rates"
    __table_args__ = (CheckConstraint("bp >= 0 AND bp <= 10000", name="bp_range"),)

    category_id: Mapped[int] = mapped_column(
        ForeignKey("categories.id", ondelete="CASCADE"), primary_key=True
    )
    bp: Mapped[int]


class LedgerAccount(db.Model):
    __tablename__ = "ledger_accounts"
    __table_args__ = (
        CheckConstraint(
            "(kind = 'platform' AND store_id IS NULL AND rider_id IS NULL)"
            " OR (kind = 'store' AND store_id IS NOT NULL AND rider_id IS NULL)"
            " OR (kind = 'rider' AND rider_id IS NOT NULL AND store_id IS NULL)",
            name="owner",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10), unique=False)
    store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id"), unique=True)
    rider_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), unique=True)
    # the cached balances: each the sum of the account's entries in that bucket
    pending_fen: Mapped[int] = mapped_column(default=0)
    available_fen: Mapped[int] = mapped_column(default=0)
    review_fen: Mapped[int] = mapped_column(default=0)
    payout_fen: Mapped[int] = mapped_column(default=0)
    withdrawn_fen: Mapped[int] = mapped_column(default=0)
    # where withdrawals are paid (asked at the first request, changed in the profile)
    payout_method: Mapped[str] = mapped_column(String(10), default="")
    payout_name: Mapped[str] = mapped_column(String(50), default="")  # the holder
    payout_account: Mapped[str] = mapped_column(String(50), default="")
    payout_bank: Mapped[str] = mapped_column(String(50), default="")
    agreement_accepted_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def balance(self, bucket: str) -> int:
        return getattr(self, f"{bucket}_fen")

    @property
    def has_payout_account(self) -> bool:
        return bool(self.payout_method and self.payout_account)


class Posting(db.Model):
    """One business fact that moved money; `key` makes posting it twice impossible."""

    __tablename__ = "ledger_postings"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(100), unique=True)  # "order:12:sale", "refund:5"
    kind: Mapped[str] = mapped_column(String(30))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), index=True)
    refund_id: Mapped[int | None] = mapped_column(ForeignKey("refunds.id"))
    withdrawal_id: Mapped[int | None] = mapped_column(ForeignKey("withdrawals.id"))
    task_id: Mapped[int | None] = mapped_column(ForeignKey("delivery_tasks.id"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_name: Mapped[str] = mapped_column(String(50), default="")
    remark: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class Entry(db.Model):
    """An amount (signed fen) in one bucket of one account. Never edited or deleted."""

    __tablename__ = "ledger_entries"
    __table_args__ = (
        Index("ix_ledger_entries_account_created", "account_id", "created_at"),
        CheckConstraint(
            "bucket IN ('pending', 'available', 'review', 'payout', 'withdrawn')", name="bucket"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    posting_id: Mapped[int] = mapped_column(ForeignKey("ledger_postings.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("ledger_accounts.id"))
    bucket: Mapped[str] = mapped_column(String(10))
    amount_fen: Mapped[int]
    kind: Mapped[str] = mapped_column(String(30))  # the posting's kind, for statements
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Withdrawal(db.Model):
    __tablename__ = "withdrawals"
    # the form's one-time key: a double submit or a retry finds the request already made
    __table_args__ = (UniqueConstraint("account_id", "request_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    no: Mapped[str] = mapped_column(String(32), unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("ledger_accounts.id"), index=True)
    amount_fen: Mapped[int]
    status: Mapped[str] = mapped_column(String(12), index=True)
    # the payout account as it was when asked (the profile may change later)
    method: Mapped[str] = mapped_column(String(10))
    account_name: Mapped[str] = mapped_column(String(50))
    account_no: Mapped[str] = mapped_column(String(50))
    bank: Mapped[str] = mapped_column(String(50), default="")
    request_key: Mapped[str | None] = mapped_column(String(64))
    requested_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reject_reason: Mapped[str] = mapped_column(String(200), default="")
    reference: Mapped[str] = mapped_column(String(100), default="")  # the bank's transfer no.
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]
    paid_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    paid_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
