"""Regions and the wholesale side of an order: who confirmed it, who drives it, the slips."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from app.clock import utcnow
from app.extensions import db
from app.i18n_markers import N_


class Region(db.Model):
    __tablename__ = "regions"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50), unique=True)


class ShipMethod(StrEnum):
    DRIVER = "driver"  # 司机送货: completes when the driver uploads the signed slip
    EXPRESS = "express"  # 快递发货
    LOGISTICS = "logistics"  # 物流发货
    OTHER = "other"  # 其他方式


SHIP_METHOD_LABELS = {
    ShipMethod.DRIVER: N_("司机送货"),
    ShipMethod.EXPRESS: N_("快递发货"),
    ShipMethod.LOGISTICS: N_("物流发货"),
    ShipMethod.OTHER: N_("其他方式"),
}


class Fulfilment(db.Model):
    """The wholesale fulfilment of one order."""

    __tablename__ = "fulfilments"
    # a driver's list keeps the region's orders that are theirs: one probe of this per order,
    # answered by the index alone (the key's own index would read each row for the driver)
    __table_args__ = (Index("ix_fulfilments_order_driver", "order_id", "driver_id"),)

    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), primary_key=True)
    confirmed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    confirmed_at: Mapped[datetime | None]
    ship_method: Mapped[str | None] = mapped_column(String(20))
    driver_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    remark: Mapped[str] = mapped_column(String(255), default="")
    shipped_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]

    order = relationship("Order", backref=backref("fulfilment", uselist=False))
    driver = relationship("User", foreign_keys=[driver_id], lazy="joined")
    slips: Mapped[list[SlipPhoto]] = relationship(order_by="SlipPhoto.id")


class SlipPhoto(db.Model):
    """A photo of the signed delivery slip, re-encoded as JPEG on upload."""

    __tablename__ = "slip_photos"
    # The same photo twice for one order (a double submit, a retry) is kept once.
    __table_args__ = (UniqueConstraint("order_id", "digest"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("fulfilments.order_id"), index=True)
    uploaded_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    filename: Mapped[str] = mapped_column(String(100))
    width: Mapped[int]
    height: Mapped[int]
    size_bytes: Mapped[int]
    digest: Mapped[str | None] = mapped_column(String(64))  # SHA-256 of the stored JPEG
    # The 320 px thumbnail stored next to it (`slip_thumb_key`); None for photos from before.
    thumb_bytes: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
