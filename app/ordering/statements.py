"""统一结算 (SPEC §4): a customer's monthly-settled orders at one store in one month become one
statement, which staff mark settled when the money arrives; settling pays every order of it.

Months are Asia/Shanghai calendar months. A deadline per month (kind `monthly_statements`,
subject yyyymm, due when the month ends), set by the month's first monthly-settled order, builds
the month's statements on the 1st through the sweep. A statement is refreshed (upsert) whenever it is
built again or one of its orders is placed or closed, until it is settled; then it stays as it
was settled.
"""

from __future__ import annotations

import re
from datetime import date, datetime

from sqlalchemy import ColumnElement, Select, false, func, select, true, update

from app.accounts.actor import Actor
from app.accounts.models import Role
from app.clock import local_day_start, local_today, to_local, utcnow
from app.deadlines import on_due, schedule
from app.deadlines.models import Deadline
from app.errors import Forbidden, IllegalTransition, InvalidInput
from app.extensions import db
from app.i18n_markers import N_
from app.messages import define
from app.ordering.events import record_event
from app.ordering.models import MonthlyStatement, Order
from app.ordering.offline import MAX_REFERENCE
from app.ordering.payment import SETTLED_MONTHLY
from app.ordering.signals import order_closed, order_placed
from app.ordering.states import OrderStatus
from app.upsert import upsert_into

BUILD_KIND = "monthly_statements"  # the deadline kind; subject_id is the month as yyyymm
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")

STATEMENT_NOT_YOURS = define("statement_not_yours", N_("只有平台人员或本店人员可以结清对账单"))
STATEMENT_SETTLED = define("statement_settled", N_("该对账单已结清"))
STATEMENT_MONTH_OPEN = define(
    "statement_month_open", N_("%(month)s 还没有结束，月底后才能结清该月对账单")
)
STATEMENT_BAD_MONTH = define("statement_bad_month", N_("月份请填写为 YYYY-MM，如 2026-11"))
STATEMENT_REFERENCE_REQUIRED = define(
    "statement_reference_required", N_("请填写参考号（如银行流水号）")
)
STATEMENT_REFERENCE_TOO_LONG = define("statement_reference_too_long", N_("参考号不能超过 100 个字"))
# Timeline note on each order of a settled statement
STATEMENT_PAID = define("statement_paid", N_("%(month)s 月结对账单已结清（参考号 %(reference)s）"))


# ---- months --------------------------------------------------------------------------------


def parse_month(month: str) -> tuple[int, int]:
    found = _MONTH.match(month or "")
    if not found:
        raise InvalidInput(STATEMENT_BAD_MONTH())
    return int(found.group(1)), int(found.group(2))


def _next(year: int, month: int) -> tuple[int, int]:
    return (year + 1, 1) if month == 12 else (year, month + 1)


def month_bounds(month: str) -> tuple[datetime, datetime]:
    """The month's first and the next month's first instant, naive UTC (Shanghai midnights)."""
    year, mon = parse_month(month)
    ny, nm = _next(year, mon)
    return local_day_start(date(year, mon, 1)), local_day_start(date(ny, nm, 1))


def month_of(moment: datetime) -> str:
    """The Shanghai month of a naive UTC instant."""
    return f"{to_local(moment):%Y-%m}"


def current_month() -> str:
    return f"{local_today():%Y-%m}"


def previous_month(month: str) -> str:
    year, mon = parse_month(month)
    return f"{year - 1}-12" if mon == 1 else f"{year}-{mon - 1:02d}"


def _month_number(month: str) -> int:
    year, mon = parse_month(month)
    return year * 100 + mon


def _month_text(number: int) -> str:
    return f"{number // 100:04d}-{number % 100:02d}"


# ---- building ------------------------------------------------------------------------------


def _orders_of(buyer_id: int, store_id: int, month: str) -> Select:
    start, end = month_bounds(month)
    return select(Order).where(
        Order.buyer_id == buyer_id,
        Order.store_id == store_id,
        Order.payment_method.in_(SETTLED_MONTHLY),
        Order.created_at >= start,
        Order.created_at < end,
        Order.status != OrderStatus.CLOSED,
    )


def statement_orders(statement: MonthlyStatement) -> list[Order]:
    """The statement's orders (paid and unpaid; closed ones are not owed), oldest first."""
    query = _orders_of(statement.buyer_id, statement.store_id, statement.month)
    return list(db.session.execute(query.order_by(Order.created_at, Order.id)).scalars())


def statement_for(buyer_id: int, store_id: int, month: str) -> MonthlyStatement:
    """Build or refresh the statement of this customer at this store for this month (one
    upsert: two builds at once never collide). A settled statement is left as settled."""
    query = _orders_of(buyer_id, store_id, month).subquery()
    count, total = db.session.execute(
        select(func.count(), func.coalesce(func.sum(query.c.total_fen), 0)).select_from(query)
    ).one()
    stmt = upsert_into(MonthlyStatement).values(
        buyer_id=buyer_id,
        store_id=store_id,
        month=month,
        order_count=count,
        total_fen=total,
        reference="",
        created_at=utcnow(),
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=[
            MonthlyStatement.buyer_id,
            MonthlyStatement.store_id,
            MonthlyStatement.month,
        ],
        set_={"order_count": stmt.excluded.order_count, "total_fen": stmt.excluded.total_fen},
        where=MonthlyStatement.settled_at.is_(None),
    )
    db.session.execute(stmt)
    return db.session.execute(
        select(MonthlyStatement)
        .where(
            MonthlyStatement.buyer_id == buyer_id,
            MonthlyStatement.store_id == store_id,
            MonthlyStatement.month == month,
        )
        .execution_options(populate_existing=True)
    ).scalar_one()


