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
    # what the whole checkout used: the platform coupon (its discount is prorated across the
    # orders) and the points spent; the buyer pays the platform once for all its orders
    platform_coupon_id: Mapped[int | None] = mapped_column(ForeignKey("user_coupons.id"))
    points_used: Mapped[int] = mapped_column(default=0)
    payment_method: Mapped[str] = mapped_column(String(20), default="")
    total_fen: Mapped[int] = mapped_column(default=0)  # what the buyer pays for all its orders

    orders: Mapped[list[Order]] = relationship(back_populates="checkout", order_by="Order.id")


class Order(db.Model):
    __tablename__ = "orders"
    # Every order list reads newest first by (created_at, id): the indexes hold that order, so a
    # page is read straight off the index even when many orders share one timestamp.
    __table_args__ = (
        Index("ix_orders_created", "created_at", "id"),
        Index("ix_orders_store_created", "store_id", "created_at", "id"),
        # a region's lists (the sales manager's tabs, the driver's 待送达) read one status of
        # one region in their own order straight off these, and stop at a page
        # (kind is carried along so the tabs' counts, which filter on it, read the index alone)
        Index(
            "ix_orders_region_status_created",
            "region_id",
            "status",
            "created_at",
            "id",
            postgresql_include=["kind"],
        ),
        Index("ix_orders_region_status_shipped", "region_id", "status", "shipped_at", "id"),
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
    # discounts, each already prorated onto this order (and onto its items): the platform's
    # coupon and points (the platform bears them) and the store's own coupon (the store bears it)
    platform_discount_fen: Mapped[int] = mapped_column(default=0)
    points_discount_fen: Mapped[int] = mapped_column(default=0)
    store_discount_fen: Mapped[int] = mapped_column(default=0)
    store_coupon_id: Mapped[int | None] = mapped_column(ForeignKey("user_coupons.id"))
    total_fen: Mapped[int]  # goods + delivery - discounts: this order's share of the payment
    refunded_fen: Mapped[int] = mapped_column(default=0)  # refunds that went through
    # how the goods travel (DELIVERY_OPTIONS), and what the store tells the buyer when it ships
    delivery_option: Mapped[str] = mapped_column(String(20), default="delivery")
    delivery_distance_m: Mapped[int | None]  # store to the buyer's address, at checkout
    delivery_slot_at: Mapped[datetime | None]  # the chosen 30-minute slot's start (UTC)
    # where it goes (WGS-84, copied from the address at checkout): the rider's ETA, the courier
    delivery_lat: Mapped[float | None]
    delivery_lng: Mapped[float | None]
    carrier: Mapped[str] = mapped_column(String(50), default="")
    tracking_no: Mapped[str] = mapped_column(String(50), default="")
    pickup_code: Mapped[str | None] = mapped_column(String(12))  # 自提: shown to the buyer
    picked_up_at: Mapped[datetime | None]
    placed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # 代客下单
    # after-sales stays open until this time (set on completion; closed by the sweep)
    aftersale_until: Mapped[datetime | None]
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
    # this line's prorated share of the order's discounts (platform + points + store), in fen;
    # line_fen - discount_fen is what the buyer paid for it and the most a refund returns
    discount_fen: Mapped[int] = mapped_column(default=0)
    platform_discount_fen: Mapped[int] = mapped_column(default=0)  # the platform-borne part
    # pieces under an open or finished after-sales request, reserved by compare-and-set so two
    # requests for the same item at once cannot both take the last piece
    aftersale_quantity: Mapped[int] = mapped_column(default=0)
    refunded_fen: Mapped[int] = mapped_column(default=0)

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


class OrderSettings(db.Model):
    """The platform's order rules (one row): time limits, points, the payee for transfers."""

    __tablename__ = "order_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    unpaid_close_minutes: Mapped[int] = mapped_column(default=30)
    auto_receipt_days: Mapped[int] = mapped_column(default=15)
    aftersale_days: Mapped[int] = mapped_column(default=15)
    aftersale_answer_hours: Mapped[int] = mapped_column(default=48)  # silence = approval
    points_per_yuan: Mapped[int] = mapped_column(default=1)  # earned per yuan paid on completion
    point_value_fen: Mapped[int] = mapped_column(default=1)  # 100 points = ¥1.00
    points_max_percent: Mapped[int] = mapped_column(default=50)  # of the goods amount
    # shown on bank-transfer orders when the store has not set its own payee details
    transfer_payee: Mapped[str] = mapped_column(String(300), default="")


class OfflineReceipt(db.Model):
    """Money staff recorded as received for an offline-paid order (款到发货, transfers)."""

    __tablename__ = "offline_receipts"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    amount_fen: Mapped[int]
    reference: Mapped[str] = mapped_column(String(100), default="")
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class MonthlyStatement(db.Model):
    """统一结算: one customer's orders at one store in one month, marked settled by staff."""

    __tablename__ = "monthly_statements"
    __table_args__ = (UniqueConstraint("buyer_id", "store_id", "month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    buyer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"), index=True)
    month: Mapped[str] = mapped_column(String(7))  # "2026-11", Asia/Shanghai
    order_count: Mapped[int] = mapped_column(default=0)
    total_fen: Mapped[int] = mapped_column(default=0)
    settled_at: Mapped[datetime | None]
    settled_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reference: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AfterSale(db.Model):
    """A buyer's request for a refund only or a return and refund (SPEC §5)."""

    __tablename__ = "aftersales"

    id: Mapped[int] = mapped_column(primary_key=True)
    no: Mapped[str] = mapped_column(String(32), unique=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    buyer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # refund | return
    status: Mapped[str] = mapped_column(String(20), index=True)
    reason: Mapped[str] = mapped_column(String(50))
    description: Mapped[str] = mapped_column(String(500), default="")
    photos: Mapped[list] = mapped_column(JSON, default=list)  # storage keys
    amount_fen: Mapped[int]  # what the refund returns (never more than was paid for the items)
    reject_reason: Mapped[str] = mapped_column(String(200), default="")
    return_carrier: Mapped[str] = mapped_column(String(50), default="")
    return_tracking_no: Mapped[str] = mapped_column(String(50), default="")
    decided_by_platform: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    items: Mapped[list[AfterSaleItem]] = relationship(
        back_populates="aftersale", cascade="all, delete-orphan", order_by="AfterSaleItem.id"
    )
    order: Mapped[Order] = relationship()


class AfterSaleItem(db.Model):
    __tablename__ = "aftersale_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    aftersale_id: Mapped[int] = mapped_column(
        ForeignKey("aftersales.id", ondelete="CASCADE"), index=True
    )
    order_item_id: Mapped[int] = mapped_column(ForeignKey("order_items.id"), index=True)
    quantity: Mapped[int]
    amount_fen: Mapped[int]

    aftersale: Mapped[AfterSale] = relationship(back_populates="items")
    order_item: Mapped[OrderItem] = relationship()
