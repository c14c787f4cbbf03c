"""How promotions react to orders: points earned when an order completes, points and coupons
given back when an order closes before completion. Each posts once (idempotent)."""

from __future__ import annotations

from app.ordering.signals import order_closed, order_moved
from app.ordering.states import OrderStatus
from app.promotions import coupons, points


@order_moved.connect
def earn_points_on_completion(order, to, **_) -> None:
    if to == OrderStatus.COMPLETED:
        points.earn_for(order)


@order_closed.connect
def give_back_on_close(order, frm, **_) -> None:
    """Its share of the points comes back; an order closed unpaid also frees its store coupon,
    and the platform coupon once every order of its checkout closed unpaid."""
    points.return_for(order)
    if frm != OrderStatus.PENDING_PAYMENT:
        return
    if order.store_coupon_id is not None:
        coupons.give_back(order.store_coupon_id)
    checkout = order.checkout
    if checkout is not None and checkout.platform_coupon_id is not None:
        siblings = list(checkout.orders)
        if all(o.status == OrderStatus.CLOSED and o.paid_at is None for o in siblings):
            coupons.give_back(checkout.platform_coupon_id)
