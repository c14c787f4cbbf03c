"""The 配送助手's connection to the platform (seed 000): the platform's 平台配送 page shows an
authorisation code; a dispatcher enters it in the 配送助手 back office, and from then on the
assistant gets the platform's delivery orders.

Regenerating the code disconnects the assistant: every dispatcher page says 未接入 and every task
or rider id answers 404 until someone enters the new code. An old code is refused like a wrong
one. Wrong codes are counted by the connect page's rate limit (per dispatcher and per address,
only refused tries count), so a 16-character code cannot be guessed.

This module imports only models: `app.delivery.scope` may use `dispatcher_task_scope` without a
cycle.
"""

from __future__ import annotations

import hmac
import secrets

from sqlalchemy import ColumnElement, and_, exists, select, update

from app.accounts.actor import Actor
from app.accounts.models import Role, User
from app.clock import utcnow
from app.delivery.models import DeliveryTask, DispatchSettings
from app.errors import Forbidden, InvalidInput
from app.extensions import db
from app.i18n_markers import N_
from app.messages import define

ASSISTANT = "assistant"  # DeliveryTask.courier of the platform's own riders
CODE_BYTES = 8  # 16 hexadecimal characters: 2**64 codes
CODE_GROUP = 4  # shown as ABCD-EF01-2345-6789

NOT_CONNECTED = define(
    "dispatch_not_connected", N_("配送助手未接入，请先在「接入」页面输入平台的授权码")
)
WRONG_CODE = define(
    "assistant_wrong_code",
    N_("授权码错误或已失效，请到平台后台「平台配送」页面查看最新的授权码"),
)
CODE_REQUIRED = define("assistant_code_required", N_("请输入授权码"))
DISPATCHERS_CONNECT = define("dispatchers_connect", N_("只有配送调度可以接入配送助手"))
OPERATOR_REGENERATES = define("operator_regenerates_code", N_("只有平台运营可以重新生成授权码"))


def assistant_settings() -> DispatchSettings:
    """The single settings row (made by the migration; `install_dispatch_settings` in tests)."""
    settings = db.session.execute(select(DispatchSettings).limit(1)).scalar_one_or_none()
    if settings is None:
        raise LookupError("dispatch_settings has no row: run `flask db upgrade`")
    return settings


def is_connected() -> bool:
    return bool(db.session.scalar(select(connected_clause())))


def connected_clause() -> ColumnElement[bool]:
    """True while a dispatcher's 接入 stands (a part of every dispatcher query)."""
    return exists().where(DispatchSettings.connected.is_(True))


def dispatcher_task_scope() -> ColumnElement[bool]:
    """What a dispatcher sees: every task the platform's own riders carry, while connected.
    (`app.delivery.scope.task_scope` can answer `Role.DISPATCHER` with this.)"""
    return and_(DeliveryTask.courier == ASSISTANT, connected_clause())


def require_connected(actor: Actor) -> None:
    """A dispatcher acts only while the assistant is connected; platform staff always may."""
    if actor.role == Role.DISPATCHER and not is_connected():
        raise Forbidden(NOT_CONNECTED())


def normalise_code(text: str | None) -> str:
    """As typed or pasted: spaces and dashes dropped, letters in capitals."""
    return "".join((text or "").split()).replace("-", "").upper()


def shown_code(code: str) -> str:
    """ABCD-EF01-2345-6789: easier to read out and to type."""
    return "-".join(code[i : i + CODE_GROUP] for i in range(0, len(code), CODE_GROUP))


def connect(code: str, actor: Actor) -> bool:
    """The dispatcher enters the platform's code. True when this connected the assistant; False
    when it was connected already (a double submit, a colleague): the same outcome."""
    if actor.role != Role.DISPATCHER:
        raise Forbidden(DISPATCHERS_CONNECT())
    code = normalise_code(code)
    if not code:
        raise InvalidInput(CODE_REQUIRED())
    settings = assistant_settings()
    if len(code) > 64 or not hmac.compare_digest(code.encode(), settings.auth_code.encode()):
        raise InvalidInput(WRONG_CODE())
    if settings.connected:
        return False
    # Only this code, and only if nobody regenerated it meanwhile.
    result = db.session.execute(
        update(DispatchSettings)
        .where(
            DispatchSettings.id == settings.id,
            DispatchSettings.auth_code == code,
            DispatchSettings.connected.is_(False),
        )
        .values(connected=True, connected_at=utcnow(), connected_by_id=actor.user_id)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(settings)
    if result.rowcount != 1 and not (settings.connected and settings.auth_code == code):
        raise InvalidInput(WRONG_CODE())
    return result.rowcount == 1


def may_regenerate_code(actor: Actor | None) -> bool:
    """Platform operators; customer service reads the code and the connection."""
    return actor is not None and actor.role == Role.OPERATOR


def regenerate_code(actor: Actor) -> str:
    """A new code for the platform's page; the assistant is disconnected until a dispatcher
    enters it (the old code no longer connects anything)."""
    if not may_regenerate_code(actor):
        raise Forbidden(OPERATOR_REGENERATES())
    settings = assistant_settings()
    code = secrets.token_hex(CODE_BYTES).upper()
    settings.auth_code = code
    settings.connected = False
    settings.connected_at = None
    settings.connected_by_id = None
    db.session.flush()
    return code


def connected_by(settings: DispatchSettings) -> User | None:
    """The dispatcher who connected the assistant (shown on the platform's page)."""
    return db.session.get(User, settings.connected_by_id) if settings.connected_by_id else None
