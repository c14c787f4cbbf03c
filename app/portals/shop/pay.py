"""收银台: the buyer pays a checkout's orders online (WeChat Pay or Alipay), comes back from the
gateway's pay page, and sees the result; the order page shows 去支付 and the order's refunds."""

from __future__ import annotations

from flask import abort, current_app, g, render_template, request, url_for

from app.accounts.models import Role
from app.clock import utcnow
from app.extensions import db
from app.ordering.models import Checkout, Order
from app.ordering.states import OrderStatus
from app.payments.gateways import GATEWAY_LABELS, enabled_gateways
from app.payments.models import PaymentStatus
from app.payments.services import (
    REFUND_METHOD_LABELS,
    REFUND_STATUS_LABELS,
    open_payment,
    pay_deadline,
    payable_orders,
    payments_of_checkout,
    refunds_of_order,
    start_payment,
    sync_payment,
)
from app.web.access import actor_required
from app.web.rendering import render_page_or_block, see_other

from .views import bp

__all__ = ["bp"]


def _own_checkout(checkout_id: int) -> Checkout:
    """The buyer's own checkout; anyone else's (or none) answers 404."""
    checkout = db.session.get(Checkout, checkout_id)
    actor = g.actor
    if checkout is None or actor.role != Role.BUYER or checkout.buyer_id != actor.user_id:
        abort(404)
    return checkout


def _minutes_left(checkout: Checkout) -> int:
    left = (pay_deadline(checkout) - utcnow()).total_seconds()
    return max(int(left // 60), 0)


def _pay_page(checkout: Checkout, status: int = 200):
    orders = payable_orders(checkout)
    paid = any(p.status == PaymentStatus.PAID for p in payments_of_checkout(checkout.id))
    return render_page_or_block(
        "shop/pay.html",
        "pay_choices",
        status=status,
        checkout=checkout,
        orders=orders or list(checkout.orders),
        amount_fen=sum(o.total_fen for o in orders),
        payable=bool(orders),
        paid=paid,
        gateways={name: GATEWAY_LABELS[name] for name in enabled_gateways()},
        minutes_left=_minutes_left(checkout),
    )


def _notify_url(name: str) -> str:
    base = current_app.config.get("PAYMENT_NOTIFY_BASE_URL", "").rstrip("/")
    if base:
        return base + url_for("gateway.notify", name=name)
    return url_for("gateway.notify", name=name, _external=True)


@bp.get("/pay/<int:checkout_id>")
@actor_required
def pay(checkout_id: int):
    return _pay_page(_own_checkout(checkout_id))


@bp.post("/pay/<int:checkout_id>")
@actor_required
def start_pay(checkout_id: int):
    """The buyer pressed 微信支付 / 支付宝: off to the gateway's pay page (303)."""
    checkout = _own_checkout(checkout_id)
    name = request.form.get("gateway", "")
    payment = start_payment(
        checkout,
        name,
        g.actor,
        notify_url=_notify_url(name),
        return_url=url_for("shop.pay_return", checkout_id=checkout.id, _external=True),
        client_ip=request.remote_addr or "127.0.0.1",
    )
    if payment.status == PaymentStatus.PAID:
        return see_other(url_for("shop.pay_return", checkout_id=checkout.id))
    if request.htmx:
        return "", 200, {"HX-Redirect": payment.redirect_url}
    # A 303 to the gateway after a form post is refused by the CSP's form-action 'self': a page of
    # ours forwards the buyer instead (meta refresh, and a button in case it does not).
    return render_template(
        "shop/pay_go.html", url=payment.redirect_url, gateway=GATEWAY_LABELS.get(name, name)
    )


def _result(checkout: Checkout) -> dict:
    payments = payments_of_checkout(checkout.id)
    paid = next((p for p in payments if p.status == PaymentStatus.PAID), None)
    return dict(
        checkout=checkout,
        paid=paid,
        waiting=paid is None and open_payment(checkout) is not None,
        orders=list(checkout.orders),
        payable=bool(payable_orders(checkout)),
    )


@bp.get("/pay/<int:checkout_id>/return")
@actor_required
def pay_return(checkout_id: int):
    """Where the gateway sends the buyer back. A GET writes nothing: the page asks for the
    result with a POST (by itself with HTMX, or by the button)."""
    checkout = _own_checkout(checkout_id)
    return render_page_or_block("shop/pay_result.html", "pay_result", **_result(checkout))


@bp.post("/pay/<int:checkout_id>/sync")
@actor_required
def pay_sync(checkout_id: int):
    """Ask the gateway about the open payment (the callback may be late or lost)."""
    checkout = _own_checkout(checkout_id)
    payment = open_payment(checkout)
    if payment is not None:
        sync_payment(payment)
    if request.htmx:
        return render_page_or_block("shop/pay_result.html", "pay_result", **_result(checkout))
    return see_other(url_for("shop.pay_return", checkout_id=checkout.id))


def order_pay_panel(order: Order) -> dict:
    """What the buyer's order page shows about paying: 去支付 and the time left while unpaid,
    the refunds of the order and their state."""
    due = order.status == OrderStatus.PENDING_PAYMENT and order.checkout_id is not None
    minutes = _minutes_left(order.checkout) if due else 0
    return dict(
        due=due,
        minutes_left=minutes,
        refunds=refunds_of_order(order.id),
        refund_labels=REFUND_STATUS_LABELS,
        refund_methods=REFUND_METHOD_LABELS,
    )


def _pay_context() -> dict:
    return {"order_pay_panel": order_pay_panel}


bp.context_processor(_pay_context)
