"""What a store may look up or change about itself; business status stays with the platform."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select

from app.accounts.actor import Actor
from app.clock import utcnow
from app.errors import DomainError, Forbidden, InvalidInput
from app.extensions import db
from app.i18n_markers import N_
from app.messages import Message, define
from app.printing.targets import vet_printer_target
from app.stores.models import BusinessStatus, Store

PRINTER_ENCODINGS = ("gb18030", "gbk")

STORE_RESTING = define("store_resting", N_("商家休息中"))
STORE_CLOSED_TODAY = define("store_closed_today", N_("该商户已打烊，看看其他吧"))
STORE_SHUT = define("store_shut", N_("该商户已关闭，看看其他吧"))
NO_STORE = define("no_store", N_("您的账号未绑定店铺"))
OTHER_STORE_PRINTER = define("other_store_printer", N_("只能设置自己店铺的打印机"))
BAD_PORT = define("bad_port", N_("端口须在 1-65535 之间"))
BAD_ENCODING = define("bad_encoding", N_("请选择打印机编码"))

# What a buyer reads when a store is not open (SPEC §2).
CLOSED_STORE_MESSAGES = {
    BusinessStatus.RESTING: STORE_RESTING,
    BusinessStatus.CLOSED_TODAY: STORE_CLOSED_TODAY,
    BusinessStatus.SHUT: STORE_SHUT,
}


def closed_notice(store: Store) -> Message | None:
    """Why this store sells nothing right now, or None when it is open."""
    kind = CLOSED_STORE_MESSAGES.get(store.business_status)
    return kind() if kind else None


def shows_products(store: Store) -> bool:
    """A resting store still shows its products (with "商家休息中"); a closed one shows none."""
    return store.business_status in (BusinessStatus.OPEN, BusinessStatus.RESTING)


def ensure_store_open(store: Store) -> None:
    """Buying needs an open store; the refusal says why in the buyer's words."""
    notice = closed_notice(store)
    if notice is not None:
        raise DomainError(notice)


def all_stores() -> list[tuple[int, str]]:
    """Every store's id and name (deleted ones left out), for filter menus."""
    query = select(Store.id, Store.name).where(Store.deleted_at.is_(None)).order_by(Store.name)
    return list(db.session.execute(query).all())


def store_of(actor: Actor) -> Store:
    """The store a store-staff actor works for."""
    store = db.session.get(Store, actor.store_id) if actor.store_id else None
    if store is None:
        raise Forbidden(NO_STORE())
    return store


def set_printer(store: Store, actor: Actor, host: str | None, port: int, encoding: str) -> None:
    """Point the store at its receipt printer; an empty host means the store prints nothing.

    The address must pass the printer target rule (app/printing/targets.py) now; the test print
    checks it again before sending, since DNS may answer differently by then.
    """
    if actor.store_id != store.id and not actor.is_staff:
        raise Forbidden(OTHER_STORE_PRINTER())
    if not 1 <= port <= 65535:
        raise InvalidInput(BAD_PORT())
    if encoding not in PRINTER_ENCODINGS:
        raise InvalidInput(BAD_ENCODING())
    host = (host or "").strip() or None
    if host is not None:
        vet_printer_target(host, port, current_app.config)
    if (host, port, encoding) != (store.printer_host, store.printer_port, store.printer_encoding):
        forget_printer_check(store)  # the last test print said nothing about this printer
    store.printer_host = host
    store.printer_port = port
    store.printer_encoding = encoding
    db.session.flush()


def start_printer_check(store: Store) -> None:
    """A test print is on its way: the printer page waits for its outcome."""
    store.printer_check_requested_at = utcnow()
    db.session.flush()


def finish_printer_check(store: Store, failure: Message | None) -> None:
    """What the test print found: None when the page printed, else why it did not."""
    store.printer_checked_at = utcnow()
    store.printer_check_error = failure.data() if failure else None
    db.session.flush()


def forget_printer_check(store: Store) -> None:
    store.printer_check_requested_at = None
    store.printer_checked_at = None
    store.printer_check_error = None
