"""Search: by title (Chinese substrings too), item number, brand and category name; LIKE's
wildcards are literal; filters and sorts; an empty query offers hot categories."""

from __future__ import annotations

import pytest

from app.jobs import commit
from tests.factories import make_store
from tests.web.shop.test_catalog_pages import (
    HX,
    brand,
    category,
    on_sale,
    order_on,
    page_of,
    tree,
)


@pytest.fixture
def goods(app):
    kinds = tree()
    store = make_store(name="椰城超市")
    coco, spring = brand("椰树"), brand("春光")
    products = {
        "椰子汁": on_sale(
            store,
            "椰子汁 1L",
            kind=kinds["果汁"],
            maker=coco,
            item_no="YS-1001",
            price_fen=650,
            sales=40,
        ),
        "矿泉水": on_sale(
            store, "矿泉水 550ml", kind=kinds["饮用水"], item_no="KQ_2002", price_fen=200, sales=90
        ),
        "椰子糖": on_sale(
            store, "椰子糖 500g", kind=kinds["饼干"], maker=spring, price_fen=1800, sales=5
        ),
        "洗衣液": on_sale(store, "100%纯净洗衣液", kind=kinds["洗衣液"], price_fen=3900),
    }
    commit()
    return kinds, products, coco


def found(page: str, products) -> set[str]:
    return {name for name, product in products.items() if product.name in page}


def test_a_chinese_substring_finds_the_title(client, goods):
    _, products, _ = goods

    page = page_of(client, "/shop/search?q=椰子")

    assert found(page, products) == {"椰子汁", "椰子糖"}
    assert "找到 2 件商品" in page


def test_the_item_number_finds_the_product_whatever_the_case(client, goods):
    _, products, _ = goods

    assert found(page_of(client, "/shop/search?q=ys-1001"), products) == {"椰子汁"}


def test_the_brand_name_finds_its_products(client, goods):
    _, products, _ = goods

    assert found(page_of(client, "/shop/search?q=春光"), products) == {"椰子糖"}


def test_a_category_name_finds_the_products_below_it(client, goods):
    _, products, _ = goods

    assert found(page_of(client, "/shop/search?q=果汁"), products) == {"椰子汁"}
    assert found(page_of(client, "/shop/search?q=饮用水"), products) == {"矿泉水"}
    # a level-1 name finds everything below it (饮料 is also inside 食品饮料)
    assert found(page_of(client, "/shop/search?q=食品饮料"), products) == {
        "椰子汁",
        "矿泉水",
        "椰子糖",
    }


def test_every_word_must_match(client, goods):
    _, products, _ = goods

    assert found(page_of(client, "/shop/search?q=椰子 果汁"), products) == {"椰子汁"}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("%", {"洗衣液"}),
        ("100%", {"洗衣液"}),
        ("_", {"矿泉水"}),
        ("kq_", {"矿泉水"}),
        ("k%2", set()),
    ],
)
def test_like_wildcards_are_literal(client, goods, query, expected):
    _, products, _ = goods

    page = page_of(client, f"/shop/search?q={query.replace('%', '%25')}")

    assert found(page, products) == expected


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("sales", ["矿泉水", "椰子汁", "椰子糖"]),
        ("price_asc", ["矿泉水", "椰子汁", "椰子糖"]),
        ("price_desc", ["椰子糖", "椰子汁", "矿泉水"]),
        ("new", ["椰子糖", "矿泉水", "椰子汁"]),
    ],
)
def test_sort_orders(client, goods, sort, expected):
    _, products, _ = goods
    shown = {name: products[name].name for name in expected}

    page = page_of(client, f"/shop/search?q=食品饮料&sort={sort}")

    assert [name for name, _ in sorted(shown.items(), key=lambda kv: page.index(kv[1]))] == (
        expected
    )


def test_filters_by_category_brand_and_price(client, goods):
    kinds, products, coco = goods
    drinks = kinds["饮料"].id

    by_category = page_of(client, f"/shop/search?q=椰子&category={drinks}")
    by_brand = page_of(client, f"/shop/search?q=椰子&brand={coco.id}")
    by_price = page_of(client, "/shop/search?q=椰子&min=10&max=20")

    assert found(by_category, products) == {"椰子汁"}
    assert found(by_brand, products) == {"椰子汁"}
    assert found(by_price, products) == {"椰子糖"}
    assert f'<option value="{drinks}" selected>' in by_category


def test_the_filter_keeps_the_query_and_answers_htmx_with_results(client, goods):
    kinds, products, _ = goods

    full = page_of(client, "/shop/search?q=椰子")
    part = client.get(f"/shop/search?q=椰子&category={kinds['饼干'].id}", headers=HX)

    assert '<input type="hidden" name="q" value="椰子">' in full
    html = part.get_data(as_text=True)
    assert html.lstrip().startswith('<section id="results">')
    assert found(html, products) == {"椰子糖"}


def test_an_empty_query_offers_hot_categories(client, goods):
    kinds, _, _ = goods

    page = page_of(client, "/shop/search")
    blank = page_of(client, "/shop/search?q=%20%20")

    assert "热门分类" in page and "热门分类" in blank
    # the leaves that sell, best first: 饮用水 (90), 果汁 (40), 饼干 (5)
    hot = [f'href="/shop/categories/{kinds[name].id}"' for name in ("饮用水", "果汁", "饼干")]
    assert order_on(page, hot) == hot
    assert f'href="/shop/categories/{kinds["洗衣液"].id}"' not in page  # nothing sold


def test_with_nothing_sold_the_first_level_is_hot(client, app):
    kinds = tree()
    commit()

    page = page_of(client, "/shop/search")

    assert f'href="/shop/categories/{kinds["食品饮料"].id}"' in page


def test_no_results_says_what_to_try(client, goods):
    page = page_of(client, "/shop/search?q=榴莲")

    assert "没有找到与「榴莲」相关的商品" in page
    assert "试试更短的关键词、商品货号、品牌或分类名称" in page


def test_a_long_query_is_cut(client, goods):
    response = client.get("/shop/search?q=" + "椰" * 5000)

    assert response.status_code == 200
    assert 'value="' + "椰" * 50 + '"' in response.get_data(as_text=True)


def test_only_products_on_sale_are_found(client, app):
    store = make_store()
    on_sale(store, "椰子汁 在售")
    on_sale(store, "椰子汁 下架", listed=False)
    category("空")
    commit()

    page = page_of(client, "/shop/search?q=椰子汁")

    assert "椰子汁 在售" in page and "椰子汁 下架" not in page
