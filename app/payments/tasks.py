"""The payments domain's jobs (queue "payments"): they take ids and are idempotent."""

from __future__ import annotations

from app.i18n_markers import N_
from app.jobs import job
from app.messages import define
from app.payments.refunds import submit_refund

SEND_REFUND = define("job_send_refund", N_("退款 %(no)s 发往支付平台"))


@job("payments")
def send_refund(refund_id: int) -> None:
    """Send a pending gateway refund; a refund already settled is left alone, and the gateway
    dedupes out_refund_no, so a second delivery refunds nothing twice. A gateway error raises:
    the job is retried with backoff."""
    submit_refund(refund_id)
