"""Where a same-city delivery is, as the buyer and the store see it: the task's state and who
carries it, read through the courier interface (`couriers.progress_of`: our rider, or the rider a
courier platform sent, in that carrier's words), and for our riders, from the rider's last
position, how far they are from the buyer and about when they arrive.

The ETA assumes an e-bike at 15 km/h over the straight-line distance; before pickup the way
goes through the store. A position older than `STALE_AFTER` gives no ETA (only its age): the
rider's phone stopped reporting, and a guess would mislead.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from app.clock import utcnow
from app.delivery.couriers import progress_of
from app.delivery.models import ACTIVE, DeliveryTask, RiderProfile, TaskStatus
from app.delivery.scope import ASSISTANT
from app.delivery.services import task_of
from app.extensions import db
from app.geo.base import Point
from app.geo.distance import distance_km
from app.i18n_markers import N_
from app.ordering.models import Order

SPEED_KMH = 15.0  # an e-bike in town
STALE_AFTER = timedelta(minutes=10)
BEFORE_PICKUP = (TaskStatus.ACCEPTED, TaskStatus.ARRIVED)

# What our rider is doing, in the buyer's words (the same msgids as the buyer's timeline).
LABELS = {
    TaskStatus.WAITING: N_("等待骑手"),
    TaskStatus.ACCEPTED: N_("骑手正赶往商家"),
    TaskStatus.ARRIVED: N_("骑手已到店"),
    TaskStatus.PICKED: N_("骑手已取货"),
    TaskStatus.DELIVERING: N_("骑手配送中"),
    TaskStatus.DELIVERED: N_("已送达"),
    TaskStatus.CANCELLED: N_("配送已取消"),
}


@dataclass(frozen=True)
class DeliveryProgress:
    status: str  # the task's status (a TaskStatus value): the badge's class
    state_label: str  # msgid: the state in the carrier's words (待达达配送 for Dada, not taken)
    courier: str  # "assistant" or a courier platform ("dada")
    courier_label: str  # msgid: who carries it (配送助手, 达达)
    label: str = ""  # msgid: what our rider is doing, in the buyer's words ("" for a platform)
    rider_name: str = ""
    rider_phone: str = ""
    position_at: datetime | None = None  # the rider's last report while on this task
    distance_m: int | None = None  # rider → buyer (through the store before pickup)
    eta_minutes: int | None = None
    via_store: bool = False  # not picked up yet: the distance goes through the store

    @property
    def own_rider(self) -> bool:
        return self.courier == ASSISTANT

    @property
    def position_age_minutes(self) -> int | None:
        if self.position_at is None:
            return None
        return max(0, int((utcnow() - self.position_at).total_seconds() // 60))


def eta_minutes(metres: int) -> int:
    """Minutes at SPEED_KMH, rounded up, at least one."""
    return max(1, math.ceil(metres / 1000 / SPEED_KMH * 60))


def delivery_progress(order: Order, task: DeliveryTask | None = None) -> DeliveryProgress | None:
    """The progress of the order's same-city task; None when it has none."""
    task = task or task_of(order)
    if task is None:
        return None
    carried = progress_of(task)
    values = dict(
        status=task.status,
        state_label=carried.status_label,
        courier=carried.courier,
        courier_label=carried.courier_label,
        rider_name=carried.rider_name,
        rider_phone=carried.rider_phone,
    )
    if carried.courier != ASSISTANT:
        return DeliveryProgress(**values)
    values["label"] = LABELS.get(TaskStatus(task.status), LABELS[TaskStatus.WAITING])
    if task.rider is None or task.status not in ACTIVE:
        return DeliveryProgress(**values)
    profile = db.session.get(RiderProfile, task.rider_id)
    sent_on_task = (
        profile is not None
        and profile.position_at is not None
        and task.accepted_at is not None
        and profile.position_at >= task.accepted_at
    )
    if not sent_on_task:
        return DeliveryProgress(**values)
    values["position_at"] = profile.position_at
    metres, via_store = _remaining_m(task, Point(profile.lat, profile.lng))
    if metres is not None:
        values.update(distance_m=metres, via_store=via_store)
        if utcnow() - profile.position_at <= STALE_AFTER:
            values["eta_minutes"] = eta_minutes(metres)
    return DeliveryProgress(**values)


def _remaining_m(task: DeliveryTask, rider: Point) -> tuple[int | None, bool]:
    """The way left: rider → store → buyer before pickup, rider → buyer after."""
    drop_off = _drop_off(task.order)
    store = task.store
    if task.status in BEFORE_PICKUP:
        if store.lat is None or store.lng is None:
            return None, True
        to_store = distance_km(rider, Point(store.lat, store.lng)) * 1000
        onward = task.distance_m
        if onward is None and drop_off is not None:
            onward = distance_km(Point(store.lat, store.lng), drop_off) * 1000
        if onward is None:
            return None, True
        return round(to_store + onward), True
    if drop_off is None:
        return None, False
    return round(distance_km(rider, drop_off) * 1000), False


def _drop_off(order: Order) -> Point | None:
    """Where the order goes: the address's coordinates copied at checkout."""
    if order.delivery_lat is None or order.delivery_lng is None:
        return None
    return Point(order.delivery_lat, order.delivery_lng)
