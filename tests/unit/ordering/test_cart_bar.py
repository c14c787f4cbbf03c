"""The cart bar under store and product pages reads its figures in one narrow statement; they
must be what the cart itself says (`cart_of`): lines, level prices, lines taken off sale and each
store's starting delivery fee."""

from __future__ import annotations

from sqlalchemy import event, select

from app.accounts.models import Member, MemberLevel, MemberStatus
from app.catalog.models import SkuLevelPrice
from app.clock import utcnow
from app.extensions import db
from app.ordering.cart import CartBar, add_to_cart, cart_bar, cart_of
from app.stores.models import StoreKind
from tests.factories import make_buyer, make_product, make_region, make_store


def _gold() -> MemberLevel:
    return db.session.execute(
        select(MemberLevel).where(MemberLevel.name == "金牌会员")
    ).scalar_one()


def _figures(buyer_id: int) -> tuple[int, int]:
    cart = cart_of(buyer_id)
    return cart.line_count, cart.total_fen


def _mixed_cart(buyer_id: int, level_id: int) -> None:
    """A wholesale store with a level price, a same-city store with fee tiers, a line taken off
    sale and a second line at the first store."""
    wholesale = make_store(kind=StoreKind.WHOLESALE, delivery_fee_fen=500)
    city = make_store(delivery_fee_fen=800, delivery_fee_tiers=[[3000, 400], [1000, 300]])
    juice = make_product(wholesale, "椰子汁", price_fen=650)
    water = make_product(wholesale, "矿泉水", price_fen=200)
    rice = make_product(city, "海南鸡饭", price_fen=2800)
    gone = make_product(city, "已下架的饭", price_fen=1000)
    for product in (juice, rice):
        db.session.add(SkuLevelPrice(sku_id=product.skus[0].id, level_id=level_id, price_fen=1))
    db.session.flush()
    add_to_cart(buyer_id, juice.skus[0].id, 3)
    add_to_cart(buyer_id, rice.skus[0].id, 2)
    add_to_cart(buyer_id, gone.skus[0].id, 1)
    add_to_cart(buyer_id, water.skus[0].id, 4)
    gone.deleted_at = utcnow()
    db.session.flush()


def test_the_bar_says_what_the_cart_says_for_an_approved_member(app):
    level = _gold()
    buyer = make_buyer(region=make_region())
    db.session.get(Member, buyer.id).level_id = level.id
    db.session.flush()
    _mixed_cart(buyer.id, level.id)

    bar = cart_bar(buyer.id)

    # juice at the level's 1 fen, water at its base, rice at its menu price, the deleted dish not
    # counted; the wholesale store's flat 500 and the same-city store's nearest tier 300
    assert bar == CartBar(4, 3 * 1 + 4 * 200 + 2 * 2800 + 500 + 300)
    assert (bar.line_count, bar.total_fen) == _figures(buyer.id)


def test_a_member_no_longer_approved_pays_base_prices_in_the_bar_too(app):
    level = _gold()
    buyer = make_buyer(region=make_region())
    member = db.session.get(Member, buyer.id)
    member.level_id = level.id
    db.session.flush()
    _mixed_cart(buyer.id, level.id)
    member.status = MemberStatus.PENDING  # sent back to review: the level no longer applies
    db.session.flush()

    bar = cart_bar(buyer.id)

    assert bar == CartBar(4, 3 * 650 + 4 * 200 + 2 * 2800 + 500 + 300)
    assert (bar.line_count, bar.total_fen) == _figures(buyer.id)


def test_an_empty_cart_and_another_buyers_lines(app):
    buyer, other = make_buyer(), make_buyer()
    add_to_cart(other.id, make_product(make_store(), price_fen=900).skus[0].id, 1)

    assert cart_bar(buyer.id) == CartBar(0, 0)
    assert cart_bar(other.id).line_count == 1


def test_the_bar_is_one_statement(app):
    buyer = make_buyer(region=make_region())
    _mixed_cart(buyer.id, _gold().id)
    statements = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        cart_bar(buyer.id)
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert len(statements) == 1
