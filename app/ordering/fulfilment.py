"""How a store hands its orders over without a rider or a driver: by an express company or a
logistics line with a tracking number (one by one, or a batch from an Excel file), to the buyer
who comes with a pickup code (到店自提, 核销), and a wholesale store confirming its own orders.

The buyer confirms receipt of a parcel (`courier_confirms` False): `services._follow_move`
schedules the automatic receipt as for every such shipment.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from typing import BinaryIO

from openpyxl import Workbook, load_workbook
from sqlalchemy import select

from app.accounts.actor import Actor
from app.accounts.models import Role
from app.clock import utcnow
from app.errors import DomainError, Forbidden, IllegalTransition, InvalidInput
from app.extensions import db
from app.i18n_markers import N_
from app.messages import Message, define, render
from app.ordering.models import Order
from app.ordering.scope import order_numbered
from app.ordering.services import move_order_once
from app.ordering.states import ORDER_MACHINE, PICKUP, OrderStatus
from app.statemachine import MOVE_NOT_ALLOWED
from app.stores.models import Store, StoreKind

# The carriers a store picks from (a free name would make tracking links and reports a mess).
CARRIERS = (
    N_("顺丰速运"),
    N_("中通快递"),
    N_("圆通速递"),
    N_("韵达快递"),
    N_("申通快递"),
    N_("极兔速递"),
    N_("京东物流"),
    N_("邮政EMS"),
    N_("德邦物流"),
    N_("其他物流"),
)
TRACKING_NO = re.compile(r"^[A-Za-z0-9-]{6,30}$")
BATCH_COLUMNS = (N_("订单号"), N_("物流公司"), N_("运单号"))
MAX_BATCH_ROWS = 2000
MAX_BATCH_LINES = 10 * MAX_BATCH_ROWS  # lines read at all, blank ones included
MAX_BATCH_BYTES = 5 * 1024 * 1024
PICKUP_CODE_MAX = 12

CHOOSE_CARRIER = define("choose_carrier", N_("请选择物流公司"))
TRACKING_FORMAT = define("tracking_format", N_("请填写正确的运单号（6-30 位字母、数字或短横线）"))
STORE_ONLY_SHIPS = define("store_only_ships", N_("只能发自己店铺的订单"))
NOT_EXCEL = define("not_excel", N_("请上传 Excel 文件（.xlsx）"))
FILE_TOO_BIG = define("batch_file_too_big", N_("文件太大，请不超过 5 MB"))
MISSING_COLUMNS = define(
    "batch_missing_columns", N_("第一行须是表头：订单号、物流公司、运单号（缺少「%(name)s」）")
)
TOO_MANY_ROWS = define("batch_too_many_rows", N_("一次最多 %(max)s 行，请分批上传"))
EMPTY_BATCH = define("batch_empty", N_("文件里没有要发货的订单"))
NO_SUCH_ORDER = define("batch_no_such_order", N_("找不到本店的订单「%(no)s」"))
SHIPPED_OTHERWISE = define("shipped_otherwise", N_("订单已发货（%(carrier)s %(tracking_no)s）"))
PICKUP_CODE_REQUIRED = define("pickup_code_required", N_("请输入提货码"))
PICKUP_CODE_UNKNOWN = define("pickup_code_unknown", N_("提货码不正确，或不是本店的订单"))
PICKUP_CODE_USED = define("pickup_code_used", N_("该提货码已使用（订单 %(no)s）"))
PICKUP_ORDER_CLOSED = define("pickup_order_closed", N_("订单 %(no)s 已关闭，不能提货"))
NOT_WHOLESALE_ORDER = define("not_wholesale_order", N_("只有批发订单需要确认"))

# Timeline notes (the buyer reads them too: plain words)
SHIPPED_BY_CARRIER = define(
    "shipped_by_carrier", N_("已发货：%(carrier)s，运单号 %(tracking_no)s"), ("carrier",)
)
PICKED_UP = define("picked_up", N_("买家到店自提，提货码已核销"))
STORE_CONFIRMED = define("store_confirmed", N_("商家已与您确认订单"))


def _own_store(order: Order, actor: Actor) -> None:
    if actor.role == Role.STORE_STAFF and actor.store_id != order.store_id:
        raise Forbidden(STORE_ONLY_SHIPS())


def clean_carrier(carrier: str) -> str:
    carrier = (carrier or "").strip()
    if carrier not in CARRIERS:
        raise InvalidInput(CHOOSE_CARRIER())
    return carrier


def clean_tracking_no(tracking_no: str) -> str:
    tracking_no = (tracking_no or "").strip()
    if not TRACKING_NO.match(tracking_no):
        raise InvalidInput(TRACKING_FORMAT())
    return tracking_no


def ship_by_express(order: Order, actor: Actor, carrier: str, tracking_no: str) -> None:
    """Ship by an express company (or a logistics line, wholesale) with a tracking number; the
    buyer confirms receipt. The same shipment twice is one; shipped another way, refused."""
    _own_store(order, actor)
    carrier = clean_carrier(carrier)
    tracking_no = clean_tracking_no(tracking_no)
    note = SHIPPED_BY_CARRIER(carrier=carrier, tracking_no=tracking_no)
    moved = move_order_once(
        order,
        OrderStatus.SHIPPED,
        actor,
        note,
        courier_confirms=False,
        carrier=carrier,
        tracking_no=tracking_no,
    )
    if moved:
        return
    if order.carrier != carrier or order.tracking_no != tracking_no:
        raise IllegalTransition(
            SHIPPED_OTHERWISE(carrier=order.carrier or "—", tracking_no=order.tracking_no or "")
        )


def may_ship_by_carrier(order: Order) -> bool:
    """A store ships this order by a carrier now (a pickup order is handed over instead)."""
    return order.status == OrderStatus.AWAITING_SHIPMENT and order.delivery_option != PICKUP


# ---- batch shipping from an Excel file ------------------------------------------------------


@dataclass(frozen=True)
class BatchRow:
    """One line of the upload and what became of it."""

    line: int  # the spreadsheet's row number, as Excel shows it
    order_no: str
    carrier: str
    tracking_no: str
    shipped: bool
    reason: Message | None = None  # why not, rendered per reader

    @property
    def reason_text(self) -> str:
        return render(self.reason) if self.reason else ""


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a number typed into Excel: 1234567890.0 -> "1234567890"
    return str(value).strip()


def read_batch(stream: BinaryIO) -> list[tuple[int, str, str, str]]:
    """(line, order no, carrier, tracking no) of every non-empty row; a file that is not an
    .xlsx workbook, or lacks the header, is refused as a whole (nothing ships)."""
    data = stream.read(MAX_BATCH_BYTES + 1)
    if len(data) > MAX_BATCH_BYTES:
        raise InvalidInput(FILE_TOO_BIG())
    if not data.startswith(b"PK"):  # every .xlsx is a zip; a CSV or an old .xls is not
        raise InvalidInput(NOT_EXCEL())
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on a broken or foreign zip
        raise InvalidInput(NOT_EXCEL()) from exc
    try:
        return _batch_rows(workbook)
    except DomainError:
        raise
    except Exception as exc:  # a sheet that breaks while it is read
        raise InvalidInput(NOT_EXCEL()) from exc
    finally:
        workbook.close()


def _batch_rows(workbook) -> list[tuple[int, str, str, str]]:
    if not workbook.worksheets:
        raise InvalidInput(EMPTY_BATCH())
    sheet = workbook.worksheets[0]
    header = [_cell_text(v) for v in next(sheet.iter_rows(max_row=1, values_only=True), ())]
    places = {}
    for name in BATCH_COLUMNS:
        if name not in header:
            raise InvalidInput(MISSING_COLUMNS(name=name))
        places[name] = header.index(name)
    width = max(places.values()) + 1  # read only the columns that matter
    found = []
    rows = sheet.iter_rows(min_row=2, max_row=MAX_BATCH_LINES + 1, max_col=width, values_only=True)
    for line, values in enumerate(rows, start=2):
        cells = [_cell_text(v) for v in values]
        picked = [cells[places[n]] if places[n] < len(cells) else "" for n in BATCH_COLUMNS]
        if not any(picked):
            continue
        if len(found) >= MAX_BATCH_ROWS:
            raise InvalidInput(TOO_MANY_ROWS(max=MAX_BATCH_ROWS))
        found.append((line, *picked))
    if not found:
        raise InvalidInput(EMPTY_BATCH())
    return found


def batch_template() -> bytes:
    """An empty sheet with the header row (always the Chinese names `read_batch` looks for),
    the columns formatted as text so Excel keeps long order numbers whole."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(BATCH_COLUMNS))
    for column, width in (("A", 26), ("B", 14), ("C", 24)):
        sheet.column_dimensions[column].width = width
        sheet.column_dimensions[column].number_format = "@"
    data = io.BytesIO()
    workbook.save(data)
    return data.getvalue()