def build_statements(month: str) -> list[MonthlyStatement]:
    """Every statement of the month: one per customer and store with monthly-settled orders."""
    start, end = month_bounds(month)
    pairs = db.session.execute(
        select(Order.buyer_id, Order.store_id)
        .where(
            Order.payment_method.in_(SETTLED_MONTHLY),
            Order.created_at >= start,
            Order.created_at < end,
            Order.status != OrderStatus.CLOSED,
        )
        .group_by(Order.buyer_id, Order.store_id)
        .order_by(Order.store_id, Order.buyer_id)
    ).all()
    return [statement_for(buyer_id, store_id, month) for buyer_id, store_id in pairs]


def _ensure_build_deadline(month: str) -> None:
    """The deadline that builds `month`'s statements when it ends (never re-opened once done)."""
    number = _month_number(month)
    exists = db.session.execute(
        select(Deadline.id).where(Deadline.kind == BUILD_KIND, Deadline.subject_id == number)
    ).first()
    if exists is None:
        schedule(BUILD_KIND, number, month_bounds(month)[1])


@on_due(BUILD_KIND)
def build_month(number: int) -> None:
    """The month has ended: build its statements (an upsert each, so a rerun changes nothing
    that is settled)."""
    build_statements(_month_text(number))


def _refresh_existing(order: Order) -> None:
    """An order of an already built, unsettled statement was placed or closed: refresh it."""
    if order.payment_method not in SETTLED_MONTHLY:
        return
    month = month_of(order.created_at)
    existing = db.session.execute(
        select(MonthlyStatement.id).where(
            MonthlyStatement.buyer_id == order.buyer_id,
            MonthlyStatement.store_id == order.store_id,
            MonthlyStatement.month == month,
            MonthlyStatement.settled_at.is_(None),
        )
    ).first()
    if existing is not None:
        statement_for(order.buyer_id, order.store_id, month)


@order_placed.connect
def _on_placed(order: Order, **_) -> None:
    """A monthly-settled order: its month's statements will be built when the month ends
    (the deadline exists once per month), and a statement already built is refreshed."""
    if order.payment_method not in SETTLED_MONTHLY:
        return
    _ensure_build_deadline(month_of(order.created_at))
    _refresh_existing(order)


@order_closed.connect
def _on_closed(order: Order, **_) -> None:
    _refresh_existing(order)


# ---- who sees what, settling ----------------------------------------------------------------


def _scope(actor: Actor) -> ColumnElement[bool]:
    if actor.is_staff:
        return true()
    if actor.role == Role.STORE_STAFF and actor.store_id:
        return MonthlyStatement.store_id == actor.store_id
    if actor.role == Role.BUYER and actor.user_id:
        return MonthlyStatement.buyer_id == actor.user_id
    return false()


def statements_visible_to(actor: Actor) -> Select:
    return select(MonthlyStatement).where(_scope(actor))


def statement_visible_to(actor: Actor, statement_id: int) -> MonthlyStatement | None:
    """One statement if the actor may see it; None means the portal answers 404."""
    return db.session.execute(
        statements_visible_to(actor).where(MonthlyStatement.id == statement_id)
    ).scalar_one_or_none()


def may_settle(statement: MonthlyStatement, actor: Actor) -> bool:
    if actor.is_staff:
        return True
    return actor.role == Role.STORE_STAFF and actor.store_id == statement.store_id


def month_over(month: str) -> bool:
    return utcnow() >= month_bounds(month)[1]


def settle(statement: MonthlyStatement, actor: Actor, reference: str) -> list[Order]:
    """Mark the statement settled (once: compare-and-set on settled_at) and every unpaid order
    of it paid, each with one timeline line. Returns the orders it paid."""
    if not may_settle(statement, actor):
        raise Forbidden(STATEMENT_NOT_YOURS())
    reference = (reference or "").strip()
    if not reference:
        raise InvalidInput(STATEMENT_REFERENCE_REQUIRED())
    if len(reference) > MAX_REFERENCE:
        raise InvalidInput(STATEMENT_REFERENCE_TOO_LONG())
    if statement.settled_at is not None:
        raise IllegalTransition(STATEMENT_SETTLED())
    if not month_over(statement.month):
        raise IllegalTransition(STATEMENT_MONTH_OPEN(month=statement.month))
    statement_for(statement.buyer_id, statement.store_id, statement.month)  # counts as settled
    now = utcnow()
    claimed = db.session.execute(
        update(MonthlyStatement)
        .where(MonthlyStatement.id == statement.id, MonthlyStatement.settled_at.is_(None))
        .values(settled_at=now, settled_by=actor.user_id, reference=reference)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        raise IllegalTransition(STATEMENT_SETTLED())
    db.session.refresh(statement)
    paid = []
    for order in statement_orders(statement):
        done = db.session.execute(
            update(Order)
            .where(Order.id == order.id, Order.paid_at.is_(None))
            .values(paid_at=now)
            .execution_options(synchronize_session=False)
        )
        if done.rowcount == 1:
            db.session.refresh(order)
            note = STATEMENT_PAID(month=statement.month, reference=reference)
            record_event(order.id, actor, order.status, order.status, note)
            paid.append(order)
    return paid
