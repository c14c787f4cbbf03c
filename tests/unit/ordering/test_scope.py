"""Scope in one query: a store, a region, a rider or a buyer sees only what is theirs."""

from __future__ import annotations

import pytest

from app.accounts.models import Role
from app.delivery.scope import task_for
from app.delivery.services import grab_task, ship_with_assistant
from app.jobs import commit
from app.ordering.scope import order_for
from app.stores.models import StoreKind
from app.wholesale.services import assign_driver, confirm_order
from tests.factories import (
    actor_of,
    make_buyer,
    make_product,
    make_region,
    make_store,
    make_user,
    place_order,
)


def test_a_store_cannot_read_another_stores_order(app):
    mine, theirs = make_store(), make_store()
    order = place_order(make_buyer(), make_product(theirs), 1)
    assert order_for(actor_of(make_user(Role.STORE_STAFF, store=mine)), order.id) is None
    assert order_for(actor_of(make_user(Role.STORE_STAFF, store=theirs)), order.id) is not None


@pytest.fixture
def two_regions(app):
    haikou, sanya = make_region("海口"), make_region("三亚")
    product = make_product(make_store(StoreKind.WHOLESALE), min_order_qty=1)
    sanya_order = place_order(make_buyer(sanya), product, 1)
    return haikou, sanya, sanya_order


def test_a_sales_manager_cannot_read_another_regions_order(two_regions):
    haikou, sanya, order = two_regions
    assert order_for(actor_of(make_user(Role.SALES_MANAGER, region=haikou)), order.id) is None
    assert order_for(actor_of(make_user(Role.SALES_MANAGER, region=sanya)), order.id) is not None


def test_a_driver_sees_only_deliveries_assigned_to_them_in_their_region(two_regions):
    haikou, sanya, order = two_regions
    manager = actor_of(make_user(Role.SALES_MANAGER, region=sanya))
    driver = make_user(Role.DRIVER, region=sanya)
    other_driver = make_user(Role.DRIVER, region=sanya)
    haikou_driver = make_user(Role.DRIVER, region=haikou)
    confirm_order(order, manager)
    assign_driver(order, driver.id, manager)
    commit()
    assert order_for(actor_of(driver), order.id) is not None
    assert order_for(actor_of(other_driver), order.id) is None
    assert order_for(actor_of(haikou_driver), order.id) is None


def test_a_rider_cannot_load_a_task_taken_by_someone_else(app):
    store = make_store()
    order = place_order(make_buyer(), make_product(store), 1)
    task = ship_with_assistant(order, actor_of(make_user(Role.STORE_STAFF, store=store)))
    commit()
    taker, other = make_user(Role.RIDER), make_user(Role.RIDER)
    assert task_for(actor_of(other), task.id) is not None  # in the pool: everyone sees it
    grab_task(task, actor_of(taker))
    commit()
    assert task_for(actor_of(other), task.id) is None
    assert order_for(actor_of(other), order.id) is None
    assert task_for(actor_of(taker), task.id) is not None


def test_a_buyer_sees_only_their_own_orders(app):
    product = make_product(make_store())
    order = place_order(make_buyer(), product, 1)
    assert order_for(actor_of(make_buyer()), order.id) is None