def batch_ship(actor: Actor, stream: BinaryIO) -> list[BatchRow]:
    """Ship every good row of the file, each in its own savepoint: a bad row (unknown order,
    wrong tracking number, not ready to ship) is reported and the others still ship."""
    report = []
    for line, order_no, carrier, tracking_no in read_batch(stream):
        order = order_numbered(actor, order_no[:32]) if order_no else None
        if order is None:
            reason = NO_SUCH_ORDER(no=order_no[:32])
            report.append(BatchRow(line, order_no, carrier, tracking_no, False, reason))
            continue
        try:
            with db.session.begin_nested():  # a refused row rolls back to here, alone
                ship_by_express(order, actor, carrier, tracking_no)
        except DomainError as error:
            db.session.refresh(order)
            report.append(BatchRow(line, order_no, carrier, tracking_no, False, error.msg))
            continue
        report.append(BatchRow(line, order_no, carrier, tracking_no, True))
    return report


# ---- 到店自提: verify the buyer's code ------------------------------------------------------


def verify_pickup(store: Store, code: str, actor: Actor) -> Order:
    """The buyer shows the code, the store types or scans it: the order is handed over and
    completes. A wrong code, another store's order or a code already used is refused."""
    if actor.role == Role.STORE_STAFF and actor.store_id != store.id:
        raise Forbidden(STORE_ONLY_SHIPS())
    code = re.sub(r"\s+", "", code or "")[:PICKUP_CODE_MAX]
    if not code:
        raise InvalidInput(PICKUP_CODE_REQUIRED())
    order = db.session.execute(
        select(Order).where(
            Order.store_id == store.id, Order.pickup_code == code, Order.delivery_option == PICKUP
        )
    ).scalar_one_or_none()
    if order is None:
        raise InvalidInput(PICKUP_CODE_UNKNOWN())
    if order.status == OrderStatus.COMPLETED or order.picked_up_at is not None:
        raise IllegalTransition(PICKUP_CODE_USED(no=order.no))
    if order.status == OrderStatus.CLOSED:
        raise IllegalTransition(PICKUP_ORDER_CLOSED(no=order.no))
    if order.status != OrderStatus.AWAITING_SHIPMENT:
        raise IllegalTransition(
            MOVE_NOT_ALLOWED(
                current=ORDER_MACHINE.label(order.status),
                to=ORDER_MACHINE.label(OrderStatus.COMPLETED),
            )
        )
    if not move_order_once(order, OrderStatus.COMPLETED, actor, PICKED_UP(), picked_up_at=utcnow()):
        raise IllegalTransition(PICKUP_CODE_USED(no=order.no))  # a twin verified it first
    return order


# ---- a wholesale store confirms its own orders ---------------------------------------------


def confirm_by_store(order: Order, actor: Actor) -> None:
    """A wholesale store's own people confirm an order with the customer (the region's manager
    still can, through the wholesale domain)."""
    _own_store(order, actor)
    if order.kind != StoreKind.WHOLESALE:
        raise InvalidInput(NOT_WHOLESALE_ORDER())
    move_order_once(order, OrderStatus.AWAITING_SHIPMENT, actor, STORE_CONFIRMED())


def awaits_store_confirmation(order: Order) -> bool:
    return order.kind == StoreKind.WHOLESALE and order.status == OrderStatus.PENDING_CONFIRM
