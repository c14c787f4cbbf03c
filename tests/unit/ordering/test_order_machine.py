"""The order state machine: one table of moves, one guard, clear refusals, nothing changed."""

from __future__ import annotations

import pytest

from app.accounts.models import Role
from app.catalog.models import Sku
from app.errors import Forbidden, IllegalTransition, InvalidInput
from app.extensions import db
from app.jobs import commit
from app.messages import NOTE, render
from app.ordering.services import change_status_by_staff, move_order
from app.ordering.states import OrderStatus
from tests.factories import actor_of, make_buyer, make_product, make_store, make_user, place_order


@pytest.fixture
def order(app):
    return place_order(make_buyer(), make_product(make_store(), stock=10), 3)


def test_an_illegal_move_is_refused_with_a_clear_message_and_changes_nothing(order):
    owner = actor_of(make_user(Role.STORE_STAFF, store=order.store))
    events_before = len(order.events)
    with pytest.raises(IllegalTransition, match="当前状态为「待发货」，不能改为「已完成」"):
        move_order(order, OrderStatus.COMPLETED, owner)
    db.session.rollback()
    assert order.status == OrderStatus.AWAITING_SHIPMENT
    assert len(order.events) == events_before


def test_a_role_without_the_move_is_told_so(order):
    rider = actor_of(make_user(Role.RIDER))
    with pytest.raises(Forbidden, match="您的角色不能执行「发货」"):
        move_order(order, OrderStatus.SHIPPED, rider)


def test_closing_an_order_releases_its_stock(order):
    service = actor_of(make_user(Role.SERVICE))
    sku = db.session.get(Sku, order.items[0].sku_id)
    assert sku.stock == 7
    change_status_by_staff(order, OrderStatus.CLOSED, service, "客户来电取消")
    commit()
    db.session.refresh(sku)
    assert order.status == OrderStatus.CLOSED
    assert sku.stock == 10


def test_staff_must_give_a_remark(order):
    service = actor_of(make_user(Role.SERVICE))
    with pytest.raises(InvalidInput, match="请填写备注"):
        change_status_by_staff(order, OrderStatus.CLOSED, service, "  ")


def test_every_move_is_an_event_with_actor_and_remark(order):
    owner = make_user(Role.STORE_STAFF, store=order.store, name="王老板")
    move_order(order, OrderStatus.SHIPPED, actor_of(owner), NOTE(text="自己送"))
    commit()
    last = order.events[-1]
    assert (
        last.actor_name,
        last.actor_role,
        last.from_status,
        last.to_status,
        render(last.note),
    ) == (
        "王老板",
        Role.STORE_STAFF,
        OrderStatus.AWAITING_SHIPMENT,
        OrderStatus.SHIPPED,
        "自己送",
    )
