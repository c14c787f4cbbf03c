"""Print jobs (queue `print`): render the order as ESC/POS and send it to the store's printer."""

from __future__ import annotations

from flask import current_app

from app.clock import to_local
from app.extensions import db
from app.jobs import job
from app.ordering.models import Order
from app.ordering.payment import payment_label
from app.printing.receipt import Receipt, ReceiptLine, render_receipt, render_test_page
from app.printing.transport import PrinterTarget, print_to
from app.stores.models import Store

NEW_ORDER_TITLE = "#新订单"


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
    )


def printer_of(store: Store) -> PrinterTarget | None:
    if not store.printer_host:
        return None
    return PrinterTarget(
        kind=store.printer_kind,
        host=store.printer_host,
        port=store.printer_port,
        timeout=current_app.config["PRINTER_TIMEOUT"],
    )


@job("print")
def print_receipt(order_id: int, title: str = NEW_ORDER_TITLE) -> None:
    order = db.session.get(Order, order_id)
    target = printer_of(order.store) if order else None
    if target is None:
        return
    print_to(
        target, render_receipt(receipt_for(order, title), encoding=order.store.printer_encoding)
    )


@job("print")
def print_test_page(store_id: int) -> None:
    store = db.session.get(Store, store_id)
    target = printer_of(store) if store else None
    if target is None:
        return
    print_to(target, render_test_page(store.name, encoding=store.printer_encoding))
