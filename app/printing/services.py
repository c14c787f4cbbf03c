"""Print verbs a store triggers by hand: reprint an order, print a test page.

Both only defer a job: the ticket is sent after the request commits, through the outbox.
"""

from __future__ import annotations

from app.accounts.actor import Actor
from app.errors import DomainError, IllegalTransition
from app.i18n_markers import N_
from app.jobs import defer
from app.ordering.models import Order
from app.printing.tasks import print_receipt, print_test_page
from app.stores.models import Store

REPRINT_TITLE = "#重打"


def _ensure_printer(store: Store, actor: Actor) -> None:
    if actor.store_id != store.id and not actor.is_staff:
        raise IllegalTransition(N_("只能使用自己店铺的打印机"))
    if not store.printer_host:
        raise DomainError(N_("未设置打印机"))


def reprint_order(order: Order, actor: Actor) -> None:
    """Print the ticket again, titled #重打 so the kitchen knows it is a copy."""
    _ensure_printer(order.store, actor)
    defer(print_receipt, order.id, REPRINT_TITLE)


def request_test_print(store: Store, actor: Actor) -> None:
    """The 测试打印 button: proves host, port and encoding before a real order arrives."""
    _ensure_printer(store, actor)
    defer(print_test_page, store.id)
