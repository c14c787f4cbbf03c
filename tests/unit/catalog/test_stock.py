"""Stock movements: a compare-and-set from the stock the person saw, never below 0, always a row."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from app.accounts.models import Role
from app.catalog.models import Sku, StockMovement
from app.catalog.stock import (
    STOCK_CHANGED,
    adjust_stock,
    low_stock_skus,
    move_stock,
    sku_for,
    stock_history,
)
from app.errors import AlreadyTaken, Forbidden, InvalidInput
from app.extensions import db
from app.jobs import commit
from tests.factories import actor_of, make_product, make_store, make_user


@pytest.fixture
def store(app):
    return make_store(name="椰城便利")


@pytest.fixture
def staff(store):
    user = make_user(Role.STORE_STAFF, store=store, name="李店员")
    return actor_of(user)


@pytest.fixture
def sku(store) -> Sku:
    product = make_product(store, name="椰子汁", stock=100)
    commit()
    return product.skus[0]


def movements(sku: Sku) -> list[StockMovement]:
    return list(
        db.session.execute(
            select(StockMovement).where(StockMovement.sku_id == sku.id).order_by(StockMovement.id)
        ).scalars()
    )


def test_setting_the_stock_writes_who_why_before_and_after(sku, staff):
    move_stock(sku, 80, "月底盘点", staff)
    commit()
    db.session.expire_all()
    assert db.session.get(Sku, sku.id).stock == 80
    [row] = movements(sku)
    assert (row.before, row.after, row.reason) == (100, 80, "月底盘点")
    assert (row.actor_id, row.actor_name) == (staff.user_id, "李店员")


def test_adding_and_subtracting_move_from_the_current_stock(sku, staff):
    adjust_stock(sku, 20, "到货入库", staff)
    adjust_stock(sku, -5, "破损报废", staff)
    commit()
    assert db.session.get(Sku, sku.id).stock == 115
    assert [(m.before, m.after) for m in stock_history(sku)] == [(120, 115), (100, 120)]


def test_two_adjustments_from_the_same_stock_one_wins(sku, staff):
    move_stock(sku, 50, "盘点甲", staff, before=100)
    with pytest.raises(AlreadyTaken) as refused:
        move_stock(sku, 30, "盘点乙", staff, before=100)
    assert refused.value.msg.code == STOCK_CHANGED.code
    assert str(refused.value) == "库存已变化，请刷新后再试"
    commit()
    assert db.session.get(Sku, sku.id).stock == 50
    assert [m.reason for m in movements(sku)] == ["盘点甲"]


def test_a_checkout_reservation_in_between_is_never_overwritten(sku, staff):
    seen = sku.stock  # the person opened the form at 100
    # a checkout reserves 3 in another transaction (the same statement ordering runs)
    db.session.execute(
        update(Sku)
        .where(Sku.id == sku.id, Sku.stock >= 3)
        .values(stock=Sku.stock - 3)
        .execution_options(synchronize_session=False)
    )
    commit()
    with pytest.raises(AlreadyTaken):
        adjust_stock(sku, 10, "到货", staff, before=seen)
    assert sku.stock == 97  # re-read for the person
    db.session.rollback()
    assert db.session.get(Sku, sku.id).stock == 97
    assert movements(sku) == []


def test_stock_never_goes_below_zero(sku, staff):
    with pytest.raises(InvalidInput):
        adjust_stock(sku, -101, "报损", staff)
    with pytest.raises(InvalidInput):
        move_stock(sku, -1, "盘点", staff)
    assert movements(sku) == []


def test_a_manual_change_needs_a_reason_of_at_most_200_characters(sku, staff):
    with pytest.raises(InvalidInput):
        move_stock(sku, 10, "  ", staff)
    with pytest.raises(InvalidInput):
        move_stock(sku, 10, "盘" * 201, staff)
    move_stock(sku, 10, "盘" * 200, staff)


def test_another_stores_staff_cannot_touch_the_sku(sku, app):
    other = make_store(name="别家店")
    outsider = actor_of(make_user(Role.STORE_STAFF, store=other))
    assert sku_for(outsider, sku.id) is None
    with pytest.raises(Forbidden):
        move_stock(sku, 1, "试试", outsider)
    operator = actor_of(make_user(Role.OPERATOR))
    with pytest.raises(Forbidden):
        adjust_stock(sku, 1, "平台不改库存", operator)


def test_low_stock_lists_skus_at_or_under_the_threshold(store, staff):
    empty = make_product(store, name="空了", stock=0).skus[0]
    few = make_product(store, name="快没了", stock=10).skus[0]
    make_product(store, name="充足", stock=11)
    make_product(make_store(), name="别家的", stock=0)
    assert [s.id for s in low_stock_skus(store)] == [empty.id, few.id]
    assert [s.id for s in low_stock_skus(store, threshold=0)] == [empty.id]
