"""Reading the storefront's catalog: the tree, pack multiples, stock states, search words, price
arguments, and grids priced and sorted as each viewer sees them."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from app.accounts.members import PriceViewer
from app.accounts.models import MemberStatus
from app.catalog.browse import (
    IN_STOCK,
    LOW,
    SOLD_OUT,
    ProductFilter,
    category_tree,
    pinned_cards,
    price_fen_arg,
    product_cards,
    product_for_sale,
    stock_state,
    whole_packs,
)
from app.catalog.models import AuditStatus, OutsiderPrices, Product, Sku, SkuLevelPrice
from app.catalog.search import search_line, search_words
from app.jobs import commit
from app.stores.models import StoreKind
from tests.factories import make_store
from tests.web.shop.test_catalog_pages import level, on_sale, tree

VISITOR = PriceViewer(
    logged_in=False, member_status=None, level_id=None, outsider_prices=OutsiderPrices.NONE
)


@pytest.fixture(autouse=True)
def page_request(app):
    """Grids read ?page= and build picture URLs: a request to read them from."""
    with app.test_request_context("/shop/"):
        yield


def approved(level_name: str) -> PriceViewer:
    return PriceViewer(
        logged_in=True,
        member_status=MemberStatus.APPROVED,
        level_id=level(level_name).id,
        outsider_prices=OutsiderPrices.NONE,
    )


def test_the_tree_knows_what_is_below_and_the_path_up(app):
    kinds = tree()
    commit()

    shelves = category_tree()

    food = kinds["食品饮料"].id
    below = {shelves.nodes[i].name for i in shelves.below(food)}
    assert below == {"食品饮料", "饮料", "果汁", "饮用水", "零食", "饼干"}
    assert [n.name for n in shelves.path(kinds["果汁"].id)] == ["食品饮料", "饮料", "果汁"]
    assert [n.name for n in shelves.roots] == ["食品饮料", "日用品"]
    assert shelves.get(999) is None and shelves.get(None) is None


@pytest.mark.parametrize(
    ("step", "typed", "quantity"),
    [(12, 13, 24), (12, 12, 12), (12, 1, 12), (12, 0, 12), (12, 25, 36), (1, 7, 7), (0, 3, 3)],
)
def test_a_quantity_is_rounded_up_to_whole_packs(step, typed, quantity):
    assert whole_packs(Product(min_order_qty=step), typed) == quantity


@pytest.mark.parametrize(
    ("stock", "step", "state"),
    [(0, 1, SOLD_OUT), (11, 12, SOLD_OUT), (9, 1, LOW), (10, 1, IN_STOCK), (35, 12, LOW)],
)
def test_stock_states(stock, step, state):
    assert stock_state(Sku(stock=stock, price_fen=1), step) == state


def test_search_words_are_lower_case_bounded_and_unique():
    assert search_words("  椰子  YS-1001 椰子 ") == ("椰子", "ys-1001")
    assert search_words(None) == ()
    assert search_words("a b c d e f g") == ("a", "b", "c", "d", "e")
    assert len("".join(search_words("椰" * 500))) == 50


def test_the_search_line_holds_title_item_number_brand_and_categories():
    assert search_line("Coco 椰汁", "YS-1", "椰树", ["食品饮料", "果汁"]) == (
        "coco 椰汁 ys-1 椰树 食品饮料 果汁"
    )


@pytest.mark.parametrize(
    ("text", "fen"),
    [("12", 1200), ("12.5", 1250), ("0", 0), ("abc", None), ("-1", None), ("", None), (None, None)],
)
def test_price_arguments_are_yuan(text, fen):
    assert price_fen_arg(text) == fen


def test_price_sort_uses_the_viewers_level_price(app):
    store = make_store(kind=StoreKind.WHOLESALE)
    cheap_base = on_sale(store, "甲", price_fen=1000)
    gold_deal = on_sale(store, "乙", price_fen=1200)
    gold_deal.skus[0].level_prices = [SkuLevelPrice(level_id=level("金牌会员").id, price_fen=800)]
    commit()
    outsiders = PriceViewer(True, None, None, OutsiderPrices.RETAIL)
    cheap_base.skus[0].retail_price_fen = 1500
    commit()

    gold = product_cards(ProductFilter(sort="price_asc"), approved("金牌会员"))
    plain = product_cards(ProductFilter(sort="price_asc"), approved("普通会员"))
    retail = product_cards(ProductFilter(sort="price_asc"), outsiders)
    hidden = product_cards(ProductFilter(), VISITOR)

    assert [(c.name, c.price_fen) for c in gold.items] == [("乙", 800), ("甲", 1000)]
    assert [(c.name, c.price_fen) for c in plain.items] == [("甲", 1000), ("乙", 1200)]
    # 乙 has no retail price: outsiders see none, and it sorts last
    assert [(c.name, c.price_fen, c.retail) for c in retail.items] == [
        ("甲", 1500, True),
        ("乙", None, False),
    ]
    assert {c.price_fen for c in hidden.items} == {None}


def test_a_price_range_filters_by_what_the_viewer_pays(app):
    store = make_store(kind=StoreKind.WHOLESALE)
    deal = on_sale(store, "特价", price_fen=1200)
    deal.skus[0].level_prices = [SkuLevelPrice(level_id=level("金牌会员").id, price_fen=800)]
    commit()

    gold = product_cards(ProductFilter(max_fen=900), approved("金牌会员"))
    plain = product_cards(ProductFilter(max_fen=900), approved("普通会员"))

    assert [c.name for c in gold.items] == ["特价"]
    assert plain.items == []


def test_several_specs_show_the_lowest_price_with_from(app):
    product = on_sale(make_store(), "椰子水", price_fen=900)
    product.skus.append(Sku(spec="小", price_fen=500, stock=5))
    commit()

    (card,) = product_cards(ProductFilter(), VISITOR).items

    assert card.price_fen == 500 and card.several_prices


def test_pinned_cards_are_capped(app):
    store = make_store()
    for n in range(3):
        on_sale(store, f"置顶{n}", pinned_at=product_time(n))
    commit()

    assert [c.name for c in pinned_cards(VISITOR, limit=2)] == ["置顶2", "置顶1"]


def product_time(n: int) -> datetime:
    return datetime(2026, 1, 1) + timedelta(hours=n)


@pytest.mark.parametrize(
    "fields",
    [
        {"listed": False},
        {"audit_status": AuditStatus.PENDING},
    ],
)
def test_a_product_not_on_sale_is_not_for_sale(app, fields):
    product = on_sale(make_store(), "看不见", **fields)
    commit()

    assert product_for_sale(product.id) is None


def test_a_product_on_sale_comes_with_its_store(app):
    store = make_store()
    product = on_sale(store, "看得见")
    commit()

    found = product_for_sale(product.id)

    assert found is not None and found[1].id == store.id and found[0].skus
