"""月结对账单 (统一结算) for the platform: every customer's monthly statements, filtered by month,
store and whether settled; one statement's orders and the settle form (the page helpers are
shared with the store portal, app/portals/store/statements.py)."""

from __future__ import annotations

from flask import abort, g
from sqlalchemy import select

from app.extensions import db
from app.ordering.models import MonthlyStatement
from app.ordering.statements import statement_visible_to
from app.portals.store.statements import settle_view, statement_page, statements_page
from app.stores.models import Store

from .views import bp

__all__ = ["bp"]


@bp.get("/statements")
def statements():
    stores = db.session.execute(
        select(Store.id, Store.name)
        .where(Store.id.in_(select(MonthlyStatement.store_id)))
        .order_by(Store.name)
    ).all()
    return statements_page("platform/statements.html", "platform.statements", stores)


@bp.get("/statements/<int:statement_id>")
def statement(statement_id: int):
    found = statement_visible_to(g.actor, statement_id) or abort(404)
    return statement_page("platform/statements.html", found)


@bp.post("/statements/<int:statement_id>/settle")
def settle_statement(statement_id: int):
    return settle_view("platform/statements.html", statement_id, "platform.statement")
