"""Where Dada posts an order's status changes: POST /couriers/dada/callback, no login and no
CSRF token (like the payment callbacks), a size and a rate limit.

Each callback is stored raw (CourierCallback) before anything acts on it. Dada's signature has no
secret (MD5 of the sorted client_id, order_id and update_time), so a good signature proves only
that the sender knows the order: the order is re-queried (status/query) and only what Dada itself
says is applied; a callback Dada's answer contradicts is refused and moves nothing. The key
(order, status, update time, rider) makes a replay answer success and do nothing; a refused
callback is kept under a key of its own, so a forgery can never pre-empt the real callback.

Answers: {"code":200,"msg":"success"} (Dada stops retrying), else a 4xx/5xx with a reason (a
5xx when Dada could not be asked back: Dada retries later).
"""

from __future__ import annotations

import hashlib
import json
import logging

from flask import Blueprint, abort, current_app, jsonify, request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.delivery.dada.account import COURIER, client
from app.delivery.dada.client import DadaError, DadaRefused, callback_signature, dada_settings
from app.delivery.dada.codes import confirms
from app.delivery.dada.status import apply_report, report_of
from app.delivery.models import CourierCallback, DeliveryTask
from app.extensions import csrf, db, limiter
from app.web.unit_of_work import keep_work_whatever_the_answer

log = logging.getLogger(__name__)

MAX_CALLBACK_BYTES = 16 * 1024  # a Dada callback is a few hundred bytes
SUCCESS = {"code": 200, "msg": "success"}

bp = Blueprint("dada_callback", __name__)
csrf.exempt(bp)


def _limit() -> str:
    return current_app.config.get("DADA_CALLBACK_RATE_LIMIT", "600 per minute")


def _answer(status: int, msg: str = "success"):
    body = SUCCESS if status == 200 else {"code": status, "msg": msg}
    return jsonify(body), status


@bp.post("/couriers/dada/callback")
@limiter.limit(_limit)
def callback():
    if dada_settings() is None:
        abort(404)  # no Dada account on this platform: nobody should be calling
    if (request.content_length or 0) > MAX_CALLBACK_BYTES:
        abort(413)
    body = request.stream.read(MAX_CALLBACK_BYTES + 1)
    if len(body) > MAX_CALLBACK_BYTES:
        abort(413)
    keep_work_whatever_the_answer()  # the raw callback and its outcome stay, whatever we answer
    status, msg = handle_callback(body)
    return _answer(status, msg)


def dedupe_key(data: dict) -> str:
    """(order, status, update time, rider): what makes two callbacks the same callback."""
    parts = (data.get("order_id"), data.get("order_status"), data.get("update_time"))
    return "|".join(str(p if p is not None else "") for p in (*parts, data.get("dm_id")))[:200]


def _digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()[:24]


def _exists(key: str) -> CourierCallback | None:
    return db.session.execute(
        select(CourierCallback).where(
            CourierCallback.courier == COURIER, CourierCallback.dedupe_key == key
        )
    ).scalar_one_or_none()


def _store(key: str, body: bytes, outcome: str, task_id: int | None = None) -> bool:
    """Keep the raw callback under `key`; False if a row with that key is there already."""
    row = CourierCallback(
        courier=COURIER,
        dedupe_key=key[:200],
        body=body.decode("utf-8", errors="replace"),
        outcome=outcome,
        task_id=task_id,
    )
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:
        return False
    return True


def _refuse(key: str, body: bytes, outcome: str, task_id: int | None = None) -> None:
    """A refused callback, kept under a key of its own (its body's digest)."""
    _store(f"{key}#{outcome}#{_digest(body)}"[-200:], body, outcome, task_id)


def handle_callback(body: bytes) -> tuple[int, str]:
    """Store, verify, re-query, apply at most once; the HTTP status and message to answer."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        data = None
    if not isinstance(data, dict) or not data.get("order_id"):
        _refuse("malformed", body, "malformed")
        return 400, "malformed"
    key = dedupe_key(data)
    if _exists(key) is not None:
        return 200, "success"  # a replay: answered as the first, nothing moves
    expected = callback_signature(
        data.get("client_id"), data.get("order_id"), data.get("update_time")
    )
    if str(data.get("signature", "")).lower() != expected:
        _refuse(key, body, "bad_signature")
        log.warning("Dada callback for %s refused: bad signature", data.get("order_id"))
        return 400, "bad signature"
    task = db.session.execute(
        select(DeliveryTask).where(
            DeliveryTask.courier == COURIER,
            DeliveryTask.courier_order_no == str(data["order_id"]),
        )
    ).scalar_one_or_none()
    if task is None:
        _refuse(key, body, "unknown_order")
        return 404, "unknown order"
    try:
        truth = client().status(task.courier_order_no)
    except DadaRefused as refused:
        _refuse(key, body, "requery_refused", task.id)
        log.warning("Dada would not confirm %s: %s", task.courier_order_no, refused.dada_msg)
        return 409, "not confirmed by status query"
    except DadaError:
        _refuse(key, body, "requery_failed", task.id)
        return 503, "status query failed, retry later"
    try:
        claimed = int(data.get("order_status"))
    except (TypeError, ValueError):
        claimed = -1
    if not confirms(claimed, truth.status):
        _refuse(key, body, "contradicted", task.id)
        log.warning(
            "Dada callback for %s claims %s, status query says %s: refused",
            task.courier_order_no,
            data.get("order_status"),
            truth.status,
        )
        return 409, "contradicted by status query"
    if not _store(key, body, "received", task.id):
        return 200, "success"  # a concurrent twin stored it first: it applies
    moved = apply_report(task, report_of(truth, reason=str(data.get("cancel_reason") or "")))
    row = _exists(key)
    if row is not None:
        row.outcome = "applied" if moved else "no_change"
    db.session.flush()
    return 200, "success"
