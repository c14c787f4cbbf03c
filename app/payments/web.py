"""The money panel of an order page, shared by the platform's and a store's order pages: the
checkout's payments (platform only), the order's refunds, offline refunds recorded with their
reference and an explicit confirmation, the raw notifications (platform only).

A portal adds `bp.context_processor(payments_context)`, includes
"platform/_order_payments.html" in its order page and routes `<portal>.record_refund`
(POST /refunds/<int:refund_id>/record) to `record_refund_view`. Kept out of the portal packages
so that any portal imports it without importing another portal's blueprint.
"""

from __future__ import annotations

from flask import g, make_response, render_template, request
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField
from wtforms.validators import DataRequired, Length

from app.errors import DomainError
from app.ordering.models import Order
from app.payments.gateways import GATEWAY_LABELS
from app.payments.models import Refund, RefundStatus
from app.payments.services import (
    OUTCOME_LABELS,
    PAYMENT_STATUS_LABELS,
    REFUND_METHOD_LABELS,
    REFUND_STATUS_LABELS,
    may_record_refund,
    notifications_of,
    payments_of_checkout,
    record_offline_refund,
    refundable_fen,
    refunds_of_order,
)
from app.web.i18n import lazy_gettext as _l
from app.web.order_view import render_message
from app.web.rendering import see_other


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class RecordRefundForm(FlaskForm):
    """Staff paid an offline refund back: its reference, and an explicit confirmation."""

    reference = StringField(
        _l("退款凭证号"),
        filters=[_strip],
        validators=[
            DataRequired(_l("请填写退款凭证号（转账流水号等）")),
            Length(max=100, message=_l("凭证号不能超过 100 字")),
        ],
    )
    confirm = BooleanField(
        _l("我已把这笔钱退给买家"), validators=[DataRequired(_l("请勾选确认已退款"))]
    )


def order_payments_panel(order: Order) -> dict:
    """What the order page shows about money: the checkout's payments, this order's refunds,
    the notifications received for those payments."""
    staff = g.actor.is_staff  # a store sees its order's refunds, not the checkout's money
    payments = payments_of_checkout(order.checkout_id) if staff else []
    return dict(
        staff=staff,
        payments=payments,
        refunds=refunds_of_order(order.id),
        notifications=notifications_of([p.id for p in payments]),
        refundable_fen=refundable_fen(order),
        may_record=lambda refund: (
            refund.method == "offline"
            and refund.status == RefundStatus.PENDING
            and may_record_refund(refund, g.actor)
        ),
        gateways=GATEWAY_LABELS,
        payment_labels=PAYMENT_STATUS_LABELS,
        refund_labels=REFUND_STATUS_LABELS,
        refund_methods=REFUND_METHOD_LABELS,
        outcomes=OUTCOME_LABELS,
    )


def payments_context() -> dict:
    return {
        "order_payments_panel": order_payments_panel,
        "refund_form": g.get("refund_form"),
    }


def record_refund_view(refund: Refund, order: Order, fragment: str, page_view, done_url: str):
    """Shared by the platform's and a store's order page: validate, record, answer."""
    form = RecordRefundForm()
    if form.validate_on_submit():
        try:
            record_offline_refund(refund, form.reference.data, g.actor)
        except DomainError as error:
            form.reference.errors = [*form.reference.errors, render_message(error.msg)]
        else:
            return see_other(done_url, _("已登记退款"))
    g.refund_form = form
    if request.htmx:
        return render_template(fragment, order=order, refund_form=form), 422
    response = make_response(page_view(order.id))
    response.status_code = 422
    return response
