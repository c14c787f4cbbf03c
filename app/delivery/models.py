"""A delivery task is the rider's side of one same-city order, with a timestamp per tap."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from app.accounts.models import SYSTEM_ROLE, Role
from app.clock import utcnow
from app.extensions import db
from app.i18n_markers import N_, NP_
from app.statemachine import Machine, moves


class TaskStatus(StrEnum):
    WAITING = "waiting"  # 待接单: in the pool (grab mode) or waiting for staff to assign
    ACCEPTED = "accepted"  # 已接单
    ARRIVED = "arrived"  # 已到店
    PICKED = "picked"  # 已取单
    DELIVERING = "delivering"  # 配送中
    DELIVERED = "delivered"  # 已送达
    CANCELLED = "cancelled"  # 已取消 (the order was closed)


T = TaskStatus
_STAFF = (Role.OPERATOR, Role.SERVICE)
_DISPATCH = (Role.DISPATCHER, *_STAFF)  # the 配送助手's dispatcher, and platform staff

TASK_MACHINE = Machine(
    name="delivery",
    labels={
        T.WAITING: N_("待接单"),
        T.ACCEPTED: N_("已接单"),
        T.ARRIVED: N_("已到店"),
        T.PICKED: N_("已取单"),
        T.DELIVERING: N_("配送中"),
        T.DELIVERED: N_("已送达"),
        T.CANCELLED: N_("已取消"),
    },
    # The verbs are the rider's buttons ("配送" starts the ride); "task action" keeps their
    # English apart from the same words used as headings (a "配送" column is "Delivery").
    # When the order is completed by someone else first (the platform), the system ends the
    # rider's task as delivered, so it never hangs at 配送中.
    moves=moves(
        (T.WAITING, T.ACCEPTED, NP_("task action", "接单"), (Role.RIDER, *_DISPATCH)),
        (T.ACCEPTED, T.ARRIVED, NP_("task action", "到店"), (Role.RIDER,)),
        (T.ARRIVED, T.PICKED, NP_("task action", "取单"), (Role.RIDER,)),
        (T.PICKED, T.DELIVERING, NP_("task action", "配送"), (Role.RIDER,)),
        (T.DELIVERING, T.DELIVERED, NP_("task action", "送达"), (Role.RIDER, SYSTEM_ROLE)),
        (T.ACCEPTED, T.DELIVERED, NP_("task action", "送达"), (SYSTEM_ROLE,)),
        (T.ARRIVED, T.DELIVERED, NP_("task action", "送达"), (SYSTEM_ROLE,)),
        (T.PICKED, T.DELIVERED, NP_("task action", "送达"), (SYSTEM_ROLE,)),
        (T.WAITING, T.CANCELLED, NP_("task action", "取消"), (SYSTEM_ROLE, *_DISPATCH)),
        (T.ACCEPTED, T.CANCELLED, NP_("task action", "取消"), (SYSTEM_ROLE, *_DISPATCH)),
        (T.ARRIVED, T.CANCELLED, NP_("task action", "取消"), (SYSTEM_ROLE, *_DISPATCH)),
        (T.PICKED, T.CANCELLED, NP_("task action", "取消"), (SYSTEM_ROLE, *_STAFF)),
        (T.DELIVERING, T.CANCELLED, NP_("task action", "取消"), (SYSTEM_ROLE, *_STAFF)),
        # a courier platform's rider gave the task back (Dada 改派), or the store sends a task
        # its courier cancelled out again (重新派单)
        (T.ACCEPTED, T.WAITING, NP_("task action", "改派"), (SYSTEM_ROLE,)),
        (T.ARRIVED, T.WAITING, NP_("task action", "改派"), (SYSTEM_ROLE,)),
        (
            T.CANCELLED,
            T.WAITING,
            NP_("task action", "重新派单"),
            (Role.STORE_STAFF, SYSTEM_ROLE, *_STAFF),
        ),
        context="task action",
    ),
    terminal=frozenset({T.DELIVERED, T.CANCELLED}),
)

# Which column records the time of arriving in each state.
ACTIVE = (T.ACCEPTED, T.ARRIVED, T.PICKED, T.DELIVERING)  # on the rider's hands
FINISHED = (T.DELIVERED, T.CANCELLED)

TAP_TIME_COLUMN = {
    T.ACCEPTED: "accepted_at",
    T.ARRIVED: "arrived_at",
    T.PICKED: "picked_at",
    T.DELIVERING: "delivering_at",
    T.DELIVERED: "delivered_at",
    T.CANCELLED: "cancelled_at",
}


class DispatchMode(StrEnum):
    GRAB = "grab"  # 抢单模式: riders see a pool, first to accept wins
    ASSIGN = "assign"  # 分配模式: staff assigns each task to a rider


class DeliveryTask(db.Model):
    __tablename__ = "delivery_tasks"
    __table_args__ = (Index("ix_delivery_tasks_status_announced", "status", "announced_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), unique=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"), index=True)
    rider_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default=T.WAITING)
    mode: Mapped[str] = mapped_column(String(10), default=DispatchMode.GRAB)
    # who carries it: "assistant" (the platform's own riders) or a courier platform ("dada")
    courier: Mapped[str] = mapped_column(
        String(20), default="assistant", server_default="assistant"
    )
    commission_fen: Mapped[int]
    distance_m: Mapped[int | None]  # store to the buyer's address, straight line
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # assign mode
    cancel_reason: Mapped[str] = mapped_column(String(200), default="", server_default="")
    alarmed_at: Mapped[datetime | None]  # nobody accepted in time: the board and store were told
    # A courier platform's side of the task (Dada): its order number, last status code and the
    # rider it sent, its fee and what a cancel cost.
    courier_order_no: Mapped[str | None] = mapped_column(String(64))
    courier_status: Mapped[int | None]
    courier_rider_name: Mapped[str | None] = mapped_column(String(50))
    courier_rider_phone: Mapped[str | None] = mapped_column(String(20))
    courier_fee_fen: Mapped[int | None]
    courier_deduct_fen: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    announced_at: Mapped[datetime | None]  # set by the courier push job: now riders see it
    accepted_at: Mapped[datetime | None]
    arrived_at: Mapped[datetime | None]
    picked_at: Mapped[datetime | None]
    delivering_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]

    order = relationship("Order", backref=backref("delivery_task", uselist=False))
    store = relationship("Store", lazy="selectin")
    rider = relationship("User", lazy="joined", foreign_keys=[rider_id])


class DispatchSettings(db.Model):
    """The platform delivery assistant: its authorisation code and dispatch mode (one row)."""

    __tablename__ = "dispatch_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    auth_code: Mapped[str] = mapped_column(String(32))
    mode: Mapped[str] = mapped_column(String(10), default=DispatchMode.GRAB)
    # A dispatcher entered the code in the 配送助手 back office; regenerating the code ends it.
    connected: Mapped[bool] = mapped_column(default=False)
    connected_at: Mapped[datetime | None]
    connected_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Commission per task: fixed plus per started km of the distance; None = the store's own
    # rider_commission_fen (the rule before the assistant set one).
    commission_fixed_fen: Mapped[int | None]
    commission_per_km_fen: Mapped[int] = mapped_column(default=0, server_default="0")
    alarm_after_minutes: Mapped[int] = mapped_column(default=10, server_default="10")


class RiderStatus(StrEnum):
    PENDING = "pending"  # registered themselves, waits for a dispatcher
    APPROVED = "approved"
    REJECTED = "rejected"
    DISABLED = "disabled"  # sessions ended, cannot log in


class RiderProfile(db.Model):
    """A rider's standing in the 配送助手: approval, vehicle, cap, duty and last position."""

    __tablename__ = "rider_profiles"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    status: Mapped[str] = mapped_column(String(10), default=RiderStatus.APPROVED)
    vehicle: Mapped[str] = mapped_column(String(20), default="")  # 电动车 / 摩托车 / ...
    max_active: Mapped[int] = mapped_column(default=3)  # tasks on hand at once
    on_duty: Mapped[bool] = mapped_column(default=False)  # 开工: sees the pool, gets pushes
    duty_changed_at: Mapped[datetime | None]
    lat: Mapped[float | None]  # last position sent while on a task (WGS-84)
    lng: Mapped[float | None]
    position_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    reviewed_at: Mapped[datetime | None]
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    review_note: Mapped[str] = mapped_column(String(200), default="", server_default="")

    user = relationship("User", foreign_keys=[user_id], lazy="joined")


