"""A member pays their level's price (SPEC §3): the cart shows it and the order charges it; a
level without its own price pays the base price; same-city goods cost everyone the same."""

from __future__ import annotations

from sqlalchemy import select

from app.accounts.models import Member, MemberLevel
from app.catalog.models import SkuLevelPrice
from app.extensions import db
from app.ordering.cart import cart_of
from app.stores.models import StoreKind
from tests.factories import make_buyer, make_product, make_region, make_store, place_order


def _levels() -> dict[str, MemberLevel]:
    return {level.name: level for level in db.session.execute(select(MemberLevel)).scalars()}


def test_a_gold_member_pays_the_gold_price_and_a_silver_member_the_base(app):
    levels = _levels()
    region = make_region()
    juice = make_product(make_store(kind=StoreKind.WHOLESALE), "椰子汁", price_fen=650)
    db.session.add(
        SkuLevelPrice(sku_id=juice.skus[0].id, level_id=levels["金牌会员"].id, price_fen=600)
    )
    gold, silver = make_buyer(region=region), make_buyer(region=region)
    db.session.get(Member, gold.id).level_id = levels["金牌会员"].id
    db.session.get(Member, silver.id).level_id = levels["银牌会员"].id
    db.session.flush()

    gold_order = place_order(gold, juice, 2)
    silver_order = place_order(silver, juice, 2)

    assert [(i.unit_price_fen, i.line_fen) for i in gold_order.items] == [(600, 1200)]
    assert gold_order.goods_fen == 1200
    assert [(i.unit_price_fen, i.line_fen) for i in silver_order.items] == [(650, 1300)]


def test_the_cart_shows_the_price_the_order_will_charge(app):
    levels = _levels()
    juice = make_product(make_store(kind=StoreKind.WHOLESALE), "椰子汁", price_fen=650)
    rice = make_product(make_store(), "海南鸡饭", price_fen=2800)
    for product in (juice, rice):
        db.session.add(
            SkuLevelPrice(sku_id=product.skus[0].id, level_id=levels["金牌会员"].id, price_fen=1)
        )
    buyer = make_buyer(region=make_region())
    db.session.get(Member, buyer.id).level_id = levels["金牌会员"].id
    db.session.flush()
    from app.ordering.cart import add_to_cart

    add_to_cart(buyer.id, juice.skus[0].id, 3)
    add_to_cart(buyer.id, rice.skus[0].id, 1)

    wholesale, city = cart_of(buyer.id).groups
    assert wholesale.goods_fen == 3  # the level's price at a wholesale store
    assert city.goods_fen == 2800  # same-city goods: everyone pays the price on the menu
