"""The storefront's catalog: category pages over the three levels, brand pages, the 精选 strip
on the home page and the product detail page (prices per viewer, specs, pack multiples, the
store's state, who may see it)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from app.accounts.models import Member, MemberLevel, MemberStatus, Role
from app.catalog import browse
from app.catalog.models import (
    AuditStatus,
    Brand,
    CatalogSettings,
    Category,
    OutsiderPrices,
    Product,
    Sku,
    SkuLevelPrice,
)
from app.catalog.search import search_line
from app.extensions import db
from app.jobs import commit
from app.ordering.models import CartItem
from app.stores.models import BusinessStatus, Store, StoreKind
from tests.factories import make_buyer, make_product, make_region, make_store, make_user
from tests.support.sent import statements_sent

HX = {"HX-Request": "true"}

# ---- building a catalog ---------------------------------------------------------------------


def category(name: str, parent: Category | None = None) -> Category:
    row = Category(name=name, parent_id=parent.id if parent else None)
    row.level = parent.level + 1 if parent else 1
    db.session.add(row)
    db.session.flush()
    return row


def brand(name: str, intro: str = "") -> Brand:
    row = Brand(name=name, intro=intro)
    db.session.add(row)
    db.session.flush()
    return row


def on_sale(
    store: Store,
    name: str,
    *,
    kind: Category | None = None,
    maker: Brand | None = None,
    price_fen: int = 1200,
    sales: int = 0,
    item_no: str = "",
    **fields,
) -> Product:
    """A listed, approved product whose search line holds its title, item number, brand and
    category names (as the editor writes it)."""
    product = make_product(store, name, price_fen=price_fen, min_order_qty=fields.pop("step", 1))
    names, node = [], kind
    while node is not None:
        names.insert(0, node.name)
        node = db.session.get(Category, node.parent_id) if node.parent_id else None
    product.item_no = item_no
    product.sales_count = sales
    product.category_id = kind.id if kind else None
    product.brand_id = maker.id if maker else None
    product.search_text = search_line(name, item_no, maker.name if maker else "", names)
    for key, value in fields.items():
        setattr(product, key, value)
    db.session.flush()
    return product


def tree() -> dict[str, Category]:
    """食品饮料 > 饮料 > 果汁 / 饮用水; 食品饮料 > 零食 > 饼干; 日用品 > 清洁 > 洗衣液."""
    food = category("食品饮料")
    drinks, snacks = category("饮料", food), category("零食", food)
    home = category("日用品")
    cleaning = category("清洁", home)
    return {
        "食品饮料": food,
        "饮料": drinks,
        "果汁": category("果汁", drinks),
        "饮用水": category("饮用水", drinks),
        "零食": snacks,
        "饼干": category("饼干", snacks),
        "日用品": home,
        "洗衣液": category("洗衣液", cleaning),
    }


def outsiders_see(value: str) -> None:
    settings = db.session.get(CatalogSettings, 1)
    settings.outsider_prices = value
    commit()


def level(name: str) -> MemberLevel:
    return db.session.execute(select(MemberLevel).where(MemberLevel.name == name)).scalar_one()


def member(status: str, level_name: str | None = None):
    user = make_user(Role.BUYER)
    db.session.add(
        Member(
            user_id=user.id,
            region_id=make_region().id,
            status=status,
            level_id=level(level_name).id if level_name else None,
        )
    )
    commit()
    return user


def page_of(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def order_on(page: str, names) -> list[str]:
    return sorted(names, key=page.index)


# ---- categories -------------------------------------------------------------------------------


@pytest.fixture
def shelves(app):
    kinds = tree()
    store = make_store(name="椰城批发")
    on_sale(store, "椰子汁", kind=kinds["果汁"], sales=30)
    on_sale(store, "矿泉水", kind=kinds["饮用水"], sales=20)
    on_sale(store, "椰子饼干", kind=kinds["饼干"], sales=10)
    on_sale(store, "洗衣液 2kg", kind=kinds["洗衣液"])
    commit()
    return kinds


def test_a_first_level_category_lists_every_leaf_below_it_and_its_children(client, shelves):
    page = page_of(client, f"/shop/categories/{shelves['食品饮料'].id}")

    for name in ("椰子汁", "矿泉水", "椰子饼干"):
        assert name in page
    assert "洗衣液 2kg" not in page
    assert f'href="/shop/categories/{shelves["饮料"].id}"' in page  # the children as chips
    assert f'href="/shop/categories/{shelves["零食"].id}"' in page
    assert "共 3 件商品" in page


def test_a_second_level_category_lists_its_leaves(client, shelves):
    page = page_of(client, f"/shop/categories/{shelves['饮料'].id}")

    assert "椰子汁" in page and "矿泉水" in page
    assert "椰子饼干" not in page
    assert f'href="/shop/categories/{shelves["果汁"].id}"' in page


def test_a_leaf_lists_its_own_products(client, shelves):
    page = page_of(client, f"/shop/categories/{shelves['果汁'].id}")

    assert "椰子汁" in page
    assert "矿泉水" not in page and "椰子饼干" not in page
    assert f'href="/shop/categories/{shelves["饮料"].id}"' in page  # back up the tree


def test_an_empty_category_says_what_to_do(client, app):
    empty = category("空分类")
    commit()

    page = page_of(client, f"/shop/categories/{empty.id}")

    assert "该分类暂时没有商品" in page and 'href="/shop/search"' in page


def test_an_unknown_category_is_not_found(client, app):
    assert client.get("/shop/categories/999999").status_code == 404


def test_grids_show_only_what_is_on_sale(client, shelves):
    juice = shelves["果汁"]
    open_store = make_store(name="开门的店")
    on_sale(open_store, "下架的椰汁", kind=juice, listed=False)
    on_sale(open_store, "删除的椰汁", kind=juice, deleted_at=datetime(2026, 1, 1))
    on_sale(open_store, "待审的椰汁", kind=juice, audit_status=AuditStatus.PENDING)
    on_sale(open_store, "被拒的椰汁", kind=juice, audit_status=AuditStatus.REJECTED)
    resting = make_store(name="休息的店", business_status=BusinessStatus.RESTING)
    on_sale(resting, "休息店的椰汁", kind=juice)
    gone = make_store(name="删除的店", deleted_at=datetime(2026, 1, 1))
    on_sale(gone, "删除店的椰汁", kind=juice)
    commit()

    page = page_of(client, f"/shop/categories/{juice.id}")

    assert "椰子汁" in page
    for hidden in ("下架的", "删除的椰汁", "待审的", "被拒的", "休息店的", "删除店的"):
        assert hidden not in page


def test_a_card_shows_thumbnail_store_price_and_sales(client, shelves):
    product = db.session.execute(select(Product).where(Product.name == "椰子汁")).scalar_one()
    product.images = ["products/1/abcdef123456789.jpg"]
    commit()

    page = page_of(client, f"/shop/categories/{shelves['果汁'].id}")

    assert re.search(
        rf'<img class="product-thumb" src="/media/products/{product.id}/images/1\?size=thumb'
        r'&amp;v=abcdef123456" alt="" width="160" height="160" loading="lazy">',
        page,
    )
    assert "椰城批发" in page and "￥12.00" in page and "已售 30" in page
    assert f'href="/shop/products/{product.id}"' in page


# ---- sorting, filters, more --------------------------------------------------------------------


@pytest.fixture
def priced(app):
    kind = category("饮料")
    store = make_store()
    cola, tea = brand("椰树"), brand("春光")
    names = {
        "便宜的": on_sale(store, "便宜的", kind=kind, maker=cola, price_fen=300, sales=5),
        "贵的": on_sale(store, "贵的", kind=kind, maker=tea, price_fen=9900, sales=1),
        "畅销的": on_sale(store, "畅销的", kind=kind, maker=cola, price_fen=1500, sales=99),
    }
    commit()
    return kind, names, cola


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("sales", ["畅销的", "便宜的", "贵的"]),
        ("price_asc", ["便宜的", "畅销的", "贵的"]),
        ("price_desc", ["贵的", "畅销的", "便宜的"]),
        ("new", ["畅销的", "贵的", "便宜的"]),
        ("default", ["畅销的", "便宜的", "贵的"]),
        ("nonsense", ["畅销的", "便宜的", "贵的"]),
    ],
)
def test_sort_orders(client, priced, sort, expected):
    kind, names, _ = priced

    page = page_of(client, f"/shop/categories/{kind.id}?sort={sort}")

    assert order_on(page, names) == expected


def test_pinned_products_lead_the_default_order(client, priced):
    kind, names, _ = priced
    names["贵的"].pinned_at = datetime(2026, 3, 1)
    commit()

    page = page_of(client, f"/shop/categories/{kind.id}")

    assert order_on(page, names)[0] == "贵的"


def test_filters_by_brand_and_price_range_in_yuan(client, priced):
    kind, names, cola = priced

    by_brand = page_of(client, f"/shop/categories/{kind.id}?brand={cola.id}")
    by_price = page_of(client, f"/shop/categories/{kind.id}?min=3&max=15.5")
    nothing = page_of(client, f"/shop/categories/{kind.id}?min=500")
    garbage = page_of(client, f"/shop/categories/{kind.id}?min=abc&max=-1&brand=x")

    assert "便宜的" in by_brand and "畅销的" in by_brand and "贵的" not in by_brand
    assert "便宜的" in by_price and "畅销的" in by_price and "贵的" not in by_price
    assert "没有符合筛选条件的商品" in nothing and "清除筛选" in nothing
    assert all(name in garbage for name in names)


def test_the_filter_answers_htmx_with_the_results_only(client, priced):
    kind, _, cola = priced

    page = client.get(f"/shop/categories/{kind.id}?brand={cola.id}", headers=HX).get_data(
        as_text=True
    )

    assert page.lstrip().startswith('<section id="results">')
    assert "贵的" not in page and "便宜的" in page


def test_load_more_brings_the_next_cards(client, app):
    kind = category("饮料")
    store = make_store()
    for n in range(25):
        on_sale(store, f"饮料{n:02d}号", kind=kind)
    commit()

    first = page_of(client, f"/shop/categories/{kind.id}?sort=new")
    more = client.get(f"/shop/categories/{kind.id}?sort=new&page=2", headers=HX)
    more_page = more.get_data(as_text=True)

    assert "饮料24号" in first and "饮料05号" in first and "饮料04号" not in first
    assert "加载更多" in first and f"/shop/categories/{kind.id}?sort=new&amp;page=2" in first
    assert more_page.lstrip().startswith('<article class="card product-card">')
    assert "饮料04号" in more_page and "饮料00号" in more_page and "饮料05号" not in more_page
    assert "加载更多" not in more_page


def test_a_big_shelf_counts_up_to_its_cap_and_says_so(client, app, monkeypatch):
    monkeypatch.setattr(browse, "SHELF_COUNT_CAP", 22)  # 1000 in production
    kind = category("饮料")
    store = make_store()
    for n in range(25):
        on_sale(store, f"饮料{n:02d}号", kind=kind)
    commit()

    page = page_of(client, f"/shop/categories/{kind.id}")

    assert "共 22+ 件商品" in page and "加载更多" in page


def _statements_for(client, url: str) -> list[str]:
    with statements_sent() as statements:
        assert client.get(url).status_code == 200
    return statements


@pytest.mark.parametrize("who", ["visitor", "approved"])
def test_a_page_of_products_is_one_statement_for_3_or_20_products(client, login, who):
    """Besides the log-in and the viewer (with the library's stamp), a grid page is one
    statement: the cards with their prices and the shelf's count; the tree and brands are kept."""
    kinds = {n: category(f"分类{n}") for n in (3, 20, 30)}
    store = make_store(kind=StoreKind.WHOLESALE)
    for n, kind in kinds.items():
        for i in range(n):
            product = on_sale(store, f"商品{n}-{i}", kind=kind)
            product.skus.append(Sku(spec="大", price_fen=900, stock=5))
    commit()
    if who == "approved":
        login(member(MemberStatus.APPROVED, "金牌会员"))
    page_of(client, f"/shop/categories/{kinds[3].id}")  # reads the tree and brands once

    pages = [_statements_for(client, f"/shop/categories/{kinds[n].id}") for n in (3, 20, 30)]

    logged_in = who == "approved"
    # on PostgreSQL a member's viewer is read in the person's own statement
    own_viewer = not (logged_in and db.engine.dialect.name == "postgresql")
    for statements in pages:
        assert len(statements) == logged_in + own_viewer + 1  # [the user,] [the viewer,] cards
        assert len([s for s in statements if s.startswith("SELECT products.")]) == 1
        assert len([s for s in statements if "FROM members" in s]) == logged_in


# ---- brands ---------------------------------------------------------------------------------


def test_a_brand_page_lists_all_its_products_with_its_intro(client, app):
    kinds = tree()
    coco = brand("椰树", intro="椰树牌椰汁，始于 1956")
    other = brand("春光")
    one, two = make_store(name="甲店"), make_store(name="乙店")
    on_sale(one, "椰树椰汁", kind=kinds["果汁"], maker=coco)
    on_sale(two, "椰树矿泉水", kind=kinds["饮用水"], maker=coco)
    on_sale(one, "椰树下架款", maker=coco, listed=False)
    on_sale(one, "春光椰子糖", maker=other)
    commit()

    page = page_of(client, f"/shop/brands/{coco.id}")

    assert "椰树牌椰汁，始于 1956" in page
    assert "椰树椰汁" in page and "椰树矿泉水" in page and "甲店" in page and "乙店" in page
    assert "椰树下架款" not in page and "春光椰子糖" not in page
    assert 'aria-hidden="true">椰</span>' in page  # no logo: its first character


def test_an_unknown_brand_is_not_found(client, app):
    assert client.get("/shop/brands/4242").status_code == 404


# ---- the home page -----------------------------------------------------------------------------


def test_home_shows_level_one_categories_and_a_search_box(client, shelves):
    page = page_of(client, "/shop/")

    assert f'href="/shop/categories/{shelves["食品饮料"].id}"' in page
    assert f'href="/shop/categories/{shelves["日用品"].id}"' in page
    assert f'href="/shop/categories/{shelves["饮料"].id}"' not in page  # level 1 only
    assert 'action="/shop/search"' in page and 'name="q"' in page


def test_home_pins_newest_first_at_most_ten_on_sale_in_open_stores(client, app):
    store = make_store(name="精选店")
    start = datetime(2026, 5, 1)
    pinned = [
        on_sale(store, f"精选{n:02d}", pinned_at=start + timedelta(days=n)) for n in range(12)
    ]
    on_sale(store, "没置顶的")
    on_sale(store, "置顶但下架", pinned_at=start + timedelta(days=30), listed=False)
    resting = make_store(name="休息店", business_status=BusinessStatus.RESTING)
    on_sale(resting, "休息店置顶", pinned_at=start + timedelta(days=31))
    commit()

    page = page_of(client, "/shop/")

    shown = [p.name for p in pinned if p.name in page]
    assert shown == [f"精选{n:02d}" for n in range(2, 12)]  # the ten newest pins
    assert order_on(page, shown) == list(reversed(shown))
    assert "没置顶的" not in page and "置顶但下架" not in page and "休息店置顶" not in page


# ---- the product page: prices per viewer -----------------------------------------------------


@pytest.fixture
def wholesale_juice(app):
    store = make_store(name="海南批发", kind=StoreKind.WHOLESALE)
    product = on_sale(store, "椰子汁 1L", price_fen=6000, step=12, pack_unit="12瓶/箱")
    sku = product.skus[0]
    sku.retail_price_fen = 7000
    sku.level_prices = [SkuLevelPrice(level_id=level("金牌会员").id, price_fen=5500)]
    commit()
    return product


def test_a_visitor_is_asked_to_log_in_for_the_price(client, wholesale_juice):
    page = page_of(client, f"/shop/products/{wholesale_juice.id}")

    assert "登录后可见" in page and "￥" not in page.split('id="buy"')[1].split("</section>")[0]
    assert "登录后购买" in page


def test_outsiders_see_the_retail_price_when_the_platform_says_so(client, wholesale_juice):
    outsiders_see(OutsiderPrices.RETAIL)

    page = page_of(client, f"/shop/products/{wholesale_juice.id}")

    assert "零售价" in page and "￥70.00" in page and "￥60.00" not in page


def test_a_pending_member_waits_for_approval(client, login, wholesale_juice):
    login(member(MemberStatus.PENDING))

    page = page_of(client, f"/shop/products/{wholesale_juice.id}")

    assert "审核通过后可见" in page and "资料审核中，审核通过后可订货" in page
    assert "订货</button>" not in page


def test_an_approved_gold_member_sees_the_gold_price(client, login, wholesale_juice):
    login(member(MemberStatus.APPROVED, "金牌会员"))

    page = page_of(client, f"/shop/products/{wholesale_juice.id}")
    grid = page_of(client, "/shop/search?q=椰子汁")

    assert "￥55.00" in page and "￥60.00" not in page and "零售价" not in page
    assert "￥55.00" in grid


def test_an_approved_member_of_another_level_pays_the_base_price(client, login, wholesale_juice):
    login(member(MemberStatus.APPROVED, "普通会员"))

    assert "￥60.00" in page_of(client, f"/shop/products/{wholesale_juice.id}")


def test_the_product_page_reads_the_member_once_and_the_cart_bar_in_one_narrow_statement(
    client, login, wholesale_juice
):
    """The profile gate asks the storefront's viewer (kept for the page) instead of loading the
    member row; the cart bar reads its figures without loading the lines: the user, the viewer
    (on PostgreSQL in the user's statement), the product, its reviews and the bar."""
    buyer = member(MemberStatus.APPROVED, "金牌会员")
    rice = on_sale(make_store(delivery_fee_fen=300), "海南鸡饭", price_fen=2800)
    db.session.add_all(
        [
            CartItem(user_id=buyer.id, sku_id=wholesale_juice.skus[0].id, quantity=24),
            CartItem(user_id=buyer.id, sku_id=rice.skus[0].id, quantity=1),
        ]
    )
    commit()
    login(buyer)
    url = f"/shop/products/{wholesale_juice.id}"
    db.session.expunge_all()  # the buyer is read as in production, not from this test's session
    page_of(client, url)  # reads the tree and brands once

    statements = _statements_for(client, url)
    page = page_of(client, url)

    # (on PostgreSQL the viewer comes with the user's own statement: one less)
    assert len(statements) == (4 if db.engine.dialect.name == "postgresql" else 5)
    assert not [s for s in statements if s.startswith("SELECT members.")]
    assert len([s for s in statements if "FROM cart_items" in s]) == 1
    # 24 × the gold price 55.00 + 28.00 + the same-city store's 3.00 delivery
    assert "已选 2 种" in page and "￥1,351.00" in page


def test_the_cart_bar_of_a_store_page_adds_the_same_figures(client, login, wholesale_juice):
    buyer = member(MemberStatus.APPROVED, "金牌会员")
    db.session.add(CartItem(user_id=buyer.id, sku_id=wholesale_juice.skus[0].id, quantity=12))
    commit()
    login(buyer)

    page = page_of(client, f"/shop/stores/{wholesale_juice.store_id}")

    assert "已选 1 种" in page and "￥660.00" in page


# ---- the product page: specs, packs, purchase ---------------------------------------------------


def test_the_stepper_moves_in_packs_and_the_button_says_order(client, login, wholesale_juice):
    login(member(MemberStatus.APPROVED, "金牌会员"))

    page = page_of(client, f"/shop/products/{wholesale_juice.id}")

    assert "12瓶/箱" in page and "起订 12" in page and "按 12 的整数倍订购" in page
    assert re.search(r'name="quantity" value="12" min="12" step="12" max="100"', page)
    assert "订货</button>" in page and "加入购物车</button>" not in page


def test_a_same_city_product_is_added_to_the_cart(client, login):
    login(make_buyer())
    product = on_sale(make_store(), "海南鸡饭", price_fen=2800)
    commit()

    page = page_of(client, f"/shop/products/{product.id}")

    assert "加入购物车</button>" in page and "￥28.00" in page


def test_a_quantity_that_is_not_whole_packs_is_rounded_up_and_said(client, login, wholesale_juice):
    buyer = member(MemberStatus.APPROVED, "金牌会员")
    login(buyer)
    sku = wholesale_juice.skus[0]

    response = client.post(
        f"/shop/products/{wholesale_juice.id}/cart",
        data={"sku_id": sku.id, "quantity": 13},
        follow_redirects=True,
    )

    page = response.get_data(as_text=True)
    assert "须按 12 的整数倍订购，已调整为 24，并加入购物车" in page
    line = db.session.execute(select(CartItem).where(CartItem.user_id == buyer.id)).scalar_one()
    assert line.quantity == 24


def test_the_cart_itself_refuses_a_quantity_that_is_not_whole_packs(client, login, wholesale_juice):
    login(member(MemberStatus.APPROVED, "金牌会员"))

    response = client.post(
        "/shop/cart/add",
        data={"sku_id": wholesale_juice.skus[0].id, "quantity": 13},
        headers=HX,
    )

    assert response.status_code == 422
    assert "「椰子汁 1L」须按 12 的整数倍订购" in response.get_data(as_text=True)


def test_adding_with_htmx_updates_the_cart_bar(client, login):
    login(make_buyer())
    product = on_sale(make_store(), "清补凉", price_fen=800)
    commit()

    response = client.post(
        f"/shop/products/{product.id}/cart",
        data={"sku_id": product.skus[0].id, "quantity": 2},
        headers=HX,
    )

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="cart-bar"' in page and "已加入购物车" in page and "￥16.00" in page


def test_a_sku_of_another_product_is_refused(client, login):
    login(make_buyer())
    store = make_store()
    one, other = on_sale(store, "甲"), on_sale(store, "乙")
    commit()

    response = client.post(
        f"/shop/products/{one.id}/cart", data={"sku_id": other.skus[0].id, "quantity": 1}
    )

    assert response.status_code == 404


def test_the_spec_selector_shows_the_chosen_specs_price_and_stock(client, app):
    product = on_sale(make_store(), "椰子水", price_fen=500)
    product.skus[0].spec = "小瓶"
    product.skus.append(Sku(spec="大瓶", price_fen=900, stock=3))
    product.skus.append(Sku(spec="礼盒", price_fen=5000, stock=0))
    commit()
    small, large, gift = product.skus

    first = page_of(client, f"/shop/products/{product.id}")
    chosen = client.get(f"/shop/products/{product.id}?sku={large.id}", headers=HX)
    chosen_page = chosen.get_data(as_text=True)
    sold_out = page_of(client, f"/shop/products/{product.id}?sku={gift.id}")

    assert f'value="{small.id}" checked' in first and "有货" in first
    assert chosen_page.lstrip().startswith('<section id="buy"')
    assert f'value="{large.id}" checked' in chosen_page
    assert '<span class="money price">￥9.00</span>' in chosen_page
    assert "stock-low" in chosen_page and "库存紧张" in chosen_page
    assert "stock-sold_out" in sold_out and "已售罄" in sold_out


def test_params_description_brand_and_store_card(client, app):
    kinds = tree()
    store = make_store(name="椰城小厨")
    product = on_sale(
        store,
        "椰子鸡",
        kind=kinds["果汁"],
        maker=brand("椰树"),
        params={"产地": "海南", "保质期": "12个月"},
        description="<p><strong>现做</strong>椰子鸡</p>",
    )
    commit()

    page = page_of(client, f"/shop/products/{product.id}")

    assert "<td>海南</td>" in page and "保质期" in page
    assert "<p><strong>现做</strong>椰子鸡</p>" in page
    assert f'href="/shop/brands/{product.brand_id}"' in page
    assert f'href="/shop/categories/{kinds["食品饮料"].id}"' in page
    assert f'href="/shop/stores/{store.id}"' in page and "营业" in page
    assert 'id="reviews"' in page


def test_the_store_page_links_each_title_to_its_detail_page(client, app):
    store = make_store()
    product = on_sale(store, "椰子糕")
    commit()

    page = page_of(client, f"/shop/stores/{store.id}")

    assert f'<a href="/shop/products/{product.id}">椰子糕</a>' in page


# ---- the product page: who may see it, the store's state ---------------------------------------


@pytest.mark.parametrize(
    "fields",
    [
        {"listed": False},
        {"deleted_at": datetime(2026, 1, 1)},
        {"audit_status": AuditStatus.PENDING},
        {"audit_status": AuditStatus.REJECTED},
    ],
)
def test_a_product_not_on_sale_is_not_found(client, app, fields):
    product = on_sale(make_store(), "看不见的", **fields)
    commit()

    assert client.get(f"/shop/products/{product.id}").status_code == 404


def test_a_deleted_stores_product_is_not_found(client, app):
    product = on_sale(make_store(deleted_at=datetime(2026, 1, 1)), "没了的")
    commit()

    assert client.get(f"/shop/products/{product.id}").status_code == 404
    assert client.get("/shop/products/2147483648").status_code == 404


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (BusinessStatus.RESTING, "商家休息中"),
        (BusinessStatus.CLOSED_TODAY, "该商户已打烊，看看其他吧"),
        (BusinessStatus.SHUT, "该商户已关闭，看看其他吧"),
    ],
)
def test_a_store_not_open_shows_its_message_and_sells_nothing(client, login, status, message):
    login(make_buyer())
    product = on_sale(make_store(business_status=status), "清补凉")
    commit()

    page = page_of(client, f"/shop/products/{product.id}")

    assert message in page
    assert "加入购物车</button>" not in page and 'name="quantity"' not in page


