"""收款登记 on the store's order page: the money a buyer transferred for a 款到发货 or transfer
order, recorded in full or in part (the rules are app/ordering/offline.py's)."""

from __future__ import annotations

from flask import abort, g, make_response, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField
from wtforms.validators import DataRequired, Length, ValidationError

from app.errors import InvalidInput
from app.money import format_fen, parse_yuan
from app.ordering.models import Order
from app.ordering.offline import MAX_REFERENCE, offline_payment, record_money_received
from app.ordering.scope import order_for
from app.web.i18n import lazy_gettext as _l
from app.web.order_view import render_message
from app.web.rendering import see_other

from . import views
from .views import bp

__all__ = ["ReceiptForm", "bp"]

MAX_RECEIPT_FEN = 10**11  # ￥1,000,000,000.00: more is a typo (and beyond any order's total)


def _strip(value: str | None) -> str:
    return (value or "").strip()


class ReceiptForm(FlaskForm):
    """Money received: an amount in yuan (two decimals at most) and the bank's reference."""

    amount = StringField(
        _l("收款金额（元）"), filters=[_strip], validators=[DataRequired(_l("请填写收款金额"))]
    )
    reference = StringField(
        _l("参考号"),
        filters=[_strip],
        validators=[
            DataRequired(_l("请填写参考号（如银行流水号、转账单号）")),
            Length(max=MAX_REFERENCE, message=_l("参考号不能超过 100 个字")),
        ],
    )
    confirmed = BooleanField(
        _l("已核对到账金额与参考号"),
        validators=[DataRequired(_l("请先核对到账金额与参考号，并勾选确认"))],
    )

    def validate_amount(self, field) -> None:
        try:
            fen = parse_yuan(field.data or "")
        except ValueError:
            raise ValidationError(_("请填写金额（元），最多两位小数，如 1280.50")) from None
        if fen <= 0:
            raise ValidationError(_("收款金额须大于 0"))
        if fen > MAX_RECEIPT_FEN:
            raise ValidationError(_("收款金额超过订单金额"))

    @property
    def amount_fen(self) -> int:
        return parse_yuan(self.amount.data)


def offline_context() -> dict:
    """What the order page's 收款登记 slot reads (the page's own view does not pass it)."""
    return {
        "offline_payment": offline_payment,
        "receipt_form": g.get("receipt_form"),
        "format_yuan": lambda fen: format_fen(fen, symbol=""),
    }


bp.context_processor(offline_context)


def record_receipt_view(order: Order, fragment: str, page_view, done_url: str):
    """Shared by the store and platform portals: validate, record, answer."""
    form = ReceiptForm()
    if form.validate_on_submit():
        try:
            record_money_received(order, g.actor, form.amount_fen, form.reference.data)
        except InvalidInput as error:
            form.amount.errors = [*form.amount.errors, render_message(error.msg)]
        else:
            return see_other(done_url, _("已登记收款"))
    if request.htmx:
        return render_template(fragment, order=order, receipt_form=form), 422
    g.receipt_form = form  # the whole order page, with this form's errors in its slot
    response = make_response(page_view(order.id))
    response.status_code = 422
    return response


@bp.post("/orders/<int:order_id>/receipts")
def record_receipt(order_id: int):
    order = order_for(g.actor, order_id) or abort(404)
    return record_receipt_view(
        order,
        "store/_order_offline.html",
        views.order,
        url_for("store.order", order_id=order.id),
    )
