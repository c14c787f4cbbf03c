"""The storefront keeps the category tree and the brand list per process; the platform's edits
(through its own forms) show on the very next shop request anyway, in every process: the kept
copy is checked against the library's stamp in the database on each request, never cleared in
memory. `another_process()` makes that plain: the edit leaves this process's kept copy alone."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from sqlalchemy import update

from app.accounts.models import Role
from app.catalog import cached_library
from app.catalog.models import Brand, CatalogSettings, Category, OutsiderPrices, Product
from app.extensions import db
from app.jobs import commit
from app.stores.models import StoreKind
from tests.factories import make_store, make_user
from tests.support.wholesale_world import client_of
from tests.web.shop.test_catalog_pages import brand, category, on_sale, page_of


@contextmanager
def another_process():
    """An edit made by another worker: whatever this process keeps stays as it was."""
    kept = cached_library._kept
    yield
    cached_library._kept = kept


def stamp() -> str | None:
    db.session.expire_all()
    return db.session.get(CatalogSettings, 1).library_version


@pytest.fixture
def operator(app):
    user = make_user(Role.OPERATOR, name="张运营")
    commit()
    return client_of(app, user)


@pytest.fixture
def drinks(app):
    food = category("食品饮料")
    drinks = category("饮料", food)
    juice = category("果汁", drinks)
    maker = brand("椰树")
    product = on_sale(make_store(), "椰子汁", kind=juice, maker=maker)
    commit()
    return {"food": food, "drinks": drinks, "juice": juice, "brand": maker, "product": product}


def test_a_new_category_shows_on_the_next_request(client, operator, drinks):
    drinks_page = f"/shop/categories/{drinks['drinks'].id}"
    assert "矿泉水" not in page_of(client, drinks_page)

    with another_process():
        added = operator.post(
            "/platform/catalog/categories",
            data={"name": "矿泉水", "parent_id": drinks["drinks"].id},
        )
    assert added.status_code == 303

    assert "矿泉水" in page_of(client, drinks_page)  # a chip under 饮料


def test_a_renamed_category_shows_on_the_next_request(client, operator, drinks):
    product_page = f"/shop/products/{drinks['product'].id}"
    assert "果汁" in page_of(client, product_page)  # the breadcrumbs

    with another_process():
        renamed = operator.post(
            f"/platform/catalog/categories/{drinks['juice'].id}",
            data={"name": "鲜榨果汁", "sort": 1},
        )
    assert renamed.status_code == 303

    assert "鲜榨果汁" in page_of(client, product_page)
    assert "鲜榨果汁" in page_of(client, f"/shop/categories/{drinks['drinks'].id}")


def test_a_deleted_category_is_gone_on_the_next_request(client, operator, drinks):
    empty = category("茶饮", drinks["drinks"])
    commit()
    assert page_of(client, f"/shop/categories/{empty.id}")

    with another_process():
        deleted = operator.post(f"/platform/catalog/categories/{empty.id}/delete")
    assert deleted.status_code == 303

    assert client.get(f"/shop/categories/{empty.id}").status_code == 404


def test_a_new_brand_shows_in_the_filter_on_the_next_request(client, operator, drinks):
    search = "/shop/search?q=椰子"
    assert "怡宝" not in page_of(client, search)

    with another_process():
        added = operator.post("/platform/catalog/brands", data={"name": "怡宝", "intro": ""})
    assert added.status_code == 303

    assert "怡宝" in page_of(client, search)


def test_a_renamed_brand_shows_on_the_next_request(client, operator, drinks):
    product_page = f"/shop/products/{drinks['product'].id}"
    assert "椰树" in page_of(client, product_page)

    with another_process():
        renamed = operator.post(
            f"/platform/catalog/brands/{drinks['brand'].id}", data={"name": "椰树牌", "intro": ""}
        )
    assert renamed.status_code == 303

    assert "椰树牌" in page_of(client, product_page)
    assert "椰树牌" in page_of(client, f"/shop/categories/{drinks['food'].id}")  # the filter


def test_outsider_prices_changed_show_on_the_next_request(client, operator, drinks):
    store = make_store(kind=StoreKind.WHOLESALE)
    product = on_sale(store, "椰汁整箱", kind=drinks["juice"], price_fen=9000)
    product.skus[0].retail_price_fen = 9900
    commit()
    assert "99.00" not in page_of(client, f"/shop/categories/{drinks['juice'].id}")

    with another_process():
        changed = operator.post(
            "/platform/member-levels/prices", data={"outsider_prices": OutsiderPrices.RETAIL}
        )
    assert changed.status_code == 303

    assert "99.00" in page_of(client, f"/shop/categories/{drinks['juice'].id}")
    assert "99.00" in page_of(client, f"/shop/products/{product.id}")


def test_a_statement_on_the_brands_table_renews_the_stamp(app, drinks):
    before = stamp()

    db.session.execute(update(Brand).values(sort=Brand.sort + 1))
    commit()

    assert stamp() != before


def test_a_product_edit_keeps_the_stamp(app, drinks):
    before = stamp()

    db.session.get(Product, drinks["product"].id).name = "椰子汁 1L"
    db.session.execute(update(Product).values(sales_count=3))
    commit()

    assert stamp() == before


def test_an_edit_rolled_back_leaves_the_stamp(app, drinks):
    before = stamp()

    db.session.get(Category, drinks["juice"].id).name = "果酱"
    db.session.flush()
    db.session.rollback()

    assert stamp() == before


def test_the_kept_library_is_read_once_while_nothing_changes(client, drinks):
    page = f"/shop/categories/{drinks['food'].id}"
    page_of(client, page)
    kept = cached_library._kept

    page_of(client, page)

    assert cached_library._kept is kept and kept.version == stamp()
