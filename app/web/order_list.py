"""The order lists as rows, not ORM objects.

One Core `select` of the shown columns (the order, who carries it, the store's name where a
list shows it, its first items summed up in SQL) inside the actor's scope (`order_search`,
built on `order_scope`), with the capped count and the layout's figures beside the rows: one
statement, built once per shape of its WHERE (`paging.shaped_page`). Labels are translated once
per page, not once per row.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from sqlalchemy import ColumnElement, ScalarSelect, Select, String, case, cast, func, select
from sqlalchemy.orm import aliased

from app.accounts.actor import Actor
from app.accounts.models import User
from app.delivery.models import TASK_MACHINE, DeliveryTask
from app.i18n_markers import N_
from app.ordering.models import Order, OrderItem
from app.ordering.payment import payment_label
from app.ordering.search import NEWEST_FIRST, OrderFilter, order_search, pieces_of
from app.ordering.states import ORDER_MACHINE
from app.stores.models import Store
from app.web.i18n import translate
from app.web.layout_facts import layout_facts
from app.web.paging import Page, shaped_page, without_total
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
    `OrderRow`s: the rows, the capped count and the layout's figures in one statement, built
    once per shape of `where` (`shaped_page`)."""
    page = shaped_page(
        where,
        partial(_order_list_statement, items=items, store=store),
        per_page,
        shape=("order_list", items, store),
        facts=layout_facts(),
    )
    labels = _Labels()
    item_summary = ItemSummary()
    page.items = [
        OrderRow(
            **{k: v for k, v in without_total(row).items() if k not in ITEM_COLUMNS},
            status_label=labels.of(ORDER_MACHINE.label, row.status),
            payment_label=labels.of(payment_label, row.payment_method),
            task_label=labels.of(TASK_MACHINE.label, row.task_status) if row.task_status else "",
            items=item_summary(row.item_lines, row.item_kinds) if items else "",
        )
        for row in page.items
    ]
    return page


def _order_list_statement(
    where: list[ColumnElement[bool]], items: bool, store: bool
) -> tuple[Select, Select]:
    columns = (
        COLUMNS
        + ((Store.name.label("store_name"),) if store else ())
        + ((ITEM_LINES, ITEM_KINDS) if items else ())
    )
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
    return query, select(Order.id).where(*where)


ITEM_COLUMNS = frozenset({"item_lines", "item_kinds"})
SEPARATOR = "\x1f"  # joins the first items in SQL; the page's own comma replaces it


def _first_items() -> ScalarSelect:
    """The order's first ITEMS_SHOWN items as "name×quantity", joined by SEPARATOR, in SQL."""
    first = (
        select((OrderItem.product_name + "×" + cast(OrderItem.quantity, String)).label("line"))
        .where(OrderItem.order_id == Order.id)
        .order_by(OrderItem.id)
        .limit(ITEMS_SHOWN)
        .correlate(Order)  # the list's row, two levels up; PostgreSQL aggregates a sorted
        # subquery in its order ("will usually work", its manual; the tests check the order)
        .subquery()
    )
    return select(func.aggregate_strings(first.c.line, SEPARATOR)).scalar_subquery()


ITEM_LINES = _first_items().label("item_lines")
ITEM_KINDS = (
    select(func.count()).where(OrderItem.order_id == Order.id).scalar_subquery().label("item_kinds")
)


class ItemSummary:
    """ "椰子汁×2、米粉×1 等 4 种": an order's first items in the reader's language (the words
    translated once per page)."""

    def __init__(self):
        self.comma = translate(N_("、"))
        self.more = translate(N_("等 %(n)s 种"))

    def __call__(self, lines: str | None, kinds: int) -> str:
        summary = (lines or "").replace(SEPARATOR, self.comma)
        if kinds > ITEMS_SHOWN:
            summary += " " + self.more % {"n": kinds}
        return summary


# What the phone lists say of an order's items, summed up in SQL (correlated to the row's order).
ITEM_PIECES = pieces_of(Order.id).label("item_pieces")
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


def order_rows(
    listed: tuple[list[ColumnElement[bool]], tuple[ColumnElement, ...]],
    per_page: int,
    *columns,
    cap: int | None = None,
) -> Page:
    """A page of a phone portal's list (`listed`: the WHERE of its orders, with the actor's
    scope, and their order) read as rows of just `columns`, with a count of the same WHERE (up
    to `cap`) when one is needed: one statement, built once per shape (`shaped_page`)."""
    where, ordering = listed

    def build(where: list[ColumnElement[bool]]) -> tuple[Select, Select]:
        rows = select(*columns).select_from(Order).where(*where).order_by(*ordering)
        return rows, select(Order.id).where(*where)

    return shaped_page(
        where,
        build,
        per_page,
        shape=("order_rows", ordering, columns),
        cap=cap,
        facts=layout_facts(),
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
