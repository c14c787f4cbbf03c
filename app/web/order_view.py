"""One order, as one audience sees it: the shared order component every portal renders.

Templates get labels, flags and people already decided here (no status, kind or role literals
in templates); what differs per audience (the buyer's words, masked phones for a factory) is
decided here too, from the portal registry's audience.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask import g
from sqlalchemy import select

from app.accounts.models import ROLE_LABELS, SYSTEM_ROLE
from app.delivery.models import TASK_MACHINE
from app.delivery.services import task_of
from app.extensions import db
from app.i18n_markers import N_
from app.messages import MASKED_AUDIENCES, mask_phone, render
from app.ordering.models import Order, OrderEvent
from app.ordering.states import MANAGER_LABELS, ORDER_MACHINE, OrderStatus, buyer_label
from app.stores.models import BusinessStatus
from app.web.i18n import pgettext, translate
from app.web.portals import PORTALS
from app.wholesale.models import Fulfilment, SlipPhoto
from app.wholesale.services import slips_of

SHUT_BEFORE_SHIPPING = N_("该商户已关闭，若已付款，请联系商家处理")
SHUT_AFTER_SHIPPING = N_("该商户已关闭，若之后未收到货，请联系商家处理")
DRIVER_TODO = N_("待送货")


def audience() -> str:
    """Who reads the current page: the audience of the portal being served."""
    portal = PORTALS.get(g.get("portal") or "")
    return portal.audience if portal else "staff"


def render_message(value, reader: str | None = None) -> str:
    """A stored message in the reader's language and view of people's data."""
    return render(value, reader or audience(), translate, pgettext)


def shown_phone(phone: str | None, reader: str) -> str:
    if not phone:
        return ""
    return mask_phone(phone) if reader in MASKED_AUDIENCES else phone


def status_label(order: Order, reader: str) -> str:
    """The order's status in the words of its reader (SPEC §7 wording for the buyer)."""
    if reader == "buyer":
        return translate(buyer_label(order.kind, order.status))
    if reader == "sales":
        return translate(MANAGER_LABELS.get(order.status) or ORDER_MACHINE.label(order.status))
    if reader == "driver" and order.status == OrderStatus.SHIPPED:
        return translate(DRIVER_TODO)
    return translate(ORDER_MACHINE.label(order.status))


@dataclass(frozen=True)
class Carrier:
    """Who brings the order: a same-city rider or a wholesale driver."""

    role: str  # role label, translated
    name: str
    phone: str
    plate: str = ""
    status: str = ""  # the delivery task's status label (riders)
    status_class: str = ""


@dataclass(frozen=True)
class TimelineEntry:
    label: str
    at: datetime
    actor: str
    role: str
    note: str
    machine: str


@dataclass
class OrderView:
    order: Order
    reader: str
    status: str
    status_class: str
    live: bool  # may still move: pages poll it
    carrier: Carrier | None = None
    delivery_status: str = ""  # a task no rider has taken yet
    slips: list[SlipPhoto] = field(default_factory=list)
    timeline: list[TimelineEntry] = field(default_factory=list)
    store_notice: str = ""
    ship_remark: str = ""


def _carrier(order: Order, reader: str) -> tuple[Carrier | None, str]:
    task = task_of(order)
    if task is not None:
        status = translate(TASK_MACHINE.label(task.status))
        if task.rider is None:
            return None, status
        rider = task.rider
        carrier = Carrier(
            translate(N_("骑手")),
            rider.name,
            shown_phone(rider.phone, reader),
            status=status,
            status_class=task.status,
        )
        return carrier, ""
    fulfilment = db.session.get(Fulfilment, order.id)
    if fulfilment is not None and fulfilment.driver is not None:
        driver = fulfilment.driver
        carrier = Carrier(
            translate(N_("司机")),
            driver.name,
            shown_phone(driver.phone, reader),
            plate=driver.plate_no or "",
        )
        return carrier, ""
    return None, ""


def _timeline(order: Order, reader: str) -> list[TimelineEntry]:
    events = db.session.execute(
        select(OrderEvent).where(OrderEvent.order_id == order.id).order_by(OrderEvent.id.desc())
    ).scalars()
    entries = []
    for event in events:
        machine = TASK_MACHINE if event.machine == "delivery" else ORDER_MACHINE
        system = event.actor_role == SYSTEM_ROLE or not event.actor_name
        entries.append(
            TimelineEntry(
                label=translate(machine.label(event.to_status)),
                at=event.created_at,
                actor=translate(ROLE_LABELS[SYSTEM_ROLE]) if system else event.actor_name,
                role=translate(ROLE_LABELS.get(event.actor_role, event.actor_role)),
                note=render_message(event.note, reader),
                machine=event.machine,
            )
        )
    return entries


def shut_store_notice(order: Order) -> str:
    """SPEC §2: what the order centre says when the store has been shut down."""
    if order.store.business_status != BusinessStatus.SHUT:
        return ""
    if order.status == OrderStatus.SHIPPED:
        return translate(SHUT_AFTER_SHIPPING)
    if order.status not in ORDER_MACHINE.terminal:
        return translate(SHUT_BEFORE_SHIPPING)
    return ""


def order_view(order: Order, reader: str | None = None) -> OrderView:
    reader = reader or audience()
    carrier, delivery_status = _carrier(order, reader)
    fulfilment = db.session.get(Fulfilment, order.id)
    slips = slips_of(order)
    return OrderView(
        order=order,
        reader=reader,
        status=status_label(order, reader),
        status_class=order.status,
        live=order.status not in ORDER_MACHINE.terminal,
        carrier=carrier,
        delivery_status=delivery_status,
        slips=slips,
        timeline=_timeline(order, reader),
        store_notice=shut_store_notice(order) if reader == "buyer" else "",
        ship_remark=fulfilment.remark if fulfilment else "",
    )
