"""Dada's jobs (queue `courier`): hand a task over to Dada, cancel the Dada order of a closed
order. They take ids and are idempotent: a task Dada already has is never sent twice (an attempt
whose outcome was lost asks Dada first). Dada unreachable raises, so the outbox retries with
backoff while the store reads 派单中; a refusal (the balance, Dada's own) is written on the task
for the store to see, and is not retried.
"""

from __future__ import annotations

import logging

from app.delivery.dada.account import (
    COURIER,
    account_for,
    check_balance,
    client,
    order_params,
)
from app.delivery.dada.client import DadaClient, DadaRefused
from app.delivery.dada.codes import CANCELLABLE, LIVE, D, known
from app.delivery.dada.status import Report, apply_report, fail, report_of
from app.delivery.models import DeliveryTask, TaskStatus
from app.errors import IllegalTransition, InvalidInput
from app.extensions import db
from app.i18n_markers import N_
from app.jobs import job, outcome_unknown
from app.messages import define

log = logging.getLogger(__name__)

SEND_SUMMARY = define("job_send_to_dada", N_("派单至达达：订单 %(no)s"))
CANCEL_SUMMARY = define("job_cancel_at_dada", N_("取消达达配送：订单 %(no)s"))
OTHER_REASON_ID = 10000  # Dada's 其他 (the reason then goes as text)
ORDER_CLOSED_REASON = "订单已关闭"


def _adopt(task: DeliveryTask, dada: DadaClient) -> bool:
    """Dada has this order live already (an earlier attempt's answer was lost): take it."""
    try:
        found = dada.status(task.order.no)
    except DadaRefused:
        return False  # Dada does not know it
    if known(found.status) not in LIVE:
        return False
    task.courier_order_no = task.order.no
    apply_report(task, report_of(found))
    return True


@job("courier")
def send_to_dada(task_id: int, delivery_no: str = "", fee_fen: int = 0) -> None:
    """Publish the task's order at Dada: with the number of the fee the store confirmed
    (addAfterQuery), else after asking the fee now (queryDeliverFee), or again (reAddOrder) if
    Dada ended an earlier one. The balance is checked before anything is sent."""
    task = db.session.get(DeliveryTask, task_id)
    if task is None or task.courier != COURIER or task.status != TaskStatus.WAITING:
        return
    if known(task.courier_status) in LIVE:
        return  # sent already
    order = task.order
    try:
        account = account_for(order)
    except InvalidInput as refused:
        fail(task, refused.msg)
        return
    dada = client()
    if outcome_unknown() and _adopt(task, dada):
        return
    params = order_params(order, account)
    try:
        if task.courier_order_no:  # Dada ended an earlier order of ours: publish it again
            quote = dada.query_deliver_fee(params)
            check_balance(account, quote.fee_fen, dada)
            fee = dada.re_add_order(params) or quote.fee_fen
        else:
            fee = _add(dada, account, params, delivery_no, fee_fen)
    except IllegalTransition as short:  # the balance does not cover the fee
        fail(task, short.msg)
        return
    except DadaRefused as refused:
        if _adopt(task, dada):
            return
        fail(task, refused.dada_msg)
        return
    task.courier_order_no = order.no
    apply_report(task, Report(status=D.WAITING, fee_fen=fee))


def _add(dada: DadaClient, account, params: dict, delivery_no: str, fee_fen: int) -> int:
    """addAfterQuery with the store's confirmed quote; if that number has expired, quote again."""
    if delivery_no:
        check_balance(account, fee_fen, dada)
        try:
            dada.add_after_query(delivery_no)
            return fee_fen
        except DadaRefused as refused:
            log.info("Dada refused deliveryNo %s (%s): quoting again", delivery_no, refused.code)
    quote = dada.query_deliver_fee(params)
    check_balance(account, quote.fee_fen, dada)
    dada.add_after_query(quote.delivery_no)
    return quote.fee_fen


@job("courier")
def cancel_at_dada(task_id: int) -> None:
    """The order was closed while Dada had it: cancel there too (a rider may already be on the
    way; what Dada deducts is recorded on the task)."""
    task = db.session.get(DeliveryTask, task_id)
    if task is None or task.courier != COURIER or not task.courier_order_no:
        return
    if known(task.courier_status) not in CANCELLABLE:
        return
    dada = client()
    try:
        deduct = dada.formal_cancel(task.courier_order_no, OTHER_REASON_ID, ORDER_CLOSED_REASON)
    except DadaRefused as refused:  # picked up or ended meanwhile: record what Dada says
        log.info("Dada refused to cancel %s: %s", task.courier_order_no, refused.dada_msg)
        apply_report(task, report_of(dada.status(task.courier_order_no)))
        return
    apply_report(task, Report(status=D.CANCELLED, deduct_fen=deduct, reason=ORDER_CLOSED_REASON))
