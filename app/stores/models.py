"""A store is one sub-merchant; its kind decides which fulfilment its orders take."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, String, Text
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
    # the profile (店铺设置); images are storage keys of re-encoded JPEGs
    logo_key: Mapped[str | None] = mapped_column(String(255))
    images: Mapped[list] = mapped_column(JSON, default=list)
    opens_at: Mapped[str] = mapped_column(String(5), default="00:00")  # "HH:MM", Asia/Shanghai
    closes_at: Mapped[str] = mapped_column(String(5), default="24:00")  # 00:00-24:00: all day
    avg_spend_fen: Mapped[int] = mapped_column(default=0)  # 人均消费
    lat: Mapped[float | None]  # WGS-84 degrees of the address
    lng: Mapped[float | None]
    service_phone: Mapped[str] = mapped_column(String(20), default="")
    service_wechat: Mapped[str] = mapped_column(String(50), default="")
    announcement: Mapped[str] = mapped_column(String(100), default="")  # at most 100 characters
    return_address: Mapped[str] = mapped_column(String(255), default="")
    after_sales_enabled: Mapped[bool] = mapped_column(default=True)
    rating: Mapped[int] = mapped_column(default=5)  # stars, 1-5; only the platform sets it
    # who applied and may add or remove staff; None for stores the platform made itself
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    deleted_at: Mapped[datetime | None]  # deleted by the platform: gone from every list
    delivery_fee_fen: Mapped[int] = mapped_column(default=0)  # the flat fee, without tiers
    # same-city rules (SPEC §6): how far it delivers (metres; None = no limit), fee tiers by
    # distance ([[up_to_metres, fee_fen], ...] ascending; empty = the flat fee), the fee per
    # started km beyond the last tier, the least goods amount it delivers (起送价), the time it
    # needs to prepare, and whether buyers choose a 30-minute slot today or tomorrow
    delivery_radius_m: Mapped[int | None]
    delivery_fee_tiers: Mapped[list] = mapped_column(JSON, default=list)
    delivery_beyond_km_fen: Mapped[int] = mapped_column(default=0)
    min_order_fen: Mapped[int] = mapped_column(default=0)
    prep_minutes: Mapped[int] = mapped_column(default=30)
    delivery_slots: Mapped[bool] = mapped_column(default=False)
    # what the store accepts (ordering.payment.PAYMENT_METHODS keys; "online" = WeChat Pay or
    # Alipay through the platform) and how its goods may travel (ordering DELIVERY_OPTIONS);
    # empty: the defaults of its kind
    payment_methods: Mapped[list] = mapped_column(JSON, default=list)
    delivery_options: Mapped[list] = mapped_column(JSON, default=list)
    transfer_payee: Mapped[str] = mapped_column(String(300), default="")  # 银行转账 details
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


class StoreEvent(db.Model):
    """One line of a store's own timeline: who changed its status, rating or profile, and why."""

    __tablename__ = "store_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_name: Mapped[str] = mapped_column(String(50), default="")
    kind: Mapped[str] = mapped_column(String(20))  # opened, status, rating, profile, deleted
    from_value: Mapped[str] = mapped_column(String(30), default="")
    to_value: Mapped[str] = mapped_column(String(30), default="")
    reason: Mapped[str] = mapped_column(String(200), default="")  # typed by a person
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ApplicationStatus(StrEnum):
    PENDING = "pending"  # 审核中
    APPROVED = "approved"  # 已通过
    REJECTED = "rejected"  # 已拒绝 (the applicant may correct and apply again)


APPLICATION_STATUS_LABELS = {
    ApplicationStatus.PENDING: N_("审核中"),
    ApplicationStatus.APPROVED: N_("已通过"),
    ApplicationStatus.REJECTED: N_("已拒绝"),
}


class StoreApplication(db.Model):
    """A member's application to open a store (申请开店); approval creates the store."""

    __tablename__ = "store_applications"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(20), default=ApplicationStatus.PENDING)
    # the application fields the platform asked for: {"shop_name": "...", "contact": "...", ...}
    fields: Mapped[dict] = mapped_column(JSON, default=dict)
    licence_key: Mapped[str | None] = mapped_column(String(255))  # the licence photo, if asked
    agreement_accepted_at: Mapped[datetime]
    reject_reason: Mapped[str] = mapped_column(String(200), default="")
    store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id"))  # after approval
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    reviewed_at: Mapped[datetime | None]
    reviewed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class FieldRule(StrEnum):
    REQUIRED = "required"  # asked, must be filled
    OPTIONAL = "optional"  # asked, may be left empty
    OFF = "off"  # not asked


# The application fields a platform may ask for, in form order, with their labels.
APPLICATION_FIELDS = {
    "shop_name": N_("店铺名称"),
    "category": N_("经营类目"),
    "kind": N_("店铺类型"),
    "contact": N_("联系人"),
    "phone": N_("联系电话"),
    "address": N_("店铺地址"),
    "licence": N_("营业执照"),
    "intro": N_("店铺简介"),
}
DEFAULT_FIELD_RULES = {
    "shop_name": FieldRule.REQUIRED,
    "category": FieldRule.REQUIRED,
    "kind": FieldRule.REQUIRED,
    "contact": FieldRule.REQUIRED,
    "phone": FieldRule.REQUIRED,
    "address": FieldRule.REQUIRED,
    "licence": FieldRule.REQUIRED,
    "intro": FieldRule.OPTIONAL,
}


class MerchantSettings(db.Model):
    """The platform's merchant onboarding rules (one row, made by the migration)."""

    __tablename__ = "merchant_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    multi_merchant: Mapped[bool] = mapped_column(default=True)  # members may apply at all
    approval_required: Mapped[bool] = mapped_column(default=True)  # off: approved at once
    agreement: Mapped[str] = mapped_column(Text, default="")  # 入驻协议, shown to accept
    field_rules: Mapped[dict] = mapped_column(JSON, default=dict)  # field -> FieldRule
