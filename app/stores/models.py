"""A store is one sub-merchant; its kind decides which fulfilment its orders take."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from app.clock import utcnow
from app.extensions import db
from app.i18n_markers import N_


class StoreKind(StrEnum):
    SAME_CITY = "same_city"  # 同城: delivered by riders
    WHOLESALE = "wholesale"  # 批发: confirmed by a region's sales manager, delivered by a driver


KIND_LABELS = {StoreKind.SAME_CITY: N_("同城"), StoreKind.WHOLESALE: N_("批发")}


class BusinessStatus(StrEnum):
    OPEN = "open"  # 营业
    RESTING = "resting"  # 休息中
    CLOSED_TODAY = "closed_today"  # 已打烊
    SHUT = "shut"  # 已关闭


BUSINESS_STATUS_LABELS = {
    BusinessStatus.OPEN: N_("营业"),
    BusinessStatus.RESTING: N_("休息中"),
    BusinessStatus.CLOSED_TODAY: N_("已打烊"),
    BusinessStatus.SHUT: N_("已关闭"),
}


class Store(db.Model):
    __tablename__ = "stores"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20), default=StoreKind.SAME_CITY)
    business_status: Mapped[str] = mapped_column(String(20), default=BusinessStatus.OPEN)
    category: Mapped[str] = mapped_column(String(50), default="")
    phone: Mapped[str] = mapped_column(String(20), default="")
    address: Mapped[str] = mapped_column(String(255), default="")
    intro: Mapped[str] = mapped_column(String(255), default="")
    delivery_fee_fen: Mapped[int] = mapped_column(default=0)
    rider_commission_fen: Mapped[int] = mapped_column(default=500)
    printer_kind: Mapped[str] = mapped_column(String(20), default="lan")  # printing.PRINTERS
    printer_host: Mapped[str | None] = mapped_column(String(100))
    printer_port: Mapped[int] = mapped_column(default=9100)
    printer_encoding: Mapped[str] = mapped_column(String(10), default="gb18030")
    # The last 测试打印: when it was asked for, when its job ran, and why it failed (a message;
    # None after a success). A new address forgets all three.
    printer_check_requested_at: Mapped[datetime | None]
    printer_checked_at: Mapped[datetime | None]
    printer_check_error: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def is_open(self) -> bool:
        return self.business_status == BusinessStatus.OPEN

    @property
    def printer_check_pending(self) -> bool:
        """A test print was asked for and its job has not reported yet."""
        requested, checked = self.printer_check_requested_at, self.printer_checked_at
        return requested is not None and (checked is None or checked < requested)

    @property
    def business_status_label(self) -> str:
        return BUSINESS_STATUS_LABELS.get(BusinessStatus(self.business_status), "")
