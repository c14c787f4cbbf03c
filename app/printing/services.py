"""Print verbs: the ticket of a paid (or accepted, or confirmed) order, a reprint, a test page.

Each only defers a job: the ticket is sent after the unit of work commits, through the outbox.
"""

from __future__ import annotations

from app.accounts.actor import Actor
from app.errors import DomainError, Forbidden
from app.i18n_markers import N_
from app.jobs import defer
from app.messages import define
from app.ordering.models import Order
from app.printing.checks import check_printer
from app.printing.tasks import NEW_ORDER_TITLE, print_receipt
from app.stores.models import Store
from app.stores.services import start_printer_check

REPRINT_TITLE = "#重打"

OTHER_STORE_PRINTER = define("use_other_store_printer", N_("只能使用自己店铺的打印机"))
NO_PRINTER = define("no_printer", N_("未设置打印机"))
PRINT_SUMMARY = define("job_print", N_("打印：订单 %(no)s → %(store)s"))
TEST_PRINT_SUMMARY = define("job_test_print", N_("测试打印 → %(store)s"))


def _ensure_printer(store: Store, actor: Actor) -> None:
    if actor.store_id != store.id and not actor.is_staff:
        raise Forbidden(OTHER_STORE_PRINTER())
    if not store.printer_host:
        raise DomainError(NO_PRINTER())


def print_new_order(order: Order) -> None:
    """The ticket the kitchen or warehouse works from, once the order is to be prepared."""
    if order.store.printer_host:
        summary = PRINT_SUMMARY(no=order.no, store=order.store.name)
        defer(print_receipt, order.id, NEW_ORDER_TITLE, summary=summary)


def reprint_order(order: Order, actor: Actor) -> None:
    """Print the ticket again, titled #重打 so the kitchen knows it is a copy."""
    _ensure_printer(order.store, actor)
    summary = PRINT_SUMMARY(no=order.no, store=order.store.name)
    defer(print_receipt, order.id, REPRINT_TITLE, summary=summary)


def request_test_print(store: Store, actor: Actor) -> None:
    """The 测试打印 button: proves host, port and encoding before a real order arrives.

    Nothing here touches the network: the check job vets the address again, prints and records
    the outcome on the store, which the printer page shows.
    """
    _ensure_printer(store, actor)
    start_printer_check(store)
    defer(check_printer, store.id, summary=TEST_PRINT_SUMMARY(store=store.name))
