"""代客下单: a sales manager orders for a customer of their own region, at the customer's level
prices, recorded as placed by the manager; anyone else is refused and nothing is created."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.accounts.models import Address, Member, MemberLevel, Role
from app.catalog.models import Sku, SkuLevelPrice
from app.errors import Forbidden, InvalidInput
from app.extensions import db
from app.ordering.checkout import place_orders_for
from app.ordering.models import Order
from app.stores.models import StoreKind
from tests.factories import actor_of, make_buyer, make_product, make_region, make_store, make_user


@pytest.fixture
def world(app):
    region = make_region("海口")
    store = make_store(kind=StoreKind.WHOLESALE, name="椰岛批发")
    juice = make_product(store, "椰子汁", price_fen=650, stock=100, min_order_qty=6)
    gold = db.session.execute(select(MemberLevel).filter_by(name="金牌会员")).scalar_one()
    db.session.add(SkuLevelPrice(sku_id=juice.skus[0].id, level_id=gold.id, price_fen=600))
    buyer = make_buyer(region=region)
    db.session.get(Member, buyer.id).level_id = gold.id
    manager = make_user(Role.SALES_MANAGER, region=region, name="王经理")
    db.session.flush()
    address = db.session.execute(select(Address).filter_by(user_id=buyer.id)).scalar_one()
    return region, juice, buyer, actor_of(manager), address


def test_a_manager_orders_for_a_customer_of_their_region_at_the_customers_price(world):
    _, juice, buyer, manager, address = world

    result = place_orders_for(
        manager, buyer, address, "monthly", [(juice.skus[0].id, 12)], "老客户，周五送", "k1"
    )

    [order] = result.orders
    assert (order.buyer_id, order.placed_by_id) == (buyer.id, manager.user_id)
    assert [(i.unit_price_fen, i.quantity) for i in order.items] == [(600, 12)]
    assert order.buyer_remark == "老客户，周五送"
    assert order.events[0].note == {"code": "placed_for", "name": "王经理"}
    db.session.expire_all()
    assert db.session.get(Sku, juice.skus[0].id).stock == 88
    again = place_orders_for(manager, buyer, address, "monthly", [(juice.skus[0].id, 12)], "", "k1")
    assert again.replayed and [o.id for o in again.orders] == [order.id]


def test_a_manager_of_another_region_is_refused(world):
    _, juice, buyer, _, address = world
    stranger = actor_of(make_user(Role.SALES_MANAGER, region=make_region("三亚")))
    with pytest.raises(Forbidden, match="只能为本区域的会员代客下单"):
        place_orders_for(stranger, buyer, address, "cod", [(juice.skus[0].id, 6)], "", "k2")
    assert db.session.execute(select(func.count(Order.id))).scalar_one() == 0


def test_someone_who_is_not_a_manager_is_refused(world):
    region, juice, buyer, _, address = world
    driver = actor_of(make_user(Role.DRIVER, region=region))
    with pytest.raises(Forbidden, match="只有业务经理可以代客下单"):
        place_orders_for(driver, buyer, address, "cod", [(juice.skus[0].id, 6)], "", "k3")


@pytest.mark.parametrize("quantity", [0, -6, 7])
def test_quantities_must_be_whole_packs_above_zero(world, quantity):
    _, juice, buyer, manager, address = world
    with pytest.raises(InvalidInput, match="须按 6 的整数倍订购"):
        place_orders_for(manager, buyer, address, "cod", [(juice.skus[0].id, quantity)], "", "k4")
    db.session.expire_all()
    assert db.session.get(Sku, juice.skus[0].id).stock == 100
