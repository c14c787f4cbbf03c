"""Orders, their items, the cart, and the event rows every portal renders as one timeline."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.clock import utcnow
from app.extensions import db


class Checkout(db.Model):
    """One press of 提交订单: the orders it created (one per store) and the key the form carried,
    so a double submit or a retry on a flaky network answers with the same orders."""

    __tablename__ = "checkouts"
    __table_args__ = (UniqueConstraint("buyer_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    buyer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    orders: Mapped[list[Order]] = relationship(back_populates="checkout", order_by="Order.id")


class Order(db.Model):
    __tablename__ = "orders"
    # Every order list reads newest first by (created_at, id): the indexes hold that order, so a
    # page is read straight off the index even when many orders share one timestamp.
    __table_args__ = (
        Index("ix_orders_created", "created_at", "id"),
        Index("ix_orders_store_created", "store_id", "created_at", "id"),
        Index("ix_orders_region_status", "region_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    no: Mapped[str] = mapped_column(String(32), unique=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    buyer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    checkout_id: Mapped[int | None] = mapped_column(ForeignKey("checkouts.id"), index=True)
    region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"))
    kind: Mapped[str] = mapped_column(String(20))  # StoreKind of the store at checkout
    status: Mapped[str] = mapped_column(String(20), index=True)
    payment_method: Mapped[str] = mapped_column(String(20))
    goods_fen: Mapped[int]
    delivery_fee_fen: Mapped[int] = mapped_column(default=0)
    total_fen: Mapped[int]
    contact_name: Mapped[str] = mapped_column(String(50))
    contact_phone: Mapped[str] = mapped_column(String(20))
    address: Mapped[str] = mapped_column(String(255))
    buyer_remark: Mapped[str] = mapped_column(String(200), default="")
    # A rider or driver confirms delivery (their tap or signed slip completes the order); the
    # fulfilment domain sets it when it ships. Otherwise the buyer confirms receipt.
    courier_confirms: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    paid_at: Mapped[datetime | None]
    shipped_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]

    items: Mapped[list[OrderItem]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderItem.id"
    )
    events: Mapped[list[OrderEvent]] = relationship(
        back_populates="order", order_by="OrderEvent.id", cascade="all, delete-orphan"
    )
    store = relationship("Store", lazy="selectin")
    buyer = relationship("User", foreign_keys=[buyer_id])
    checkout: Mapped[Checkout | None] = relationship(back_populates="orders")


class OrderItem(db.Model):
    __tablename__ = "order_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id"))
    product_name: Mapped[str] = mapped_column(String(100))
    spec: Mapped[str] = mapped_column(String(100), default="")
    unit_price_fen: Mapped[int]
    quantity: Mapped[int]
    line_fen: Mapped[int]

    order: Mapped[Order] = relationship(back_populates="items")


class OrderEvent(db.Model):
    """One move of an order or of its delivery; never edited, rendered as the timeline."""

    __tablename__ = "order_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    machine: Mapped[str] = mapped_column(
        String(20), default="order"
    )  # order | delivery | wholesale
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_role: Mapped[str] = mapped_column(String(20))
    actor_name: Mapped[str] = mapped_column(String(50), default="")
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    note: Mapped[dict | None] = mapped_column(JSON)  # a message: code + parameters
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    order: Mapped[Order] = relationship(back_populates="events")


class CartItem(db.Model):
    __tablename__ = "cart_items"
    __table_args__ = (UniqueConstraint("user_id", "sku_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id"))
    quantity: Mapped[int]

    sku = relationship("Sku", lazy="joined")
