"""What a store may look up or change about itself; business status stays with the platform."""

from __future__ import annotations

from sqlalchemy import select

from app.accounts.actor import Actor
from app.errors import IllegalTransition, InvalidInput
from app.extensions import db
from app.i18n_markers import N_
from app.stores.models import BusinessStatus, Store

PRINTER_ENCODINGS = ("gb18030", "gbk")


def open_stores() -> list[Store]:
    """The mall lists only stores that are open for business (SPEC §2), oldest first."""
    return list(
        db.session.execute(
            select(Store)
            .where(Store.business_status == BusinessStatus.OPEN)
            .order_by(Store.created_at, Store.id)
        ).scalars()
    )


def store_of(actor: Actor) -> Store:
    """The store a store-staff actor works for."""
    store = db.session.get(Store, actor.store_id) if actor.store_id else None
    if store is None:
        raise IllegalTransition(N_("您的账号未绑定店铺"))
    return store


def set_printer(store: Store, actor: Actor, host: str | None, port: int, encoding: str) -> None:
    """Point the store at its receipt printer; an empty host means the store prints nothing."""
    if actor.store_id != store.id and not actor.is_staff:
        raise IllegalTransition(N_("只能设置自己店铺的打印机"))
    if not 1 <= port <= 65535:
        raise InvalidInput(N_("端口须在 1-65535 之间"))
    if encoding not in PRINTER_ENCODINGS:
        raise InvalidInput(N_("请选择打印机编码"))
    store.printer_host = (host or "").strip() or None
    store.printer_port = port
    store.printer_encoding = encoding
    db.session.flush()
