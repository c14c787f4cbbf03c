"""The rider's money (SPEC §9): 我的 with the ledger's figures and the last 30 days by day,
提现, the withdrawal records and the payout account. The rules and the pages' logic are the
store's (app/portals/store/finance.py); these routes give them the phone's templates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask import g, request
from sqlalchemy import select

from app.clock import local_day_start, local_today, to_local
from app.delivery.earnings import delivered_today
from app.delivery.models import DeliveryTask, TaskStatus
from app.extensions import db
from app.finance import reports
from app.finance.models import EntryKind
from app.finance.withdrawals import account_of
from app.portals.store.finance import (
    account_page,
    account_view,
    finance_context,
    rules,
    withdraw_page,
    withdraw_view,
    withdrawal_rows,
)
from app.portals.store.finance_forms import WithdrawalFilterForm
from app.web.rendering import render_page_or_block

from .views import bp

__all__ = ["bp", "delivery_days"]

HISTORY_DAYS = 30

bp.context_processor(finance_context)


@dataclass(frozen=True)
class DeliveryDay:
    day: date
    delivered: int
    commission_fen: int


def delivery_days(rider_id: int, days: int = HISTORY_DAYS) -> list[DeliveryDay]:
    """Per local day, newest first: the rider's delivered tasks and their commission (every day
    of the window, a day without deliveries too; the page lists the days with deliveries)."""
    first = local_today() - timedelta(days=days - 1)
    rows = db.session.execute(
        select(DeliveryTask.delivered_at, DeliveryTask.commission_fen).where(
            DeliveryTask.rider_id == rider_id,
            DeliveryTask.status == TaskStatus.DELIVERED,
            DeliveryTask.delivered_at >= local_day_start(first),
        )
    ).all()
    totals = {first + timedelta(days=n): [0, 0] for n in range(days)}
    for delivered_at, commission_fen in rows:
        day = to_local(delivered_at).date()
        if day in totals:
            totals[day][0] += 1
            totals[day][1] += commission_fen
    return [DeliveryDay(day, n, fen) for day, (n, fen) in sorted(totals.items(), reverse=True)]


@bp.get("/me")
def me():
    """待结算佣金 (not yet withdrawable), 累计收入 (every delivery commission posted), 已提现 and
    可提现 from the ledger; 今日送达 and the last 30 days from the rider's tasks."""
    account = account_of(g.actor)
    days = delivery_days(g.actor.user_id)
    return render_page_or_block(
        "rider/me.html",
        total_income_fen=reports.kind_total(
            account.id if account else None, EntryKind.DELIVERY_COMMISSION
        ),
        delivered_today=delivered_today(g.actor.user_id),
        days=[day for day in days if day.delivered],
        history_days=HISTORY_DAYS,
        history_delivered=sum(day.delivered for day in days),
        history_fen=sum(day.commission_fen for day in days),
        **rules(account),
    )


@bp.route("/withdraw", methods=["GET", "POST"])
def withdraw():
    return withdraw_view("rider") if request.method == "POST" else withdraw_page("rider")


@bp.get("/withdrawals")
def withdrawals():
    filters = WithdrawalFilterForm(request.args)
    filters.validate()
    return render_page_or_block(
        "rider/withdrawals.html",
        "list",
        filters=filters,
        page=withdrawal_rows(filters),
        **rules(account_of(g.actor)),
    )


@bp.route("/account", methods=["GET", "POST"])
def payout_account():
    return account_view("rider") if request.method == "POST" else account_page("rider")
