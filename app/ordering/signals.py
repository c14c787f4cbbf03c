"""What the ordering domain announces. Other domains subscribe in their own package (delivery
cancels a task, printing prints a ticket, money posts entries) inside the same unit of work, so
their writes commit or roll back with the order's; ordering never imports them.

Every signal's sender is the Order; keyword arguments as listed.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

# An order was created at checkout (status is its first status). kwargs: actor
order_placed = _signals.signal("order-placed")
# Money arrived, or for cash on delivery the store accepted it: goods may now be prepared.
# kwargs: actor
order_paid = _signals.signal("order-paid")
# Any move of the order machine. kwargs: frm, to, actor
order_moved = _signals.signal("order-moved")
# The order was closed (cancelled) from `frm`. kwargs: frm, actor
order_closed = _signals.signal("order-closed")
# An online order's time to pay has run out and it is about to be closed: the payments domain
# asks the gateway first (a missed callback), and may mark it paid. kwargs: none
order_payment_due = _signals.signal("order-payment-due")
# Money must go back to the buyer (a paid order cancelled or closed, an after-sales request
# granted): the payments domain refunds through the gateway or records an offline refund for
# staff to pay. kwargs: amount_fen, reason (str), aftersale_id (int | None), actor
refund_due = _signals.signal("refund-due")
