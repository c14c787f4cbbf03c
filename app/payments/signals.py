"""What the payments domain announces; ordering and money subscribe in their own packages.

Senders as listed; keyword arguments as listed.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

# The gateway confirmed a payment (verified notification or query). sender: Payment
payment_completed = _signals.signal("payment-completed")
# Money went back to the buyer (gateway confirmed, or staff recorded an offline refund).
# sender: Refund (refund.order_id, refund.aftersale_id, refund.amount_fen); kwargs: actor
refund_completed = _signals.signal("refund-completed")
# The gateway refused a refund (staff must act). sender: Refund
refund_failed = _signals.signal("refund-failed")
