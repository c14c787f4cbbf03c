"""我的 → 月结对账单: a 统一结算 customer's own monthly statements (another's answers 404), and
what the buyer's order page shows about paying offline (payee details, the monthly note)."""

from __future__ import annotations

from flask import abort, g
from sqlalchemy import select

from app.extensions import db
from app.ordering.models import MonthlyStatement, Order
from app.ordering.offline import awaits_transfer, offline_payment, payee_for
from app.ordering.payment import SETTLED_MONTHLY
from app.ordering.statements import (
    month_of,
    statement_orders,
    statement_visible_to,
    statements_visible_to,
)
from app.stores.models import Store
from app.web.access import actor_required
from app.web.paging import paginate
from app.web.rendering import render_page_or_block

from .views import bp

__all__ = ["bp"]

PER_PAGE = 12


def _payee_context() -> dict:
    return {
        "awaits_transfer": awaits_transfer,
        "offline_payment": offline_payment,
        "payee_for": payee_for,
        "settled_monthly": lambda order: order.payment_method in SETTLED_MONTHLY,
        "statement_month": lambda order: month_of(order.created_at),
    }


bp.context_processor(_payee_context)


@bp.get("/statements")
@actor_required
def statements():
    query = statements_visible_to(g.actor).order_by(
        MonthlyStatement.month.desc(), MonthlyStatement.id.desc()
    )
    page = paginate(query, PER_PAGE)
    store_ids = {s.store_id for s in page.items}
    names = dict(
        db.session.execute(select(Store.id, Store.name).where(Store.id.in_(store_ids))).all()
    )
    return render_page_or_block("shop/statements.html", page=page, store_names=names)


@bp.get("/statements/<int:statement_id>")
@actor_required
def statement(statement_id: int):
    found = statement_visible_to(g.actor, statement_id) or abort(404)
    orders: list[Order] = statement_orders(found)
    return render_page_or_block(
        "shop/statements.html",
        statement=found,
        store=db.session.get(Store, found.store_id),
        orders=orders,
    )
