"""The store's and the platform's order lists, filtered further (payment method, delivery
option, the contact's name), and streamed to CSV or Excel.

The exports follow `app.stores.export`: rows read with `yield_per` (a server-side cursor on
PostgreSQL), each written as it comes — CSV straight into the response, XLSX through openpyxl's
write-only workbook on disk, sent in chunks. Items are read per batch of orders, one query each.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

from openpyxl import Workbook
from sqlalchemy import ColumnElement, or_, select

from app.accounts.actor import Actor
from app.accounts.models import User
from app.clock import to_local
from app.extensions import db
from app.i18n_markers import N_
from app.money import format_fen
from app.ordering.models import Order, OrderItem
from app.ordering.payment import DELIVERY_OPTIONS, PAYMENT_METHODS
from app.ordering.search import NEWEST_FIRST, OrderFilter, order_search
from app.ordering.states import ORDER_MACHINE
from app.stores.export import BOM, FORMULA_STARTS, file_chunks, remove_file

YIELD_PER = 500


__all__ = [
    "OrderQuery",
    "csv_lines",
    "file_chunks",
    "order_where",
    "remove_file",
    "write_xlsx",
]


@dataclass(frozen=True)
class OrderQuery(OrderFilter):
    """The filter bar of the desktop order lists: `OrderFilter` and two more choices."""

    payment_method: str | None = None
    delivery_option: str | None = None


def order_where(actor: Actor, f: OrderFilter) -> list[ColumnElement[bool]]:
    """`order_search` (the actor's scope and the filter bar), where the keyword also matches the
    contact's name, and the payment method and delivery option when chosen."""
    where = order_search(actor, replace(f, q="") if f.q else f)
    if f.q:
        buyers = select(User.id).where(User.phone == f.q)
        where.append(
            or_(
                Order.no.contains(f.q, autoescape=True),
                Order.contact_phone.contains(f.q, autoescape=True),
                Order.contact_name.contains(f.q, autoescape=True),
                Order.buyer_id.in_(buyers),
            )
        )
    if isinstance(f, OrderQuery):
        if f.payment_method in PAYMENT_METHODS:
            where.append(Order.payment_method == f.payment_method)
        if f.delivery_option in DELIVERY_OPTIONS:
            where.append(Order.delivery_option == f.delivery_option)
    return where


EXPORT_HEADERS = (
    N_("订单号"),
    N_("下单时间"),
    N_("状态"),
    N_("支付方式"),
    N_("配送方式"),
    N_("收货人"),
    N_("电话"),
    N_("地址"),
    N_("商品"),
    N_("件数"),
    N_("商品金额"),
    N_("运费"),
    N_("优惠"),
    N_("实付"),
    N_("已退款"),
    N_("物流公司"),
    N_("运单号"),
    N_("买家留言"),
)
EXPORT_COLUMNS = (
    Order.id,
    Order.no,
    Order.created_at,
    Order.status,
    Order.payment_method,
    Order.delivery_option,
    Order.contact_name,
    Order.contact_phone,
    Order.address,
    Order.goods_fen,
    Order.delivery_fee_fen,
    Order.platform_discount_fen,
    Order.points_discount_fen,
    Order.store_discount_fen,
    Order.total_fen,
    Order.refunded_fen,
    Order.carrier,
    Order.tracking_no,
    Order.buyer_remark,
)


def _cell(value: Any) -> Any:
    """Text a person typed stays text in Excel, never a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _yuan(fen: int) -> str:
    return format_fen(fen or 0, symbol="")


def _items_of(order_ids: Sequence[int]) -> dict[int, tuple[str, int]]:
    """Each order's items as "name spec×quantity; ..." and its number of pieces."""
    lines: dict[int, list[str]] = defaultdict(list)
    pieces: dict[int, int] = defaultdict(int)
    query = (
        select(OrderItem.order_id, OrderItem.product_name, OrderItem.spec, OrderItem.quantity)
        .where(OrderItem.order_id.in_(order_ids))
        .order_by(OrderItem.order_id, OrderItem.id)
    )
    for order_id, name, spec, quantity in db.session.execute(query):
        lines[order_id].append(f"{name}{' ' + spec if spec else ''}×{quantity}")
        pieces[order_id] += quantity
    return {oid: ("; ".join(lines[oid]), pieces[oid]) for oid in lines}


def _export_rows(
    actor: Actor, f: OrderFilter, translate: Callable[[str], str]
) -> Iterator[list[Any]]:
    labels: dict[str, str] = {}

    def label(msgid: str) -> str:
        if msgid not in labels:
            labels[msgid] = translate(msgid) if msgid else ""
        return labels[msgid]

    query = (
        select(*EXPORT_COLUMNS)
        .where(*order_where(actor, f))
        .order_by(*NEWEST_FIRST)
        .execution_options(yield_per=YIELD_PER)
    )
    result = db.session.execute(query)
    for batch in result.partitions(YIELD_PER):
        items = _items_of([row.id for row in batch])
        for row in batch:
            summary, pieces = items.get(row.id, ("", 0))
            created = to_local(row.created_at)
            discount = row.platform_discount_fen + row.points_discount_fen + row.store_discount_fen
            yield [
                row.no,
                created.strftime("%Y-%m-%d %H:%M") if created else "",
                label(ORDER_MACHINE.label(row.status)),
                label(PAYMENT_METHODS.get(row.payment_method, row.payment_method)),
                label(DELIVERY_OPTIONS.get(row.delivery_option, row.delivery_option)),
                _cell(row.contact_name),
                _cell(row.contact_phone),
                _cell(row.address),
                _cell(summary),
                pieces,
                _yuan(row.goods_fen),
                _yuan(row.delivery_fee_fen),
                _yuan(discount),
                _yuan(row.total_fen),
                _yuan(row.refunded_fen),
                label(row.carrier) if row.carrier else "",
                row.tracking_no or "",
                _cell(row.buyer_remark),
            ]


def csv_lines(actor: Actor, f: OrderFilter, translate: Callable[[str], str] = str) -> Iterator[str]:
    """The export as CSV text, a line at a time, starting with the UTF-8 byte order mark."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def line(cells) -> str:
        writer.writerow(cells)
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    yield BOM + line([translate(header) for header in EXPORT_HEADERS])
    for cells in _export_rows(actor, f, translate):
        yield line(cells)


def write_xlsx(actor: Actor, f: OrderFilter, translate: Callable[[str], str] = str) -> str:
    """The export as an .xlsx file on disk (write-only workbook); the caller removes it."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(translate(N_("订单")))
    sheet.append([translate(header) for header in EXPORT_HEADERS])
    for cells in _export_rows(actor, f, translate):
        sheet.append(cells)
    handle, path = tempfile.mkstemp(prefix="orders-", suffix=".xlsx")
    os.close(handle)
    try:
        workbook.save(path)
    except BaseException:
        remove_file(path)
        raise
    return path