def test_a_member_without_a_profile_completes_it_before_a_wholesale_product(client, login):
    login(member(MemberStatus.INCOMPLETE))
    wholesale = on_sale(make_store(kind=StoreKind.WHOLESALE), "批发椰汁")
    same_city = on_sale(make_store(), "外卖椰汁")
    commit()

    gated = client.get(f"/shop/products/{wholesale.id}")
    open_page = client.get(f"/shop/products/{same_city.id}")

    assert gated.status_code == 303 and gated.headers["Location"].endswith("/shop/me/profile")
    assert open_page.status_code == 200


def test_a_product_without_brand_or_item_number_has_no_stray_separators(client, app):
    juice = on_sale(make_store(), "椰子汁", kind=tree()["果汁"])
    commit()

    page = page_of(client, f"/shop/products/{juice.id}")

    head = page.split('class="card product-head"', 1)[1].split("</section>", 1)[0]
    lines = [re.sub(r"<[^>]+>|\s+", "", p) for p in re.findall(r"<p[^>]*>(.*?)</p>", head, re.S)]
    assert lines and not any(line.startswith("·") for line in lines), lines
    assert "" not in lines  # no empty line where 货号, 型号 and 规格 would be


def test_with_htmx_the_corrected_quantity_shows_where_it_was_typed(client, login, wholesale_juice):
    login(member(MemberStatus.APPROVED, "金牌会员"))
    sku = wholesale_juice.skus[0]

    response = client.post(
        f"/shop/products/{wholesale_juice.id}/cart",
        data={"sku_id": sku.id, "quantity": 13},
        headers={"HX-Request": "true"},
    )

    page = response.get_data(as_text=True)
    assert "已调整为 24" in page
    box = page.split('id="buy-quantity" hx-swap-oob="true"', 1)[1].split("</span>", 2)[0]
    assert 'name="quantity" value="24"' in box
