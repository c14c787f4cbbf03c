"""统一结算: a customer's monthly orders at one store become one statement per Shanghai month,
built when the month ends; settling it once pays every order of it."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from app.accounts.models import Role
from app.clock import travel, utcnow
from app.deadlines import sweep
from app.deadlines.models import Deadline
from app.errors import Forbidden, IllegalTransition, InvalidInput
from app.extensions import db
from app.jobs import commit
from app.ordering.models import MonthlyStatement, OrderEvent
from app.ordering.services import change_status_by_staff
from app.ordering.statements import BUILD_KIND, month_bounds, settle, statement_for
from app.ordering.states import OrderStatus
from app.stores.models import StoreKind
from tests.factories import (
    actor_of,
    make_buyer,
    make_product,
    make_region,
    make_store,
    make_user,
    place_order,
)


def at(*args) -> datetime:
    """A naive UTC instant."""
    return datetime(*args)


def place_at(moment: datetime, buyer, product, payment="monthly"):
    with travel(moment - utcnow()):
        return place_order(buyer, product, 1, payment=payment)


@pytest.fixture
def world(app):
    region = make_region()
    store = make_store(StoreKind.WHOLESALE)
    product = make_product(store, price_fen=5_000)
    buyer = make_buyer(region)
    operator = make_user(Role.OPERATOR)
    commit()
    return {"store": store, "product": product, "buyer": buyer, "operator": operator}


def _statement(world, month):
    return db.session.execute(
        select(MonthlyStatement).where(
            MonthlyStatement.buyer_id == world["buyer"].id, MonthlyStatement.month == month
        )
    ).scalar_one_or_none()


def test_months_end_at_midnight_in_shanghai_not_in_utc(world):
    start, end = month_bounds("2026-10")
    assert start == at(2026, 9, 30, 16, 0)  # 1 October 00:00 in Shanghai
    assert end == at(2026, 10, 31, 16, 0)
    # 23:59 on 31 October in Shanghai is October; one minute past midnight is November,
    # though both are 31 October in UTC
    late = place_at(at(2026, 10, 31, 15, 59), world["buyer"], world["product"])
    early = place_at(at(2026, 10, 31, 16, 1), world["buyer"], world["product"])
    october = statement_for(world["buyer"].id, world["store"].id, "2026-10")
    november = statement_for(world["buyer"].id, world["store"].id, "2026-11")
    assert (october.order_count, october.total_fen) == (1, late.total_fen)
    assert (november.order_count, november.total_fen) == (1, early.total_fen)


def test_a_statement_counts_paid_and_unpaid_orders_but_not_closed_or_other_methods(world):
    moment = at(2026, 10, 10, 4, 0)
    kept = [place_at(moment, world["buyer"], world["product"]) for _ in range(3)]
    place_at(moment, world["buyer"], world["product"], payment="bank_transfer")
    change_status_by_staff(kept[2], OrderStatus.CLOSED, actor_of(world["operator"]), "取消")
    commit()
    statement = statement_for(world["buyer"].id, world["store"].id, "2026-10")
    assert statement.order_count == 2
    assert statement.total_fen == kept[0].total_fen + kept[1].total_fen
    again = statement_for(world["buyer"].id, world["store"].id, "2026-10")  # an upsert
    assert again.id == statement.id


def test_closing_an_order_refreshes_its_built_statement(world):
    orders = [place_at(at(2026, 10, 10, 4, 0), world["buyer"], world["product"]) for _ in range(2)]
    statement_for(world["buyer"].id, world["store"].id, "2026-10")
    commit()
    change_status_by_staff(orders[0], OrderStatus.CLOSED, actor_of(world["operator"]), "取消")
    commit()
    assert _statement(world, "2026-10").order_count == 1


def test_settling_pays_every_order_once_and_cannot_be_repeated(world):
    orders = [place_at(at(2026, 10, 10, 4, 0), world["buyer"], world["product"]) for _ in range(2)]
    statement = statement_for(world["buyer"].id, world["store"].id, "2026-10")
    commit()
    operator = actor_of(world["operator"])
    with travel(at(2026, 11, 3, 2, 0) - utcnow()):
        paid = settle(statement, operator, "BANK-778")
        commit()
        assert {o.id for o in paid} == {o.id for o in orders}
        assert statement.settled_at is not None and statement.reference == "BANK-778"
        for order in orders:
            db.session.refresh(order)
            assert order.paid_at is not None
            notes = db.session.execute(
                select(OrderEvent.note).where(OrderEvent.order_id == order.id)
            ).scalars()
            assert [n["code"] for n in notes if n].count("statement_paid") == 1
        with pytest.raises(IllegalTransition):
            settle(statement, operator, "BANK-779")


def test_a_month_not_over_cannot_be_settled_and_a_reference_is_required(world):
    place_at(at(2026, 10, 10, 4, 0), world["buyer"], world["product"])
    statement = statement_for(world["buyer"].id, world["store"].id, "2026-10")
    commit()
    operator = actor_of(world["operator"])
    with travel(at(2026, 10, 20, 2, 0) - utcnow()), pytest.raises(IllegalTransition):
        settle(statement, operator, "X")
    with travel(at(2026, 11, 2, 2, 0) - utcnow()):
        with pytest.raises(InvalidInput):
            settle(statement, operator, "  ")
        other = make_user(Role.STORE_STAFF, store=make_store(StoreKind.WHOLESALE))
        with pytest.raises(Forbidden):
            settle(statement, actor_of(other), "X")
        own = make_user(Role.STORE_STAFF, store=world["store"])
        settle(statement, actor_of(own), "X")  # the store's own staff may
    assert statement.settled_at is not None


def test_the_sweep_builds_last_months_statements_on_the_first(world):
    with travel(at(2026, 10, 5, 2, 0) - utcnow()):
        place_order(world["buyer"], world["product"], 1, payment="monthly")  # schedules October
        place_order(world["buyer"], world["product"], 1, payment="monthly")
        place_order(world["buyer"], world["product"], 1, payment="cod")  # not on a statement
    [deadline] = db.session.execute(select(Deadline).where(Deadline.kind == BUILD_KIND)).scalars()
    assert deadline.subject_id == 202610
    assert deadline.due_at == at(2026, 10, 31, 16, 0)  # 1 November 00:00 in Shanghai
    with travel(at(2026, 10, 31, 15, 0) - utcnow()):  # still October in Shanghai
        sweep()
        assert _statement(world, "2026-10") is None
    with travel(at(2026, 10, 31, 16, 5) - utcnow()):  # 1 November 00:05 in Shanghai
        assert sweep().applied == 1
        assert sweep().applied == 0  # built once
    statement = _statement(world, "2026-10")
    assert statement is not None and statement.order_count == 2
