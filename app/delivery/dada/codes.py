"""Dada's order status codes, what the store reads for each, and where each puts our task.

Codes (status/query's statusCode and the callback's order_status): 1 待接单, 2 待取货,
100 骑士到店, 3 配送中, 4 已完成, 5 已取消, 7 已过期, 8 指派单, 9 妥投异常之物品返回中,
10 妥投异常之物品返回完成, 1000 创建达达运单失败.
"""

from __future__ import annotations

from enum import IntEnum

from app.delivery.models import TaskStatus
from app.i18n_markers import N_


class DadaStatus(IntEnum):
    WAITING = 1  # 待接单: published, no rider yet
    ACCEPTED = 2  # 待取货: a rider accepted, on the way to the store
    DELIVERING = 3  # 配送中: picked up
    FINISHED = 4  # 已完成
    CANCELLED = 5  # 已取消
    EXPIRED = 7  # 已过期: nobody accepted in time
    ASSIGNED = 8  # 指派单: Dada assigned a rider, not yet accepted
    RETURNING = 9  # 妥投异常之物品返回中
    RETURNED = 10  # 妥投异常之物品返回完成
    ARRIVED = 100  # 骑士到店
    FAILED = 1000  # 创建达达运单失败 (also: we could not hand it over, e.g. the balance)


D = DadaStatus

# What the store reads in its Dada panel. No code yet: the hand-over job has not reached Dada.
SENDING = N_("派单中")
LABELS = {
    D.WAITING: N_("待达达配送"),
    D.ASSIGNED: N_("待达达配送"),
    D.ACCEPTED: N_("达达骑手已接单，待取货"),
    D.ARRIVED: N_("达达骑手已到店"),
    D.DELIVERING: N_("达达配送中"),
    D.FINISHED: N_("达达已送达"),
    D.CANCELLED: N_("达达配送已取消"),
    D.EXPIRED: N_("达达订单已过期"),
    D.RETURNING: N_("妥投异常，物品返回中"),
    D.RETURNED: N_("妥投异常，物品已返回"),
    D.FAILED: N_("达达派单失败"),
}

# Where a live code puts our task (never backwards: see services.apply_state).
TASK_STATE = {
    D.WAITING: TaskStatus.WAITING,
    D.ASSIGNED: TaskStatus.WAITING,
    D.ACCEPTED: TaskStatus.ACCEPTED,
    D.ARRIVED: TaskStatus.ARRIVED,
    D.DELIVERING: TaskStatus.DELIVERING,
    D.RETURNING: TaskStatus.DELIVERING,
    D.FINISHED: TaskStatus.DELIVERED,
}
# Dada's order is over without a delivery: the store may dispatch it again.
ENDED = frozenset({D.CANCELLED, D.EXPIRED, D.RETURNED, D.FAILED})
# Dada is working on it: nothing to send again.
LIVE = frozenset({D.WAITING, D.ASSIGNED, D.ACCEPTED, D.ARRIVED, D.DELIVERING, D.RETURNING})
# formalCancel is accepted before the rider has picked up.
CANCELLABLE = frozenset({D.WAITING, D.ASSIGNED, D.ACCEPTED, D.ARRIVED})
# A tip helps only while nobody has accepted.
TIPPABLE = frozenset({D.WAITING, D.ASSIGNED})

# How far along each code is: a callback claiming more than Dada's own answer is contradicted.
RANK = {
    D.WAITING: 0,
    D.ASSIGNED: 0,
    D.ACCEPTED: 1,
    D.ARRIVED: 2,
    D.DELIVERING: 3,
    D.RETURNING: 4,
    D.FINISHED: 5,
    D.RETURNED: 5,
    D.CANCELLED: 5,
    D.EXPIRED: 5,
    D.FAILED: 5,
}


def known(code: int | None) -> DadaStatus | None:
    try:
        return DadaStatus(int(code)) if code is not None else None
    except (TypeError, ValueError):
        return None


def label(code: int | None) -> str:
    found = known(code)
    return LABELS[found] if found is not None else SENDING


def confirms(claimed: int, truth: int) -> bool:
    """Dada's own answer (`truth`) bears the callback out: the same code, or Dada has moved on
    past it since (a late callback). A callback claiming more than Dada says is refused."""
    claimed_code, truth_code = known(claimed), known(truth)
    if claimed_code is None or truth_code is None:
        return False
    return truth_code == claimed_code or RANK[truth_code] > RANK[claimed_code]
