"""Dada as one of the couriers a store may choose (registered in `COURIERS` as "dada")."""

from __future__ import annotations

from app.accounts.actor import Actor
from app.delivery.couriers import COURIERS
from app.delivery.dada import account, codes, services
from app.delivery.dada.status import SHOW_FEE_FIRST
from app.delivery.models import DeliveryTask
from app.errors import IllegalTransition, InvalidInput
from app.i18n_markers import N_
from app.messages import Message
from app.ordering.models import Order
from app.stores.models import StoreKind


@COURIERS.register("dada")
class DadaCourier:
    """达达: offered to a same-city store that turned it on (with its shop number and city)."""

    name = "dada"
    label = N_("达达配送")
    kinds = (StoreKind.SAME_CITY,)

    def unavailable(self, order: Order) -> Message | None:
        return account.unavailable(order)

    def create(self, order: Order, actor: Actor) -> DeliveryTask:
        """Hand over without a fee shown (the automatic dispatch on payment): the job checks
        the balance against Dada's fee before it sends anything."""
        account.account_for(order)
        task = services.hand_over(order, actor, services.SHIPPED_BY_DADA())
        return task

    def ship(self, order: Order, actor: Actor) -> DeliveryTask:
        """The store's older 发货 form: a store always sees Dada's fee before it confirms."""
        raise IllegalTransition(SHOW_FEE_FIRST())

    def cancel(self, task: DeliveryTask, reason: str, actor: Actor) -> None:
        """Cancel at Dada with reason 其他 and the given words."""
        if not reason.strip():
            raise InvalidInput(services.REASON_TEXT())
        services.cancel(task, actor, services.OTHER_REASON_ID, reason)

    def query(self, task: DeliveryTask) -> DeliveryTask:
        if task.courier_order_no:
            services.refresh(task)
        return task

    def status_label(self, task: DeliveryTask) -> str:
        return codes.label(task.courier_status)
