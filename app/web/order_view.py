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

from app.accounts.actor import Actor
from app.accounts.models import ROLE_LABELS, SYSTEM_ROLE
from app.delivery.couriers import progress_of
from app.delivery.models import TASK_MACHINE
from app.delivery.services import task_of
from app.extensions import db
from app.i18n_markers import N_
from app.messages import MASKED_AUDIENCES, define, mask_phone, render
from app.ordering.aftersale_states import AFTERSALE_TIMELINE
from app.ordering.export import order_where
from app.ordering.models import Order, OrderEvent
from app.ordering.search import OrderFilter
from app.ordering.states import (
    MANAGER_LABELS,
    ORDER_MACHINE,
    PICKUP,
    OrderStatus,
    buyer_label,
    buyer_words,
    travelled_option,
)
from app.stores.models import BusinessStatus
from app.web.i18n import pgettext, translate
from app.web.order_list import order_rows_of
from app.web.paging import Page
from app.web.portals import PORTALS
from app.wholesale.models import Fulfilment, SlipPhoto
from app.wholesale.services import slips_of

SHUT_BEFORE_SHIPPING = N_("该商户已关闭，若已付款，请联系商家处理")
SHUT_AFTER_SHIPPING = N_("该商户已关闭，若之后未收到货，请联系商家处理")
DRIVER_TODO = N_("待送货")

# The buyer reads the delivery task in their own words, not the rider's buttons (接单, 取单).
BUYER_TASK_WORDS = {
    "waiting": N_("等待骑手"),
    "accepted": N_("骑手正赶往商家"),
    "arrived": N_("骑手已到店"),
    "picked": N_("骑手已取货"),
    "delivering": N_("骑手配送中"),
    "delivered": N_("已送达"),
    "cancelled": N_("配送已取消"),
}
# Timeline notes the buyer reads differently from the store (staff jargon in buyer words).
# Each is a message kind read with the stored note's parameters.
BUYER_NOTES = {
    "pushed_to_assistant": define("buyer_pushed_to_assistant", N_("商家已安排骑手配送")),
    "shipped_by_assistant": define("buyer_shipped_by_assistant", N_("商家已发货，由平台骑手配送")),
    "store_accepted": define("buyer_store_accepted", N_("商家已确认订单，正在备货")),
    "manager_confirmed": define("buyer_order_confirmed", N_("订单已确认")),
    "service_confirmed": define("buyer_order_confirmed", N_("订单已确认")),
    "driver_assigned": define("buyer_driver_assigned", N_("司机 %(name)s（%(phone)s）为您送货")),
    "task_ended_with_order": define("buyer_delivery_done", N_("配送已完成")),
    "task_alarm": define("buyer_task_alarm", N_("正在为您加急安排骑手")),
    "task_assigned": define("buyer_task_assigned", N_("骑手 %(name)s（%(phone)s）为您配送")),
    "task_reassigned": define("buyer_task_reassigned", N_("已为您更换骑手 %(name)s（%(phone)s）")),
    "task_cancelled_by_dispatch": define("buyer_task_cancelled", N_("配送已取消，商家将重新安排")),
    "order_back_to_store": define("buyer_back_to_store", N_("商家将重新安排配送")),
}
# Who acted, as the buyer knows them.
BUYER_ROLES = {
    "store_staff": N_("商家"),
    "operator": N_("平台客服"),
    "service": N_("平台客服"),
    "dispatcher": N_("平台配送"),
}


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
        return translate(buyer_words(order))
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
    if task is not None:  # own riders or a courier platform's rider: one reading (progress_of)
        progress = progress_of(task)
        status = translate(progress.status_label)
        if not progress.rider_name:
            return None, status
        carrier = Carrier(
            translate(N_("骑手")),
            progress.rider_name,
            shown_phone(progress.rider_phone, reader),
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


def _buyer_entry(order: Order, event: OrderEvent) -> TimelineEntry:
    """One timeline row in the buyer's words: their status words, no staff names or jargon."""
    if event.machine == "delivery":
        label = BUYER_TASK_WORDS.get(event.to_status, N_("配送中"))
    elif event.machine == "aftersale":
        label = AFTERSALE_TIMELINE.label(event.to_status)
    else:
        by_courier = (
            bool(order.courier_confirms)
            if event.to_status in (OrderStatus.SHIPPED, OrderStatus.COMPLETED)
            else None
        )
        label = buyer_label(order.kind, event.to_status, travelled_option(order), by_courier)
    role = translate(ROLE_LABELS.get(event.actor_role, event.actor_role))
    if event.actor_role == SYSTEM_ROLE or not event.actor_name:
        actor = role = translate(ROLE_LABELS[SYSTEM_ROLE])
    elif event.actor_role == "store_staff":
        actor, role = order.store.name, translate(BUYER_ROLES["store_staff"])
    elif event.actor_role in BUYER_ROLES:
        actor = role = translate(BUYER_ROLES[event.actor_role])
    else:
        actor = event.actor_name  # the buyer themself, their rider or driver
    stored = event.note if isinstance(event.note, dict) else {}
    kind = BUYER_NOTES.get(stored.get("code"))
    if kind is not None:
        params = {name: value for name, value in stored.items() if name != "code"}
        note = render_message(kind(**params), "buyer")
    else:
        note = render_message(event.note, "buyer")
    return TimelineEntry(
        label=translate(label),
        at=event.created_at,
        actor=actor,
        role=role,
        note=note,
        machine=event.machine,
    )


def _timeline(order: Order, reader: str) -> list[TimelineEntry]:
    events = db.session.execute(
        select(OrderEvent).where(OrderEvent.order_id == order.id).order_by(OrderEvent.id.desc())
    ).scalars()
    if reader == "buyer":
        return [_buyer_entry(order, event) for event in events]
    entries = []
    for event in events:
        machine = {"delivery": TASK_MACHINE, "aftersale": AFTERSALE_TIMELINE}.get(
            event.machine, ORDER_MACHINE
        )
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


def buyer_status(order: Order) -> str:
    """The status of an order in the buyer's words (lists and cards)."""
    return translate(buyer_words(order))


def is_pickup(order: Order) -> bool:
    return order.delivery_option == PICKUP


# ---- the desktop order lists with the fuller filter -----------------------------------------


def order_page(
    actor: Actor, f: OrderFilter, per_page: int, items: bool = False, store: bool = False
) -> Page:
    """The store's and the platform's order lists: the filter bar of `order_list` plus payment
    method, delivery option and the contact's name (`order_where`, which holds the scope)."""
    return order_rows_of(order_where(actor, f), per_page, items, store)
