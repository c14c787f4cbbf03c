"""What a rider has earned: the figures on the rider's 我的 page (SPEC §6)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select

from app.clock import local_day_start, to_local, utcnow
from app.delivery.models import DeliveryTask, TaskStatus
from app.extensions import db


@dataclass(frozen=True)
class RiderEarnings:
    pending_settlement_fen: int  # 待结算佣金
    total_income_fen: int  # 累计收入
    withdrawn_fen: int  # 已提现金额
    delivered_today: int


def rider_earnings(rider_id: int, now: datetime | None = None) -> RiderEarnings:
    """One query over the rider's delivered tasks.

    Nothing is settled or withdrawn yet (finance comes later), so every delivered commission
    still awaits settlement and the withdrawn amount is zero.
    """
    since = local_day_start(to_local(now or utcnow()).date())
    total, today = db.session.execute(
        select(
            func.coalesce(func.sum(DeliveryTask.commission_fen), 0),
            func.coalesce(func.sum(case((DeliveryTask.delivered_at >= since, 1), else_=0)), 0),
        ).where(DeliveryTask.rider_id == rider_id, DeliveryTask.status == TaskStatus.DELIVERED)
    ).one()
    return RiderEarnings(
        pending_settlement_fen=int(total),
        total_income_fen=int(total),
        withdrawn_fen=0,
        delivered_today=int(today),
    )
