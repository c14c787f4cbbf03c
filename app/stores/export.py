"""The platform's store list: one search, paged on the page and streamed to CSV or Excel.

Both exports read the rows with `yield_per` (a server-side cursor on PostgreSQL) and write each
row as it comes: CSV straight into the response, XLSX through openpyxl's write-only workbook
(rows go to a temporary file, the zip is built on disk and sent in chunks). Memory stays flat
whatever the number of stores (tests/web/platform/test_stores.py measures it).
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from openpyxl import Workbook
from sqlalchemy import Select, or_, select

from app.accounts.models import User
from app.clock import to_local
from app.extensions import db
from app.i18n_markers import N_
from app.money import format_fen
from app.stores.models import BUSINESS_STATUS_LABELS, KIND_LABELS, BusinessStatus, Store

DELETED = "deleted"  # the status filter's extra choice: deleted stores, gone from every other list
YIELD_PER = 500
CHUNK_BYTES = 64 * 1024
BOM = "\ufeff"  # Excel reads a CSV as UTF-8 (and shows Chinese) only after this mark
# A cell starting with one of these is a formula to Excel: a store name such as
# "=HYPERLINK(...)" typed by an applicant must stay text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

LIST_COLUMNS = (
    Store.id,
    Store.name,
    Store.kind,
    Store.category,
    Store.business_status,
    Store.rating,
    Store.phone,
    Store.address,
    Store.opens_at,
    Store.closes_at,
    Store.avg_spend_fen,
    Store.printer_host,
    Store.printer_port,
    Store.created_at,
    Store.deleted_at,
    User.name.label("owner_name"),
    User.phone.label("owner_phone"),
)

EXPORT_HEADERS = (
    N_("店铺ID"),
    N_("店铺名称"),
    N_("类型"),
    N_("经营类目"),
    N_("店主"),
    N_("店主手机"),
    N_("联系电话"),
    N_("店铺地址"),
    N_("营业状态"),
    N_("星级"),
    N_("营业时间"),
    N_("人均消费"),
    N_("入驻时间"),
)


@dataclass(frozen=True)
class StoreFilter:
    """What the platform typed into the store list's filter bar; empty values filter nothing."""

    name: str = ""
    phone: str = ""  # the owner's account phone or the store's contact phone
    category: str = ""
    status: str | None = None  # a BusinessStatus, or DELETED
    kind: str | None = None


def store_search(f: StoreFilter) -> Select:
    """The matching stores as rows of LIST_COLUMNS, newest first. Deleted stores appear only
    when the filter asks for them."""
    query = select(*LIST_COLUMNS).select_from(Store).outerjoin(User, User.id == Store.owner_id)
    if f.status == DELETED:
        query = query.where(Store.deleted_at.is_not(None))
    else:
        query = query.where(Store.deleted_at.is_(None))
        if f.status:
            query = query.where(Store.business_status == f.status)
    if f.name:
        query = query.where(Store.name.contains(f.name, autoescape=True))
    if f.phone:
        query = query.where(
            or_(
                User.phone.contains(f.phone, autoescape=True),
                Store.phone.contains(f.phone, autoescape=True),
            )
        )
    if f.category:
        query = query.where(Store.category.contains(f.category, autoescape=True))
    if f.kind:
        query = query.where(Store.kind == f.kind)
    return query.order_by(Store.created_at.desc(), Store.id.desc())


def status_label(status: str, deleted: bool = False) -> str:
    if deleted:
        return N_("已删除")
    return BUSINESS_STATUS_LABELS.get(BusinessStatus(status), status) if status else ""


def hours_label(opens_at: str, closes_at: str) -> str:
    return f"{opens_at}-{closes_at}"


def _cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _export_rows(f: StoreFilter, translate: Callable[[str], str]) -> Iterator[list[Any]]:
    """Each matching store as the cells of one export line, read YIELD_PER at a time."""
    labels: dict[str, str] = {}  # translated once per export, not once per row

    def label(msgid: str) -> str:
        if msgid not in labels:
            labels[msgid] = translate(msgid) if msgid else ""
        return labels[msgid]

    result = db.session.execute(store_search(f).execution_options(yield_per=YIELD_PER))
    for row in result:
        created = to_local(row.created_at)
        yield [
            row.id,
            _cell(row.name),
            label(KIND_LABELS.get(row.kind, "")),
            _cell(row.category),
            _cell(row.owner_name or ""),
            row.owner_phone or "",
            _cell(row.phone),
            _cell(row.address),
            label(status_label(row.business_status, row.deleted_at is not None)),
            row.rating,
            hours_label(row.opens_at, row.closes_at),
            format_fen(row.avg_spend_fen, symbol="") if row.avg_spend_fen else "",
            created.strftime("%Y-%m-%d %H:%M") if created else "",
        ]


def csv_lines(f: StoreFilter, translate: Callable[[str], str] = str) -> Iterator[str]:
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
    for cells in _export_rows(f, translate):
        yield line(cells)


def write_xlsx(f: StoreFilter, translate: Callable[[str], str] = str) -> str:
    """The export as an .xlsx file on disk (write-only workbook); the caller removes it."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(translate(N_("店铺")))
    sheet.append([translate(header) for header in EXPORT_HEADERS])
    for cells in _export_rows(f, translate):
        sheet.append(cells)
    handle, path = tempfile.mkstemp(prefix="stores-", suffix=".xlsx")
    os.close(handle)
    try:
        workbook.save(path)
    except BaseException:
        os.unlink(path)
        raise
    return path


def file_chunks(path: str) -> Iterator[bytes]:
    """The file in CHUNK_BYTES pieces, removed once read (or when the reader stops early)."""
    try:
        with open(path, "rb") as stream:
            while chunk := stream.read(CHUNK_BYTES):
                yield chunk
    finally:
        remove_file(path)


def remove_file(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)
