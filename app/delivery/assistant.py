"""The platform delivery assistant (配送助手): own riders as a courier (its settings and dispatching
live in `app.delivery.dispatch`)."""

from __future__ import annotations

from app.accounts.actor import Actor
from app.delivery.couriers import COURIERS, move_by_courier
from app.delivery.models import (
    TASK_MACHINE,
    DeliveryTask,
    TaskStatus,
)
from app.delivery.services import SAME_CITY_ONLY, dispatch_settings, ship_with_assistant
from app.errors import InvalidInput
from app.i18n_markers import N_
from app.messages import Message, define
from app.ordering.models import Order
from app.stores.models import StoreKind

ASSISTANT_NOT_CONNECTED = define(
    "assistant_not_connected", N_("配送助手尚未接入平台，暂时不能选择配送助手配送")
)
TASK_CANCELLED = define("task_cancelled", N_("取消配送：%(reason)s"))


@COURIERS.register("assistant")
class AssistantCourier:
    """The platform's own riders: a task goes to the pool (grab) or to staff (assign). Offered
    only once a dispatcher has connected the 配送助手 with the platform's code."""

    name = "assistant"
    label = N_("配送助手")
    kinds = (StoreKind.SAME_CITY,)

    def unavailable(self, order: Order) -> Message | None:
        if order.kind not in self.kinds:
            return SAME_CITY_ONLY()
        if not dispatch_settings().connected:
            return ASSISTANT_NOT_CONNECTED()
        return None

    def create(self, order: Order, actor: Actor) -> DeliveryTask:
        refusal = self.unavailable(order)
        if refusal is not None:
            raise InvalidInput(refusal)
        return ship_with_assistant(order, actor)

    def ship(self, order: Order, actor: Actor) -> DeliveryTask:
        """The store's older 发货 form (app/portals/store/views.py) calls it by this name."""
        return self.create(order, actor)

    def cancel(self, task: DeliveryTask, reason: str, actor: Actor) -> None:
        """Staff (or the system) take the task back; the machine says who may."""
        if task.status in TASK_MACHINE.terminal:
            return
        task.cancel_reason = (reason or "")[:200]
        move_by_courier(task, TaskStatus.CANCELLED, actor, TASK_CANCELLED(reason=reason))

    def query(self, task: DeliveryTask) -> DeliveryTask:
        return task  # own riders tap in this database: it is the truth

    def status_label(self, task: DeliveryTask) -> str:
        return TASK_MACHINE.label(task.status)
