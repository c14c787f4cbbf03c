"""What the delivery domain announces; the sender is the DeliveryTask.

Money (rider commissions) and notifications subscribe in their own packages.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

# Any move of the task machine. kwargs: frm, to, actor
task_moved = _signals.signal("task-moved")
# The rider delivered (or the system ended the task as delivered). kwargs: actor
task_delivered = _signals.signal("task-delivered")
# A task was created for an order (any courier); the dispatcher's alarm is scheduled from it.
task_created = _signals.signal("task-created")
