"""A payment (one per attempt to pay a checkout), the gateway's notifications as received, and
refunds (through the gateway, or recorded by staff for offline-paid orders)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.clock import utcnow
from app.extensions import db


class PaymentStatus(StrEnum):
    CREATED = "created"  # sent to the gateway, waiting for the buyer
    PAID = "paid"  # the gateway says paid (verified notification or query)
    CLOSED = "closed"  # never paid: closed at the gateway (time limit, another attempt won)


class Payment(db.Model):
    __tablename__ = "payments"

    id: Mapped[int] = mapped_column(primary_key=True)
    no: Mapped[str] = mapped_column(String(32), unique=True)  # out_trade_no
    checkout_id: Mapped[int] = mapped_column(ForeignKey("checkouts.id"), index=True)
    buyer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    gateway: Mapped[str] = mapped_column(String(20))  # wechat | alipay
    amount_fen: Mapped[int]
    status: Mapped[str] = mapped_column(String(10), default=PaymentStatus.CREATED)
    gateway_txn_id: Mapped[str | None] = mapped_column(String(64))  # transaction_id / trade_no
    pay_url: Mapped[str] = mapped_column(String(500), default="")  # where the buyer pays
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    paid_at: Mapped[datetime | None]


class PaymentNotification(db.Model):
    """A callback exactly as it arrived, kept whatever its fate (verified or not)."""

    __tablename__ = "payment_notifications"
    __table_args__ = (UniqueConstraint("gateway", "notify_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    gateway: Mapped[str] = mapped_column(String(20))
    notify_id: Mapped[str] = mapped_column(String(100))  # the gateway's id, or a digest of the body
    headers: Mapped[dict] = mapped_column(JSON, default=dict)
    body: Mapped[str] = mapped_column(Text)
    verified: Mapped[bool] = mapped_column(default=False)
    outcome: Mapped[str] = mapped_column(
        String(40), default=""
    )  # paid, duplicate, bad_signature...
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id"), index=True)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class RefundStatus(StrEnum):
    PENDING = "pending"  # asked of the gateway, not confirmed yet
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class Refund(db.Model):
    __tablename__ = "refunds"

    id: Mapped[int] = mapped_column(primary_key=True)
    no: Mapped[str] = mapped_column(String(32), unique=True)  # out_refund_no
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id"), index=True)
    aftersale_id: Mapped[int | None] = mapped_column(ForeignKey("aftersales.id"), index=True)
    amount_fen: Mapped[int]
    reason: Mapped[str] = mapped_column(String(200), default="")
    method: Mapped[str] = mapped_column(String(10))  # gateway | offline
    status: Mapped[str] = mapped_column(String(10), default=RefundStatus.PENDING)
    reference: Mapped[str] = mapped_column(String(100), default="")  # gateway refund id or staff's
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None]
