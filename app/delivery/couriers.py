"""How a same-city order travels: one courier interface for every way of carrying goods.

A courier is an adapter registered by name in `COURIERS` (the platform's own riders of the
配送助手, Dada, later WeChat 同城配送 or 顺丰同城: one module each):

    unavailable(order) -> Message | None   why it cannot carry this order now (None: it can)
    create(order, actor) -> DeliveryTask   hand the order over (the store's 立即配送, or automatic)
    cancel(task, reason, actor)            stop carrying it
    query(task) -> DeliveryTask            refresh the task from the carrier
    status_label(task) -> str              the carrier's words for where it is (a msgid)

Progress is the DeliveryTask itself: its state in TASK_MACHINE and the timeline rows every move
writes, so the buyer and the store read the same story whoever carries the goods
(`progress_of`). A courier platform's rider moves the task through `move_by_courier`, the same
guard, compare-and-set, event and signals a rider's tap goes through.

Express and logistics shipping (app.ordering.fulfilment: a carrier and a tracking number, the
buyer confirms receipt) and wholesale drivers (app.wholesale: a driver, signed slips) hand orders
over outside this interface: they carry other kinds of orders and keep no delivery task.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from app.accounts.actor import Actor
from app.adapters import Registry
from app.delivery.models import TASK_MACHINE, DeliveryTask, TaskStatus
from app.delivery.services import _move_task
from app.errors import AlreadyTaken, IllegalTransition, InvalidInput
from app.extensions import db
from app.i18n_markers import N_
from app.messages import Message, define
from app.ordering.models import Order

CHOOSE_COURIER = define("choose_courier", N_("请选择配送方式"))

# The way a task goes when a rider (own or a platform's) brings it: each step one move.
PATH = (
    TaskStatus.WAITING,
    TaskStatus.ACCEPTED,
    TaskStatus.ARRIVED,
    TaskStatus.PICKED,
    TaskStatus.DELIVERING,
    TaskStatus.DELIVERED,
)


class Courier(Protocol):
    name: str
    label: str  # N_ msgid: what the store's 立即配送 form says
    kinds: tuple[str, ...]  # the store kinds whose orders it can carry

    def unavailable(self, order: Order) -> Message | None:
        """Why this courier cannot carry the order now (not connected, not enabled), or None."""

    def create(self, order: Order, actor: Actor) -> DeliveryTask:
        """Hand the order over: it ships, and a task records who carries it."""

    def cancel(self, task: DeliveryTask, reason: str, actor: Actor) -> None:
        """Stop carrying it (the carrier is told; its refusal raises)."""

    def query(self, task: DeliveryTask) -> DeliveryTask:
        """Bring the task up to date with the carrier (a no-op where the database is the truth)."""

    def status_label(self, task: DeliveryTask) -> str:
        """Where the task is, in the carrier's words (a msgid)."""


COURIERS: Registry[Courier] = Registry("courier")
# Imported when first asked for; each module registers its class with `@COURIERS.register`.
COURIERS.register_module("assistant", "app.delivery.assistant")
COURIERS.register_module("dada", "app.delivery.dada.courier")


def couriers_for(order: Order) -> dict[str, str]:
    """The couriers a store may choose for this order now: name -> label msgid."""
    found = {}
    for name in COURIERS.names():
        courier = COURIERS.get(name)
        if order.kind in courier.kinds and courier.unavailable(order) is None:
            found[name] = courier.label
    return found


def courier_for(order: Order, name: str) -> Courier:
    """The chosen courier, or a refusal saying why it cannot carry this order (a forged form
    naming a courier that is not offered gets the same sentence the form would have shown)."""
    if name not in COURIERS:
        raise InvalidInput(CHOOSE_COURIER())
    courier = COURIERS.get(name)
    if order.kind not in courier.kinds:
        raise InvalidInput(CHOOSE_COURIER())
    refusal = courier.unavailable(order)
    if refusal is not None:
        raise InvalidInput(refusal)
    return courier


def courier_of(task: DeliveryTask) -> Courier:
    return COURIERS.get(task.courier or "assistant")


# ---- progress: the task, read the same way for every courier ---------------------------------


@dataclass(frozen=True)
class Progress:
    courier: str  # "assistant", "dada"
    courier_label: str  # msgid
    status: str  # TaskStatus
    status_label: str  # msgid, the carrier's words ("待达达配送")
    rider_name: str
    rider_phone: str
    fee_fen: int | None  # what the carrier charges the store (a courier platform)
    deduct_fen: int | None  # what cancelling it cost
    finished: bool


def progress_of(task: DeliveryTask) -> Progress:
    """Who carries the task and where it is: own riders from the rider's account, a courier
    platform's rider from the platform's callback (courier_rider_*)."""
    courier = courier_of(task)
    if task.rider is not None:
        name, phone = task.rider.name, task.rider.phone
    else:
        name, phone = task.courier_rider_name or "", task.courier_rider_phone or ""
    return Progress(
        courier=courier.name,
        courier_label=courier.label,
        status=task.status,
        status_label=courier.status_label(task),
        rider_name=name,
        rider_phone=phone,
        fee_fen=task.courier_fee_fen,
        deduct_fen=task.courier_deduct_fen,
        finished=task.status in TASK_MACHINE.terminal,
    )


# ---- moves made by a courier platform --------------------------------------------------------


def move_by_courier(task: DeliveryTask, to: str, actor: Actor, note: Message | None = None) -> bool:
    """One move of the task machine on a courier's word, through the same compare-and-set,
    timeline row and delivery signals as every other move (`services._move_task`). False when
    the task is already there or a twin (a concurrent callback) moved it first; a move the
    machine does not allow is refused as always."""
    if task.status == to:
        return False
    TASK_MACHINE.guard(task.status, to, actor.role)
    db.session.flush()
    try:
        _move_task(task, to, actor, rider_check=False, note=note)
    except (AlreadyTaken, IllegalTransition):
        return False
    return True


def walk_to(task: DeliveryTask, target: str, actor: Actor, note: Message | None = None) -> bool:
    """Forward along PATH to `target`, one move per step: a platform that reports 配送中 while
    we last heard 已接单 has been at the store and picked up on the way. Never backwards."""
    if task.status not in PATH or target not in PATH:
        return False
    moved = False
    for step in PATH[PATH.index(task.status) + 1 : PATH.index(target) + 1]:
        if task.status not in PATH or PATH.index(task.status) >= PATH.index(step):
            continue  # a twin got here first
        moved = move_by_courier(task, step, actor, note) or moved
    return moved
