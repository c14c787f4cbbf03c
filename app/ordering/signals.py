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
