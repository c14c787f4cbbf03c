"""Money received for transfer and 款到发货 orders: recorded in parts, never beyond the total,
only by the platform or the order's own store; the order is paid when the parts reach it."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from sqlalchemy import func, select

from app.accounts.models import Role
from app.errors import Forbidden, IllegalTransition, InvalidInput
from app.extensions import db
from app.jobs import commit
from app.money import format_fen
from app.ordering.models import OfflineReceipt, Order, OrderEvent, OrderSettings
from app.ordering.offline import payee_for, record_money_received
from app.ordering.services import change_status_by_staff
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


@pytest.fixture
def world(app):
    region = make_region()
    store = make_store(StoreKind.WHOLESALE)
    product = make_product(store, price_fen=10_000)
    buyer = make_buyer(region)
    operator = make_user(Role.OPERATOR)
    clerk = make_user(Role.STORE_STAFF, store=store)
    commit()
    return {
        "store": store,
        "product": product,
        "buyer": buyer,
        "operator": operator,
        "clerk": clerk,
    }


def _notes(order: Order) -> list[dict]:
    rows = db.session.execute(
        select(OrderEvent.note).where(OrderEvent.order_id == order.id).order_by(OrderEvent.id)
    ).scalars()
    return [row for row in rows if row]


def _received(order: Order) -> int:
    return db.session.execute(
        select(func.coalesce(func.sum(OfflineReceipt.amount_fen), 0)).where(
            OfflineReceipt.order_id == order.id
        )
    ).scalar_one()


def test_the_full_amount_pays_the_order_and_says_so_on_the_timeline(world):
    order = place_order(world["buyer"], world["product"], 2, payment="bank_transfer")
    assert order.paid_at is None
    status = order.status
    record_money_received(order, actor_of(world["operator"]), order.total_fen, " TX-001 ")
    commit()
    db.session.refresh(order)
    assert order.paid_at is not None
    assert order.status == status  # recording money never moves the status
    last = _notes(order)[-1]
    assert last["code"] == "money_received"
    assert last["reference"] == "TX-001"
    assert last["amount"] == format_fen(order.total_fen)


def test_parts_add_up_and_only_the_last_one_pays(world):
    order = place_order(world["buyer"], world["product"], 1, payment="prepay")
    clerk = actor_of(world["clerk"])
    record_money_received(order, clerk, 4_000, "part 1")
    commit()
    db.session.refresh(order)
    assert order.paid_at is None
    assert _notes(order)[-1]["code"] == "money_received_part"
    rest = order.total_fen - 4_000
    record_money_received(order, clerk, rest, "part 2")
    commit()
    db.session.refresh(order)
    assert order.paid_at is not None
    assert _received(order) == order.total_fen
    with pytest.raises(IllegalTransition):  # nothing left to receive
        record_money_received(order, clerk, 1, "part 3")


def test_more_than_is_unpaid_is_refused_and_nothing_is_kept(world):
    order = place_order(world["buyer"], world["product"], 1, payment="wechat_transfer")
    operator = actor_of(world["operator"])
    record_money_received(order, operator, 3_000, "a")
    commit()
    with pytest.raises(InvalidInput) as refused:
        record_money_received(order, operator, order.total_fen - 3_000 + 1, "b")
    db.session.rollback()
    assert "未收金额" in refused.value.message
    assert _received(order) == 3_000
    for bad in (0, -5):
        with pytest.raises(InvalidInput):
            record_money_received(order, operator, bad, "c")
    with pytest.raises(InvalidInput):
        record_money_received(order, operator, 100, "   ")  # a reference is required


def test_another_stores_staff_and_buyers_are_refused(world):
    order = place_order(world["buyer"], world["product"], 1, payment="bank_transfer")
    other = make_user(Role.STORE_STAFF, store=make_store(StoreKind.WHOLESALE))
    with pytest.raises(Forbidden):
        record_money_received(order, actor_of(other), 100, "x")
    with pytest.raises(Forbidden):
        record_money_received(order, actor_of(world["buyer"], Role.BUYER), 100, "x")
    assert _received(order) == 0


def test_door_collected_and_monthly_orders_are_not_recorded_here(world):
    for method in ("cod", "logistics_collect", "monthly"):
        order = place_order(world["buyer"], world["product"], 1, payment=method)
        with pytest.raises(InvalidInput):
            record_money_received(order, actor_of(world["operator"]), 100, "x")


def test_a_closed_order_takes_no_money(world):
    order = place_order(world["buyer"], world["product"], 1, payment="bank_transfer")
    operator = actor_of(world["operator"])
    change_status_by_staff(order, OrderStatus.CLOSED, operator, "客户取消")
    commit()
    with pytest.raises(IllegalTransition):
        record_money_received(order, operator, 100, "x")


def test_the_payee_is_the_stores_own_else_the_platforms(world):
    order = place_order(world["buyer"], world["product"], 1, payment="bank_transfer")
    settings = db.session.execute(select(OrderSettings)).scalar_one()
    settings.transfer_payee = "平台：工商银行 海口分行 户名 平台公司 账号 6222"
    assert payee_for(order).startswith("平台")
    world["store"].transfer_payee = "农业银行 户名 批发店 账号 6228"
    assert payee_for(order).startswith("农业银行")


RACERS = 2


@pytest.mark.postgres
def test_two_receipts_at_once_cannot_exceed_the_total(app_factory):
    racing_app = app_factory(SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 6, "max_overflow": 2})
    with racing_app.app_context():
        region = make_region()
        store = make_store(StoreKind.WHOLESALE)
        product = make_product(store, price_fen=10_000)
        order = place_order(make_buyer(region), product, 1, payment="bank_transfer")
        operator = make_user(Role.OPERATOR)
        commit()
        order_id, operator_id, total = order.id, operator.id, order.total_fen
        db.session.remove()

    barrier = threading.Barrier(RACERS)
    outcomes: Counter = Counter()
    lock = threading.Lock()

    def run() -> None:
        from app.accounts.models import User

        with racing_app.app_context():
            user = db.session.get(User, operator_id)
            target = db.session.get(Order, order_id)
            barrier.wait()
            try:
                # each one alone fits; both together would be 120% of the total
                record_money_received(target, actor_of(user), total * 6 // 10, "same time")
                commit()
                result = "recorded"
            except (InvalidInput, IllegalTransition):
                db.session.rollback()
                result = "refused"
            finally:
                db.session.remove()
            with lock:
                outcomes[result] += 1

    threads = [threading.Thread(target=run) for _ in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert outcomes == Counter({"recorded": 1, "refused": 1})
    with racing_app.app_context():
        assert _received(db.session.get(Order, order_id)) == total * 6 // 10
