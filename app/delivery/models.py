"""A delivery task is the rider's side of one same-city order, with a timestamp per tap."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String
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
        (T.WAITING, T.ACCEPTED, NP_("task action", "接单"), (Role.RIDER, *_STAFF)),
        (T.ACCEPTED, T.ARRIVED, NP_("task action", "到店"), (Role.RIDER,)),
        (T.ARRIVED, T.PICKED, NP_("task action", "取单"), (Role.RIDER,)),
        (T.PICKED, T.DELIVERING, NP_("task action", "配送"), (Role.RIDER,)),
        (T.DELIVERING, T.DELIVERED, NP_("task action", "送达"), (Role.RIDER, SYSTEM_ROLE)),
        (T.ACCEPTED, T.DELIVERED, NP_("task action", "送达"), (SYSTEM_ROLE,)),
        (T.ARRIVED, T.DELIVERED, NP_("task action", "送达"), (SYSTEM_ROLE,)),
        (T.PICKED, T.DELIVERED, NP_("task action", "送达"), (SYSTEM_ROLE,)),
        (T.WAITING, T.CANCELLED, NP_("task action", "取消"), (SYSTEM_ROLE, *_STAFF)),
        (T.ACCEPTED, T.CANCELLED, NP_("task action", "取消"), (SYSTEM_ROLE, *_STAFF)),
        (T.ARRIVED, T.CANCELLED, NP_("task action", "取消"), (SYSTEM_ROLE, *_STAFF)),
        (T.PICKED, T.CANCELLED, NP_("task action", "取消"), (SYSTEM_ROLE, *_STAFF)),
        (T.DELIVERING, T.CANCELLED, NP_("task action", "取消"), (SYSTEM_ROLE, *_STAFF)),
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
    commission_fen: Mapped[int]
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
    rider = relationship("User", lazy="joined")


class DispatchSettings(db.Model):
    """The platform delivery assistant: its authorisation code and dispatch mode (one row)."""

    __tablename__ = "dispatch_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    auth_code: Mapped[str] = mapped_column(String(32))
    mode: Mapped[str] = mapped_column(String(10), default=DispatchMode.GRAB)
    connected: Mapped[bool] = mapped_column(default=True)
