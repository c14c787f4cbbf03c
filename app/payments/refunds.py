"""A refund's end: the gateway's answer (or staff's record) moves it from pending once, and the
other domains hear of it (`refund_completed`, `refund_failed`). Used by the services, the
callbacks inbox and the refund job."""

from __future__ import annotations

import logging

from sqlalchemy import update

from app.accounts.actor import SYSTEM, Actor
from app.clock import utcnow
from app.extensions import db
from app.payments.gateways import RefundOutcome, gateway, notify_url_for
from app.payments.models import Payment, Refund, RefundStatus
from app.payments.signals import refund_completed, refund_failed

log = logging.getLogger(__name__)


def submit_refund(refund_id: int) -> str:
    """Send a pending gateway refund (a job; idempotent: the gateway dedupes out_refund_no)."""
    refund = db.session.get(Refund, refund_id)
    if refund is None or refund.status != RefundStatus.PENDING or refund.method != "gateway":
        return "skipped"
    payment = db.session.get(Payment, refund.payment_id)
    result = gateway(payment.gateway).refund(
        payment.no,
        refund.no,
        refund.amount_fen,
        payment.amount_fen,
        refund.reason,
        notify_url_for(payment.gateway),
    )
    if result.outcome == RefundOutcome.SUCCEEDED:
        complete_refund(refund, result.reference, SYSTEM)
    elif result.outcome == RefundOutcome.FAILED:
        log.error("refund %s refused by %s: %s", refund.no, payment.gateway, result.message)
        fail_refund(refund, result.message)
    return result.outcome


def complete_refund(refund: Refund, reference: str, actor: Actor) -> bool:
    """Pending -> succeeded once; announces `refund_completed`. False if it was done already."""
    done = db.session.execute(
        update(Refund)
        .where(Refund.id == refund.id, Refund.status == RefundStatus.PENDING)
        .values(status=RefundStatus.SUCCEEDED, reference=reference[:100], completed_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(refund)
    if done != 1:
        return False
    refund_completed.send(refund, actor=actor)
    return True


def fail_refund(refund: Refund, message: str = "") -> bool:
    done = db.session.execute(
        update(Refund)
        .where(Refund.id == refund.id, Refund.status == RefundStatus.PENDING)
        .values(status=RefundStatus.FAILED, reference=(message or "")[:100])
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(refund)
    if done != 1:
        return False
    refund_failed.send(refund)
    return True