class TaskTap(db.Model):
    """A rider's tap, remembered by the key the phone made for it: a tap retried after the
    network came back, or replayed, finds its first outcome here and moves nothing again."""

    __tablename__ = "task_taps"
    __table_args__ = (UniqueConstraint("rider_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    rider_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    key: Mapped[str] = mapped_column(String(64))
    task_id: Mapped[int] = mapped_column(ForeignKey("delivery_tasks.id"))
    to_status: Mapped[str] = mapped_column(String(20))
    outcome: Mapped[str] = mapped_column(String(20))  # "moved", "same", "refused"
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class StoreCourier(db.Model):
    """A store's account with a courier platform (Dada): on/off, its shop number and city,
    whether paid orders are dispatched at once, and the balance last read."""

    __tablename__ = "store_couriers"
    __table_args__ = (UniqueConstraint("store_id", "courier"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    courier: Mapped[str] = mapped_column(String(20))  # "dada"
    enabled: Mapped[bool] = mapped_column(default=False)
    shop_no: Mapped[str] = mapped_column(String(64), default="")
    city_code: Mapped[str] = mapped_column(String(20), default="")
    auto_dispatch: Mapped[bool] = mapped_column(default=False)  # on payment, else 立即配送
    balance_alert_fen: Mapped[int] = mapped_column(default=5000)
    balance_fen: Mapped[int | None]
    balance_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class CourierCallback(db.Model):
    """A courier platform's status callback, stored raw before anything acts on it; the key
    (order, status, update time, rider) makes a replay a no-op."""

    __tablename__ = "courier_callbacks"
    __table_args__ = (UniqueConstraint("courier", "dedupe_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    courier: Mapped[str] = mapped_column(String(20))
    dedupe_key: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    task_id: Mapped[int | None] = mapped_column(ForeignKey("delivery_tasks.id"))
    outcome: Mapped[str] = mapped_column(String(40), default="")  # applied / stale / refused ...
