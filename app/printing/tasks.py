"""Print jobs (queue `print`): render the order as ESC/POS and send it to the store's printer."""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import current_app

from app.clock import to_local
from app.errors import InvalidInput
from app.extensions import db
from app.jobs import job, outcome_unknown
from app.ordering.models import Order
from app.ordering.payment import payment_label
from app.printing.receipt import Receipt, ReceiptLine, render_receipt
from app.printing.targets import vet_printer_target
from app.printing.transport import PrinterTarget, print_to
from app.stores.delivery_rules import SLOT_MINUTES
from app.stores.models import Store

log = logging.getLogger(__name__)

NEW_ORDER_TITLE = "#新订单"
# A ticket sent again because the first attempt's outcome is unknown (its worker died while
# printing): it may have come out already, so the kitchen is told this one is a copy.
LOST_COPY_TITLE = "#补打"


def receipt_for(order: Order, title: str = NEW_ORDER_TITLE) -> Receipt:
    return Receipt(
        store_name=order.store.name,
        order_no=order.no,
        created_at=to_local(order.created_at),
        items=[
            ReceiptLine(i.product_name, i.spec, i.quantity, i.unit_price_fen, i.line_fen)
            for i in order.items
        ],
        goods_fen=order.goods_fen,
        delivery_fee_fen=order.delivery_fee_fen,
        total_fen=order.total_fen,
        payment_label=payment_label(order.payment_method),
        contact_name=order.contact_name,
        contact_phone=order.contact_phone,
        address=order.address,
        remark=order.buyer_remark,
        title=title,
        deliver_at=_slot(order),
    )


def _slot(order: Order) -> str:
    if order.delivery_slot_at is None:
        return ""
    start = to_local(order.delivery_slot_at)
    end = to_local(order.delivery_slot_at + timedelta(minutes=SLOT_MINUTES))
    return f"{start:%m-%d %H:%M}–{end:%H:%M}"


def printer_of(store: Store) -> PrinterTarget | None:
    """Where the store's tickets go, vetted again now (DNS may have changed since it was saved):
    None without a printer; InvalidInput for a target the platform refuses."""
    if not store.printer_host:
        return None
    address = vet_printer_target(store.printer_host, store.printer_port, current_app.config)
    return PrinterTarget(
        kind=store.printer_kind,
        host=address,  # the address just checked, not the name looked up again
        port=store.printer_port,
        timeout=current_app.config["PRINTER_TIMEOUT"],
    )


@job("print")
def print_receipt(order_id: int, title: str = NEW_ORDER_TITLE) -> None:
    """Paper cannot be taken back: an attempt after one whose outcome is unknown prints #补打."""
    if outcome_unknown():
        title = LOST_COPY_TITLE
    order = db.session.get(Order, order_id)
    try:
        target = printer_of(order.store) if order else None
    except InvalidInput as refusal:  # a retry cannot help: say so in the log, print nothing
        log.warning("receipt of order %s not printed: %s", order_id, refusal.message)
        return
    if target is None:
        return
    print_to(
        target, render_receipt(receipt_for(order, title), encoding=order.store.printer_encoding)
    )
