"""The 配送助手's rules for a task: the rider's commission from its fixed part and per km."""

from __future__ import annotations

from app.delivery.models import DispatchSettings
from app.ordering.models import Order


def task_commission(settings: DispatchSettings, order: Order) -> int:
    """Fixed part (the store's own commission until the assistant sets one) plus the per-km
    part for every started kilometre of the order's distance."""
    fixed = settings.commission_fixed_fen
    if fixed is None:
        fixed = order.store.rider_commission_fen
    km = -(-(order.delivery_distance_m or 0) // 1000)  # started kilometres
    return fixed + settings.commission_per_km_fen * km
