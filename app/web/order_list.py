"""The desktop portals' order lists as rows, not ORM objects.

One Core `select` of the shown columns (the order, who carries it, the store's name where a
list shows it) inside the actor's scope (`order_search`, built on `order_scope`), one query for
the items of the page's orders when the list shows them, and at most one capped count. Labels
are translated once per page, not once per row.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, Select, String, case, cast, func, select
from sqlalchemy.orm import aliased

from app.accounts.actor import Actor
from app.accounts.models import User
from app.delivery.models import TASK_MACHINE, DeliveryTask
from app.extensions import db
from app.ordering.models import Order, OrderItem
from app.ordering.payment import payment_label
from app.ordering.search import NEWEST_FIRST, OrderFilter, order_search
from app.ordering.states import ORDER_MACHINE
from app.stores.models import Store
from app.web.i18n import translate
from app.web.paging import Page, paginate, without_total
from app.wholesale.models import Fulfilment

ITEMS_SHOWN = 3  # a list names an order's first three items, then "等 n 种"

rider = aliased(User, name="rider")
driver = aliased(User, name="driver")
COLUMNS = (
    Order.id,
    Order.no,
    Order.kind,
    Order.status,
    Order.payment_method,
    Order.total_fen,
    Order.contact_name,
    Order.contact_phone,
    Order.created_at,
    DeliveryTask.status.label("task_status"),
    rider.name.label("rider_name"),
    rider.phone.label("rider_phone"),
    driver.name.label("driver_name"),
)


@dataclass(frozen=True)
class OrderRow:
    """What one line of an order list shows, labels already in the reader's language."""

    id: int
    no: str
    kind: str
    status: str
    status_label: str
    payment_method: str
    payment_label: str
    total_fen: int
    contact_name: str
    contact_phone: str
    created_at: object
    task_status: str | None  # None: no same-city delivery task
    task_label: str
    rider_name: str | None
    rider_phone: str | None
    driver_name: str | None
    store_name: str = ""
    items: str = ""  # "椰子汁×2、米粉×1 等 4 种"


def order_list(
    actor: Actor, f: OrderFilter, per_page: int, items: bool = False, store: bool = False
) -> Page:
    """A page of the orders the actor may see that match the filter bar, newest first."""
    return order_rows_of(order_search(actor, f), per_page, items, store)


def order_rows_of(
    where: list[ColumnElement[bool]], per_page: int, items: bool = False, store: bool = False
) -> Page:
    """A page of the orders matching `where` (which holds the actor's scope), newest first, as
    `OrderRow`s: the rows and the capped count in one statement, the items in one more."""
    columns = COLUMNS + ((Store.name.label("store_name"),) if store else ())
    query = (
        select(*columns)
        .select_from(Order)
        .outerjoin(DeliveryTask, DeliveryTask.order_id == Order.id)
        .outerjoin(rider, rider.id == DeliveryTask.rider_id)
        .outerjoin(Fulfilment, Fulfilment.order_id == Order.id)
        .outerjoin(driver, driver.id == Fulfilment.driver_id)
        .where(*where)
        .order_by(*NEWEST_FIRST)
    )
    if store:
        query = query.join(Store, Store.id == Order.store_id)
    page = paginate(
        query, per_page, counted=select(Order.id).where(*where), as_rows=True, count_in_rows=True
    )
    summaries = item_summaries([row.id for row in page.items]) if items else {}
    labels = _Labels()
    page.items = [
        OrderRow(
            **without_total(row),
            status_label=labels.of(ORDER_MACHINE.label, row.status),
            payment_label=labels.of(payment_label, row.payment_method),
            task_label=labels.of(TASK_MACHINE.label, row.task_status) if row.task_status else "",
            items=summaries.get(row.id, ""),
        )
        for row in page.items
    ]
    return page


def item_summaries(order_ids: list[int]) -> dict[int, str]:
    """Each order's first items as "name×quantity", and how many kinds it holds beyond them."""
    if not order_ids:
        return {}
    lines = defaultdict(list)
    query = (
        select(OrderItem.order_id, OrderItem.product_name, OrderItem.quantity)
        .where(OrderItem.order_id.in_(order_ids))
        .order_by(OrderItem.order_id, OrderItem.id)
    )
    for order_id, name, quantity in db.session.execute(query):
        lines[order_id].append(f"{name}×{quantity}")
    comma = _("、")
    summaries = {}
    for order_id, shown in lines.items():
        summary = comma.join(shown[:ITEMS_SHOWN])
        if len(shown) > ITEMS_SHOWN:
            summary += " " + _("等 %(n)s 种", n=len(shown))
        summaries[order_id] = summary
    return summaries


# What the phone lists say of an order's items, summed up in SQL (correlated to the row's order).
ITEM_KINDS = (
    select(func.count()).where(OrderItem.order_id == Order.id).scalar_subquery().label("item_kinds")
)
ITEM_PIECES = (
    select(func.coalesce(func.sum(OrderItem.quantity), 0))
    .where(OrderItem.order_id == Order.id)
    .scalar_subquery()
    .label("item_pieces")
)
FIRST_ITEM = (  # "椰子汁 1L×12 × 3": the first item's name, spec and quantity
    select(
        OrderItem.product_name
        + case((OrderItem.spec != "", " " + OrderItem.spec), else_="")
        + " × "
        + cast(OrderItem.quantity, String)
    )
    .where(OrderItem.order_id == Order.id)
    .order_by(OrderItem.id)
    .limit(1)
    .scalar_subquery()
    .label("first_item")
)


def order_rows(query: Select, per_page: int, *columns) -> Page:
    """A page of an ORM order query (a portal's scoped, filtered, ordered `select(Order)`) read
    as rows of just `columns`: the same WHERE and ORDER BY, so the same orders in the same order,
    and a count of the same WHERE when one is needed."""
    return paginate(
        query.with_only_columns(*columns),
        per_page,
        counted=query.with_only_columns(Order.id),
        as_rows=True,
        count_in_rows=True,
    )


class _Labels:
    """A label (a msgid from the domain) translated once per page for each value it labels."""

    def __init__(self):
        self.seen: dict[tuple, str] = {}

    def of(self, label, value) -> str:
        key = (label, value)
        if key not in self.seen:
            msgid = label(value)
            self.seen[key] = translate(msgid) if msgid else ""
        return self.seen[key]
