"""Bugs found while reading the foundation (issue: the shape for the next capabilities).

Each test failed before its fix: a rider stuck at 配送中 after the platform completed the order,
stock returned for goods already on their way, a receipt printed for an order nobody accepted,
and wholesale orders that never printed.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.accounts.models import Role
from app.catalog.models import Sku
from app.clock import travel
from app.deadlines import sweep
from app.delivery.models import DeliveryTask, TaskStatus
from app.delivery.services import advance_task, grab_task, ship_with_assistant
from app.extensions import db
from app.jobs import commit
from app.jobs.models import OutboxJob
from app.ordering.services import accept_order, change_status_by_staff
from app.ordering.states import OrderStatus
from app.stores.models import StoreKind
from app.wholesale.services import assign_driver, confirm_order, ship_other_way
from tests.factories import (
    actor_of,
    make_buyer,
    make_product,
    make_region,
    make_store,
    make_user,
    place_order,
    store_actor,
)
from tests.support.printer import PrinterListener, printed_lines

# ---- the rider's task ends cleanly whichever side finishes first ---------------------------


@pytest.fixture
def delivering(app):
    """A same-city order a rider has picked up and is delivering (配送中)."""
    store = make_store(name="椰城小厨", rider_commission_fen=600)
    order = place_order(make_buyer(), make_product(store, "宫保鸡丁"))
    owner = make_user(Role.STORE_STAFF, store=store)
    task = ship_with_assistant(order, actor_of(owner))
    task.announced_at = task.created_at
    rider = make_user(Role.RIDER, name="赵骑手")
    commit()
    grab_task(task, actor_of(rider))
    for step in (TaskStatus.ARRIVED, TaskStatus.PICKED, TaskStatus.DELIVERING):
        advance_task(task, step, actor_of(rider))
    commit()
    return order, task, rider


def test_platform_completing_first_ends_the_riders_task_as_delivered(delivering):
    order, task, rider = delivering
    service = actor_of(make_user(Role.SERVICE))
    change_status_by_staff(order, OrderStatus.COMPLETED, service, "客户已收到")
    commit()
    db.session.refresh(task)
    assert (order.status, task.status) == (OrderStatus.COMPLETED, TaskStatus.DELIVERED)
    assert task.delivered_at is not None  # the rider's commission stands


def test_the_riders_late_delivered_tap_then_changes_nothing_and_fails_nothing(delivering):
    order, task, rider = delivering
    change_status_by_staff(
        order, OrderStatus.COMPLETED, actor_of(make_user(Role.SERVICE)), "客户已收到"
    )
    commit()
    events = len(order.events)

    moved = advance_task(task, TaskStatus.DELIVERED, actor_of(rider))
    commit()

    db.session.refresh(order)
    assert moved is False and len(order.events) == events
    assert db.session.get(DeliveryTask, task.id).status == TaskStatus.DELIVERED


def test_the_rider_delivering_first_completes_the_order_once(delivering):
    order, task, rider = delivering
    advance_task(task, TaskStatus.DELIVERED, actor_of(rider))
    commit()
    db.session.refresh(order)
    completions = [e for e in order.events if e.to_status == OrderStatus.COMPLETED]
    assert order.status == OrderStatus.COMPLETED and len(completions) == 1


def test_platform_completing_an_order_nobody_took_cancels_the_waiting_task(app):
    store = make_store()
    order = place_order(make_buyer(), make_product(store))
    task = ship_with_assistant(order, store_actor(store.id))
    commit()
    change_status_by_staff(order, OrderStatus.COMPLETED, actor_of(make_user(Role.SERVICE)), "自提")
    commit()
    db.session.refresh(task)
    assert task.status == TaskStatus.CANCELLED


# ---- stock comes back only when the goods did not leave --------------------------------


def stock_of(order) -> int:
    return db.session.get(Sku, order.items[0].sku_id).stock


def test_closing_a_shipped_order_does_not_put_its_stock_back(app):
    store = make_store()
    order = place_order(make_buyer(), make_product(store, stock=10), quantity=3)
    ship_with_assistant(order, store_actor(store.id))
    commit()
    assert stock_of(order) == 7
    change_status_by_staff(order, OrderStatus.CLOSED, actor_of(make_user(Role.SERVICE)), "拒收")
    commit()
    db.session.expire_all()
    assert stock_of(order) == 7  # the goods left with the rider


def test_closing_an_order_before_it_ships_puts_its_stock_back(app):
    store = make_store()
    order = place_order(make_buyer(), make_product(store, stock=10), quantity=3)
    change_status_by_staff(order, OrderStatus.CLOSED, actor_of(make_user(Role.SERVICE)), "缺货")
    commit()
    db.session.expire_all()
    assert stock_of(order) == 10


# ---- the receipt prints when the order is to be prepared ---------------------------------


@pytest.fixture
def printer():
    with PrinterListener() as listener:
        yield listener


def test_a_cash_on_delivery_order_prints_when_the_store_accepts_it_not_when_placed(app, printer):
    store = make_store(name="椰城小厨", printer_host=printer.host, printer_port=printer.port)
    order = place_order(make_buyer(), make_product(store, "海南鸡饭"), accept=False)
    assert order.status == OrderStatus.PENDING_ACCEPT
    assert printer.received == []  # placed: nothing prints yet

    accept_order(order, store_actor(store.id))
    commit()

    [ticket] = printer.wait_for(1)
    assert order.no.encode() in ticket
    assert "海南鸡饭 标准" in [line.text for line in printed_lines(ticket)]


def test_a_wholesale_order_prints_when_the_manager_confirms_it(app, printer):
    region = make_region()
    store = make_store(StoreKind.WHOLESALE, printer_host=printer.host, printer_port=printer.port)
    manager = make_user(Role.SALES_MANAGER, region=region)
    order = place_order(make_buyer(region), make_product(store, "椰子汁 1L"))
    assert printer.received == []

    confirm_order(order, actor_of(manager))
    commit()

    [ticket] = printer.wait_for(1)
    assert order.no.encode() in ticket


# ---- a buyer who never confirms receipt: the system does, 15 days after shipment ----------


@pytest.fixture
def shipped_by_express(app):
    region = make_region()
    manager = make_user(Role.SALES_MANAGER, region=region)
    order = place_order(make_buyer(region), make_product(make_store(StoreKind.WHOLESALE)))
    confirm_order(order, actor_of(manager))
    ship_other_way(order, "express", "顺丰 SF1234567890", actor_of(manager))
    commit()
    return order


def test_receipt_is_confirmed_automatically_fifteen_days_after_shipment(shipped_by_express):
    order = shipped_by_express
    with travel(timedelta(days=14, hours=23)):
        sweep()
    db.session.refresh(order)
    assert order.status == OrderStatus.SHIPPED  # the buyer still has time

    with travel(timedelta(days=15, minutes=1)):
        result = sweep()
    db.session.refresh(order)
    assert result.applied == 1 and order.status == OrderStatus.COMPLETED
    assert order.events[-1].note == {"code": "auto_received", "days": 15}


def test_an_order_closed_meanwhile_is_not_confirmed_later(shipped_by_express, app):
    order = shipped_by_express
    change_status_by_staff(order, OrderStatus.CLOSED, actor_of(make_user(Role.SERVICE)), "退回")
    commit()
    with travel(timedelta(days=16)):
        result = sweep()
    db.session.refresh(order)
    assert order.status == OrderStatus.CLOSED and result.applied == 0


def test_orders_a_driver_or_rider_brings_get_no_receipt_deadline(app):
    region = make_region()
    manager = make_user(Role.SALES_MANAGER, region=region)
    driver = make_user(Role.DRIVER, region=region)
    order = place_order(make_buyer(region), make_product(make_store(StoreKind.WHOLESALE)))
    confirm_order(order, actor_of(manager))
    assign_driver(order, driver.id, actor_of(manager))
    commit()
    with travel(timedelta(days=20)):
        sweep()
    db.session.refresh(order)
    assert order.status == OrderStatus.SHIPPED  # the driver's signed slip completes it


def test_the_sweep_retries_an_outbox_row_redis_refused(app):
    region = make_region()
    make_user(Role.SALES_MANAGER, region=region)
    place_order(make_buyer(region), make_product(make_store(StoreKind.WHOLESALE)))
    row = db.session.execute(select(OutboxJob)).scalars().first()
    row.status, row.done_at = "pending", None  # as if Redis had been down at the commit
    commit()

    sweep()

    db.session.refresh(row)
    assert row.status == "done"


def test_a_receipt_never_goes_to_a_target_refused_since_it_was_saved(app_factory):
    """A printer saved before targets were vetted (or a name that now points at loopback) is
    vetted again when the ticket is sent: nothing reaches it."""
    strict = app_factory(PRINTER_ALLOW_LOOPBACK=False)
    with strict.app_context(), PrinterListener() as printer:
        store = make_store(printer_host=printer.host, printer_port=printer.port)
        order = place_order(make_buyer(), make_product(store), accept=False)
        accept_order(order, store_actor(store.id))
        commit()
        job = db.session.execute(select(OutboxJob).order_by(OutboxJob.id.desc())).scalars().first()
        assert job.status == "done"  # refused plainly, not retried against the address
        assert printer.received == []
        db.session.remove()
