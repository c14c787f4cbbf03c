"""Deadlines: time-based rules as rows with a due time, applied by one idempotent sweep.

Domains register handlers with `on_due(kind)` and keep them current with `schedule()` and
`cancel()`; `app.deadlines.cron` runs the sweep (RQ's cron scheduler, or a timer without Redis).
"""

from app.deadlines.models import Deadline
from app.deadlines.services import (
    Outcome,
    SweepResult,
    apply_due,
    cancel,
    every_sweep,
    on_due,
    schedule,
    schedule_all,
    sweep,
)

__all__ = [
    "Deadline",
    "Outcome",
    "SweepResult",
    "apply_due",
    "cancel",
    "every_sweep",
    "on_due",
    "schedule",
    "schedule_all",
    "sweep",
]
