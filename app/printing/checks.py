"""The 测试打印 check (queue `print`): vet the printer's address again, send the test page to the
address that passed, and record on the store what happened, for the printer page to show.

The request that asked only deferred this job, so it answers the same whether the printer is
there or not; the outcome is read off the page, never off how long the request took.
"""

from __future__ import annotations

import logging

from app.errors import InvalidInput
from app.extensions import db
from app.i18n_markers import N_
from app.jobs import job
from app.messages import define
from app.printing.receipt import render_test_page
from app.printing.tasks import printer_of
from app.printing.transport import PrinterUnreachable, print_to
from app.stores.models import Store
from app.stores.services import finish_printer_check

log = logging.getLogger(__name__)

PRINTER_UNREACHABLE = define("printer_unreachable", N_("打印机无法连接"))


@job("print")
def check_printer(store_id: int) -> None:
    """Idempotent: once the outcome of the last request is recorded, a replay prints nothing."""
    store = db.session.get(Store, store_id)
    if store is None or not store.printer_host or not store.printer_check_pending:
        return
    try:
        print_to(printer_of(store), render_test_page(store.name, encoding=store.printer_encoding))
    except InvalidInput as refusal:
        finish_printer_check(store, refusal.msg)
    except PrinterUnreachable as exc:
        log.info("test print for store %s failed: %s", store_id, exc)
        finish_printer_check(store, PRINTER_UNREACHABLE())
    else:
        finish_printer_check(store, None)
