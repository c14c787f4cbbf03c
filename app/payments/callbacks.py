"""Where the payment gateways call back: no login, no CSRF token (the gateway's signature is
the proof), a size limit and a rate limit. Each callback is stored raw, verified and acted on
at most once by `handle_notification`, which also says what to answer.

A refusal (bad signature, wrong amount, ...) is answered with the failure the gateway expects
(WeChat: 4xx + {"code": "FAIL"}); the request's unit of work would roll a 4xx answer back, so
this view tells it to keep the inbox row and its outcome whatever the answer says.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, request

from app.extensions import csrf, limiter
from app.payments.gateways import enabled_gateways, gateway
from app.payments.services import handle_notification
from app.web.unit_of_work import keep_work_whatever_the_answer

MAX_NOTIFICATION_BYTES = 64 * 1024  # the vendors' notifications are a few KB

bp = Blueprint("gateway", __name__)
csrf.exempt(bp)


def _limit() -> str:
    return current_app.config.get("PAYMENT_NOTIFY_RATE_LIMIT", "600 per minute")


@bp.post("/pay/notify/<string(maxlength=20):name>")
@limiter.limit(_limit)
def notify(name: str):
    if name not in enabled_gateways():
        abort(404)
    if (request.content_length or 0) > MAX_NOTIFICATION_BYTES:
        abort(413)
    body = request.stream.read(MAX_NOTIFICATION_BYTES + 1)
    if len(body) > MAX_NOTIFICATION_BYTES:
        abort(413)
    keep_work_whatever_the_answer()  # the raw notification and its outcome (module's note)
    status, text = handle_notification(name, request.headers, body)
    return Response(text, status=status, content_type=gateway(name).answer_type)
