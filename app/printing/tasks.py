"""Print jobs (queue `print`): render the order as ESC/POS and send it to the store's printer."""

from __future__ import annotations

from flask import current_app

from app.clock import to_local
from app.extensions import db
from app.jobs import job
from app.ordering.models import Order
from app.ordering.payment import payment_label
from app.printing.receipt import Receipt, ReceiptLine, render_receipt, render_test_page
from app.printing.transport import send_to_printer
from app.stores.models import Store


def receipt_for(order: Order, title: str = "#新订单") -> Receipt:
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


@job("print")
def print_receipt(order_id: int, title: str = "#新订单") -> None:
    order = db.session.get(Order, order_id)
    store = order.store if order else None
    if store is None or not store.printer_host:
        return
    data = render_receipt(receipt_for(order, title), encoding=store.printer_encoding)
    send_to_printer(
        store.printer_host, store.printer_port, data, timeout=current_app.config["PRINTER_TIMEOUT"]
    )


@job("print")
def print_test_page(store_id: int) -> None:
    store = db.session.get(Store, store_id)
    if store is None or not store.printer_host:
        return
    data = render_test_page(store.name, encoding=store.printer_encoding)
    send_to_printer(
        store.printer_host, store.printer_port, data, timeout=current_app.config["PRINTER_TIMEOUT"]
    )
