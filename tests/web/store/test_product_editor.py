"""The product editor over HTTP (商品编辑): what the store sees, what gets saved, what is refused."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image
from sqlalchemy import func, select

from app.accounts.models import MemberLevel, Role
from app.catalog.editor import apply_pending_changes
from app.catalog.models import (
    AuditStatus,
    Brand,
    CatalogSettings,
    Category,
    CategoryParam,
    Product,
    ProductEvent,
    Sku,
    SkuLevelPrice,
    SpecName,
    SpecValue,
    StockMovement,
    Tag,
    Unit,
)
from app.extensions import db
from app.jobs import commit
from app.storage import get_storage
from app.stores.models import StoreKind
from tests.factories import (
    make_buyer,
    make_product,
    make_region,
    make_store,
    make_user,
    place_order,
)

HX = {"HX-Request": "true"}


class Library:
    """The platform's library as a test world: 食品饮料 > 饮料 > 果汁, specs 口味 × 规格."""

    def __init__(self):
        top = Category(name="食品饮料", level=1)
        db.session.add(top)
        db.session.flush()
        self.middle = Category(name="饮料", level=2, parent_id=top.id)
        db.session.add(self.middle)
        db.session.flush()
        self.leaf = Category(name="果汁", level=3, parent_id=self.middle.id)
        db.session.add(self.leaf)
        db.session.flush()
        self.origin = CategoryParam(category_id=self.leaf.id, name="产地", sort=1)
        self.shelf = CategoryParam(category_id=self.leaf.id, name="保质期", sort=2)
        self.brand = Brand(name="椰树")
        self.tag = Tag(name="新品")
        db.session.add_all([self.origin, self.shelf, self.brand, self.tag])
        db.session.add_all([Unit(name="瓶", sort=1), Unit(name="箱", sort=2)])
        self.flavour = SpecName(name="口味", sort=1)
        self.size = SpecName(name="规格", sort=2)
        self.flavour.values = [SpecValue(value="原味", sort=1), SpecValue(value="无糖", sort=2)]
        self.size.values = [SpecValue(value="1L", sort=1), SpecValue(value="245ml", sort=2)]
        db.session.add_all([self.flavour, self.size])
        db.session.flush()
        self.levels = list(
            db.session.execute(select(MemberLevel).order_by(MemberLevel.rank)).scalars()
        )

    def value(self, text: str) -> SpecValue:
        return next(v for s in (self.flavour, self.size) for v in s.values if v.value == text)

    def key(self, *texts: str) -> str:
        return "-".join(str(self.value(t).id) for t in texts)


@pytest.fixture
def library(app):
    lib = Library()
    commit()
    return lib


@pytest.fixture
def store(app):
    store = make_store(kind=StoreKind.WHOLESALE, name="椰城批发")
    commit()
    return store


@pytest.fixture
def owner(store, login):
    user = make_user(Role.STORE_STAFF, store=store, name="王老板")
    commit()
    login(user)
    return user


def set_audit(on: bool) -> None:
    db.session.get(CatalogSettings, 1).product_audit = on
    commit()


def form(library: Library, **changes) -> dict:
    data = {
        "name": "椰子汁",
        "item_no": "YS-001",
        "model": "YZ1",
        "specification": "1L",
        "unit": "瓶",
        "pack_unit": "12瓶/箱",
        "category_id": str(library.leaf.id),
        "brand_id": str(library.brand.id),
        "tag_ids": [str(library.tag.id)],
        f"param-{library.origin.id}": "海南",
        f"param-{library.shelf.id}": "12个月",
        "description": "<p>鲜榨</p>",
        "listing_choice": "on_approval",
        "sku-0-price": "12.50",
        "sku-0-stock": "30",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def matrix_form(library: Library, **changes) -> dict:
    data = form(library, **{"sku-0-price": None, "sku-0-stock": None})
    data["spec_value"] = [str(library.value(t).id) for t in ("原味", "无糖", "1L", "245ml")]
    gold = library.levels[-1].id
    for flavour in ("原味", "无糖"):
        for size in ("1L", "245ml"):
            key = library.key(flavour, size)
            data[f"sku-{key}-price"] = "10" if size == "1L" else "3.5"
            data[f"sku-{key}-retail"] = "12.00" if size == "1L" else ""
            data[f"sku-{key}-stock"] = "20"
            data[f"sku-{key}-code"] = f"C-{flavour}-{size}"
            data[f"sku-{key}-level-{gold}"] = "9.80" if size == "1L" else ""
    data.update(changes)
    return data


def stored_files() -> list[str]:
    root = get_storage().root
    if not root.exists():
        return []
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def products_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Product))


def photo(name: str = "p.png", color=(200, 30, 30)) -> tuple[io.BytesIO, str]:
    out = io.BytesIO()
    Image.new("RGB", (400, 300), color).save(out, "PNG")
    out.seek(0)
    return out, name


def refused_at(response, message: str) -> str:
    """The page of a refused save: 422, and the message shown as a field error."""
    page = response.get_data(as_text=True)
    assert response.status_code == 422, page[:500]
    assert re.search(r'<p class="field-error">[^<]*' + re.escape(message), page), message
    return page


# ---- creating -----------------------------------------------------------------------------------


def test_the_editor_offers_the_library(client, library, owner):
    page = client.get("/store/products/new").get_data(as_text=True)
    assert "发布商品" in page
    assert "食品饮料 / 饮料 / 果汁" in page  # leaves only, with their path
    assert ">饮料<" not in page
    assert "椰树" in page and "新品" in page and "口味" in page and "无糖" in page
    assert 'name="sku-0-price"' in page  # no spec chosen: one SKU
    assert "金牌会员" in page  # a wholesale store prices per member level


def test_generate_specs_draws_one_row_per_combination_and_saves_nothing(client, library, owner):
    data = matrix_form(library)
    data["action"] = "matrix"
    response = client.post("/store/products/new", data=data, headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="sku-matrix">')  # only the table is redrawn
    for flavour in ("原味", "无糖"):
        for size in ("1L", "245ml"):
            assert f"{flavour} / {size}" in html
    assert html.count('name="sku-') >= 4 * 5
    assert products_count() == 0
    plain = client.post("/store/products/new", data=data)  # without JS: the whole page
    assert plain.status_code == 200 and "原味 / 245ml" in plain.get_data(as_text=True)


def test_create_with_two_spec_dimensions_saves_the_matrix_and_level_prices_in_fen(
    client, library, owner
):
    response = client.post("/store/products/new", data=matrix_form(library))
    assert response.status_code == 303, response.get_data(as_text=True)[:800]
    product = db.session.execute(select(Product)).scalar_one()
    assert product.listed and product.audit_status == AuditStatus.APPROVED
    assert product.min_order_qty == 12 and product.pack_unit == "12瓶/箱"
    assert product.params == {"产地": "海南", "保质期": "12个月"}
    assert [t.name for t in product.tags] == ["新品"]
    assert product.search_text == "椰子汁 ys-001 椰树 食品饮料 饮料 果汁"
    skus = {sku.spec: sku for sku in product.skus}
    assert set(skus) == {"原味 / 1L", "原味 / 245ml", "无糖 / 1L", "无糖 / 245ml"}
    big = skus["无糖 / 1L"]
    assert big.spec_values == {"口味": "无糖", "规格": "1L"}
    assert (big.price_fen, big.retail_price_fen, big.stock, big.code) == (
        1000,
        1200,
        20,
        "C-无糖-1L",
    )
    assert [(lp.level_id, lp.price_fen) for lp in big.level_prices] == [
        (library.levels[-1].id, 980)
    ]
    small = skus["原味 / 245ml"]
    assert (small.price_fen, small.retail_price_fen, small.level_prices) == (350, None, [])
    movements = db.session.execute(select(StockMovement)).scalars().all()
    assert (
        sorted((m.before, m.after, m.reason, m.actor_name) for m in movements)
        == [(0, 20, "编辑商品", "王老板")] * 4
    )
    listing = client.get("/store/products").get_data(as_text=True)
    assert "椰子汁" in listing and "￥3.50 – ￥10.00" in listing and ">80<" in listing


def test_a_product_without_specs_has_one_sku(client, library, owner):
    assert client.post("/store/products/new", data=form(library)).status_code == 303
    sku = db.session.execute(select(Sku)).scalar_one()
    assert (sku.spec, sku.spec_values, sku.price_fen, sku.stock) == ("", {}, 1250, 30)


# ---- refusals: each at its field, nothing saved ---------------------------------------------


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"sku-0-price": "-1"}, "价格须在 0.01 到 1,000,000 元之间"),
        ({"sku-0-price": "abc"}, "请填写金额（元），最多两位小数"),
        ({"sku-0-price": "1.234"}, "请填写金额（元），最多两位小数"),
        ({"sku-0-price": ""}, "请填写价格"),
        ({"sku-0-retail": "-5"}, "价格须在 0.01 到 1,000,000 元之间"),
        ({"sku-0-stock": "-3"}, "库存请填写 0 到 9,999,999 之间的整数"),
        ({"sku-0-stock": "abc"}, "库存请填写 0 到 9,999,999 之间的整数"),
        ({"sku-0-stock": "1.5"}, "库存请填写 0 到 9,999,999 之间的整数"),
        ({"pack_unit": "0瓶/箱"}, "包装数量须在 1 到 9999 之间"),
        ({"pack_unit": "瓶/箱"}, "包装请按「数量+单位/包装」填写"),
        ({"name": ""}, "请填写商品标题"),
        ({"name": "长" * 101}, "商品标题不能超过 100 个字"),
        ({"unit": "吨"}, "请从单位库中选择单位"),
        ({"category_id": ""}, "请选择商品分类"),
        ({"brand_id": "999999"}, "请从品牌库中选择品牌"),
        ({"listing_choice": "at_time", "list_at": "2000-01-01T10:00"}, None),
    ],
)
def test_bad_input_is_refused_at_its_field_and_nothing_is_saved(
    client, library, owner, changes, message
):
    if message is None:  # audit off: no timed listing offered, the choice is refused
        message = "请选择审核通过后的上架方式"
        changes = {"listing_choice": "sideways"}
    refused_at(client.post("/store/products/new", data=form(library, **changes)), message)
    assert products_count() == 0
    assert db.session.scalar(select(func.count()).select_from(Sku)) == 0


def test_a_level_price_with_three_decimals_is_refused_at_its_cell(client, library, owner):
    gold = library.levels[-1].id
    key = library.key("原味", "1L")
    data = matrix_form(library, **{f"sku-{key}-level-{gold}": "9.805"})
    page = refused_at(client.post("/store/products/new", data=data), "最多两位小数")
    assert f'name="sku-{key}-level-{gold}" value="9.805"' in page  # what was typed stays
    assert products_count() == 0


def test_a_timed_listing_in_the_past_is_refused(client, library, owner):
    set_audit(True)
    data = form(library, listing_choice="at_time", list_at="2000-01-01T10:00")
    refused_at(client.post("/store/products/new", data=data), "定时上架的时间须晚于现在")
    assert products_count() == 0


def test_a_duplicate_item_number_is_refused(client, library, owner, store):
    assert client.post("/store/products/new", data=form(library)).status_code == 303
    again = form(library, name="椰子汁 大瓶")
    refused_at(client.post("/store/products/new", data=again), "货号已存在")
    assert products_count() == 1
    other = make_store(name="别家")  # another store may use the same number
    other_owner = make_user(Role.STORE_STAFF, store=other)
    commit()
    other_client = client.application.test_client()
    other_client.post("/login", data={"phone": other_owner.phone, "password": "pw123456"})
    assert other_client.post("/store/products/new", data=form(library)).status_code == 303


@pytest.mark.parametrize("level", ["top", "middle"])
def test_a_category_of_the_wrong_level_is_refused(client, library, owner, level):
    category = library.middle if level == "middle" else library.middle.parent
    data = form(library, category_id=str(category.id))
    refused_at(client.post("/store/products/new", data=data), "请选择三级分类")
    assert products_count() == 0


def test_ten_images_at_once_are_refused_and_no_file_is_left(client, library, owner):
    data = form(library)
    data["images"] = [photo(f"{n}.png") for n in range(10)]
    refused_at(client.post("/store/products/new", data=data), "商品图片最多 9 张")
    assert products_count() == 0
    assert stored_files() == []


def test_a_file_that_is_not_a_picture_is_refused_and_nothing_is_kept(client, library, owner):
    data = form(library)
    data["images"] = [photo("a.png"), (io.BytesIO(b"<script>"), "evil.png")]
    refused_at(client.post("/store/products/new", data=data), "不是有效的图片")
    assert products_count() == 0
    assert stored_files() == []


def test_a_refusal_after_the_photos_are_stored_leaves_no_file(client, library, owner, store):
    """A SKU somebody ordered cannot be removed; that refusal comes after the photos were kept."""
    product = make_product(store, name="老商品", spec="大瓶")
    commit()
    place_order(make_buyer(region=make_region()), product, accept=False)
    data = form(library, **{"sku-0-price": None, "sku-0-stock": None})
    data["spec_value"] = [str(library.value("原味").id)]
    data[f"sku-{library.key('原味')}-price"] = "5"
    data["images"] = [photo()]
    response = client.post(f"/store/products/{product.id}/edit", data=data)
    refused_at(response, "规格「大瓶」已有订单，不能删除")
    assert stored_files() == []
    db.session.expire_all()
    product = db.session.get(Product, product.id)
    assert product.images == [] and [s.spec for s in product.skus] == ["大瓶"]


# ---- HTML and script ---------------------------------------------------------------------------


def test_html_and_script_in_every_text_field_are_escaped_or_sanitised(client, library, owner):
    evil = '<script>alert("x")</script><b onmouseover=alert(1)>'
    data = form(
        library,
        name=f"椰子汁{evil}",
        item_no=evil[:50],
        model=evil[:50],
        specification=evil,
        description=(
            '<p onclick="steal()">好喝<script>alert(1)</script></p>'
            '<a href="javascript:alert(1)">点我</a><a href="https://example.com/x">官网</a>'
            '<img src="http://example.com/a.png" onerror="alert(1)"><img src="data:image/png;base64,AAAA">'
            '<iframe src="https://evil.example"></iframe><strong>鲜</strong>'
        ),
        **{f"param-{library.origin.id}": evil, "sku-0-code": evil[:50]},
    )
    assert client.post("/store/products/new", data=data).status_code == 303
    product = db.session.execute(select(Product)).scalar_one()
    assert product.description == (
        '<p>好喝</p><a rel="noopener noreferrer nofollow">点我</a>'
        '<a href="https://example.com/x" rel="noopener noreferrer nofollow">官网</a>'
        '<img src="http://example.com/a.png"><img><strong>鲜</strong>'
    )
    for url in ("/store/products", f"/store/products/{product.id}/edit"):
        page = client.get(url).get_data(as_text=True)
        assert "<script>alert" not in page and "<b onmouseover" not in page
        assert "&lt;script&gt;" in page


# ---- scope ---------------------------------------------------------------------------------------


def test_another_stores_product_is_not_found(client, library, owner):
    other = make_store(name="别家")
    product = make_product(other, name="别家的货")
    commit()
    assert client.get(f"/store/products/{product.id}/edit").status_code == 404
    assert client.post(f"/store/products/{product.id}/edit", data=form(library)).status_code == 404
    assert client.post(f"/store/products/{product.id}/unlist").status_code == 404
    assert client.post(f"/store/products/{product.id}/list").status_code == 404
    assert client.get(f"/store/products/{product.id}/images/1").status_code == 404
    db.session.expire_all()
    assert db.session.get(Product, product.id).name == "别家的货"
    assert "别家的货" not in client.get("/store/products").get_data(as_text=True)


# ---- images --------------------------------------------------------------------------------------


def test_nine_images_are_kept_with_thumbnails_and_the_cover_can_change(
    client, library, owner, store
):
    data = form(library)
    data["images"] = [photo(f"{n}.png", (n * 20, 10, 10)) for n in range(9)]
    assert client.post("/store/products/new", data=data).status_code == 303
    product = db.session.execute(select(Product)).scalar_one()
    assert len(product.images) == 9
    files = stored_files()
    assert len(files) == 18 and all(f.startswith(f"products/{store.id}/") for f in files)
    listing = client.get("/store/products").get_data(as_text=True)
    thumb = re.search(r'src="(/store/products/\d+/images/1\?[^"]*size=thumb[^"]*)"', listing)
    assert thumb and client.get(thumb.group(1).replace("&amp;", "&")).status_code == 200
    edit = client.get(f"/store/products/{product.id}/edit").get_data(as_text=True)
    assert edit.count('name="image_keep"') == 9
    first, third = product.images[0], product.images[2]
    data = form(library)
    data["image_keep"] = list(product.images)
    data["cover"] = third
    data["remove_images"] = [product.images[1]]
    data["sku-0-stock_was"] = "30"
    assert client.post(f"/store/products/{product.id}/edit", data=data).status_code == 303
    db.session.expire_all()
    product = db.session.get(Product, product.id)
    assert product.images[:2] == [third, first] and len(product.images) == 8


# ---- audit ---------------------------------------------------------------------------------------


def test_with_audit_on_the_first_save_submits_the_product_unlisted(client, library, owner):
    set_audit(True)
    response = client.post(
        "/store/products/new", data=form(library, listing_choice="keep_unlisted")
    )
    assert response.status_code == 303
    product = db.session.execute(select(Product)).scalar_one()
    assert product.audit_status == AuditStatus.PENDING and not product.listed
    assert product.listing_choice == "keep_unlisted"
    events = db.session.execute(select(ProductEvent.kind)).scalars().all()
    assert events == ["submitted"]
    listing = client.get("/store/products").get_data(as_text=True)
    assert "待审核" in listing and "审核通过后可上架" in listing
    client.post(f"/store/products/{product.id}/list")
    db.session.expire_all()
    assert not db.session.get(Product, product.id).listed


def test_editing_a_listed_products_price_keeps_the_old_price_on_sale(client, library, owner, store):
    set_audit(True)
    product = make_product(store, name="椰子汁", price_fen=1200, stock=10, spec="")
    commit()
    data = form(library, name="椰子汁（新）", **{"sku-0-price": "9.90", "sku-0-stock": "15"})
    data["sku-0-stock_was"] = "10"
    response = client.post(f"/store/products/{product.id}/edit", data=data)
    assert response.status_code == 303
    db.session.expire_all()
    product = db.session.get(Product, product.id)
    sku = product.skus[0]
    assert product.listed and product.name == "椰子汁" and sku.price_fen == 1200
    assert product.pending_changes == {
        "name": "椰子汁（新）",
        "skus": {str(sku.id): {"price_fen": 990}},
    }
    assert product.audit_status == AuditStatus.APPROVED  # the approved version stays
    assert sku.stock == 15  # stock and other fields save at once
    assert product.item_no == "YS-001" and product.min_order_qty == 12
    edit = client.get(f"/store/products/{product.id}/edit").get_data(as_text=True)
    assert "等待平台审核" in edit and 'value="9.90"' in edit and "椰子汁（新）" in edit
    listing = client.get("/store/products?audit=pending").get_data(as_text=True)
    assert "修改待审核，在售为原版本" in listing and "椰子汁" in listing
    kinds = db.session.execute(select(ProductEvent.kind)).scalars().all()
    assert kinds == ["submitted"]
    apply_pending_changes(product)  # the platform approves
    commit()
    assert (product.name, sku.price_fen, product.pending_changes) == ("椰子汁（新）", 990, None)


def test_with_audit_off_a_save_applies_and_lists_at_once(client, library, owner):
    assert client.post("/store/products/new", data=form(library)).status_code == 303
    product = db.session.execute(select(Product)).scalar_one()
    assert product.listed and product.audit_status == AuditStatus.APPROVED
    assert client.post(f"/store/products/{product.id}/unlist").status_code == 303
    db.session.expire_all()
    assert not db.session.get(Product, product.id).listed
    assert client.post(f"/store/products/{product.id}/list").status_code == 303
    db.session.expire_all()
    assert db.session.get(Product, product.id).listed
    kinds = db.session.execute(select(ProductEvent.kind).order_by(ProductEvent.id)).scalars()
    assert list(kinds) == ["listed", "unlisted", "listed"]


# ---- stock -----------------------------------------------------------------------------------------


def test_stock_set_in_the_editor_is_a_movement_and_an_untouched_field_keeps_sales(
    client, library, owner, store
):
    product = make_product(store, name="椰子汁", stock=10, spec="")
    commit()
    sku = product.skus[0]
    data = form(library, **{"sku-0-price": "12", "sku-0-stock": "10"})
    data["sku-0-stock_was"] = "10"
    sku.stock = 7  # three sold while the store had the form open
    commit()
    assert client.post(f"/store/products/{product.id}/edit", data=data).status_code == 303
    db.session.expire_all()
    assert db.session.get(Sku, sku.id).stock == 7
    assert db.session.scalar(select(func.count()).select_from(StockMovement)) == 0
    data["sku-0-stock"] = "50"  # typed over the 10 the form showed, but 7 are left now
    response = client.post(f"/store/products/{product.id}/edit", data=data)
    refused_at(response, "库存已变化，请刷新后再试")
    data["sku-0-stock_was"] = "7"
    assert client.post(f"/store/products/{product.id}/edit", data=data).status_code == 303
    movement = db.session.execute(select(StockMovement)).scalar_one()
    assert (movement.before, movement.after, movement.reason) == (7, 50, "编辑商品")


# ---- the list ----------------------------------------------------------------------------------------


def test_the_list_filters_by_audit_listing_category_and_keyword(client, library, owner, store):
    set_audit(True)
    client.post("/store/products/new", data=form(library, name="待审椰汁", item_no="A1"))
    set_audit(False)
    client.post("/store/products/new", data=form(library, name="上架芒果汁", item_no="B2"))
    make_product(store, name="老货无分类")
    commit()

    def names(query: str) -> set[str]:
        page = client.get("/store/products" + query).get_data(as_text=True)
        return {n for n in ("待审椰汁", "上架芒果汁", "老货无分类") if n in page}

    assert names("") == {"待审椰汁", "上架芒果汁", "老货无分类"}
    assert names("?audit=pending") == {"待审椰汁"}
    assert names("?listed=no") == {"待审椰汁"}
    assert names(f"?category={library.middle.id}") == {"待审椰汁", "上架芒果汁"}
    assert names("?q=b2") == {"上架芒果汁"}
    assert names("?q=椰树") == {"待审椰汁", "上架芒果汁"}
    assert names("?q=没有这个") == set()
    assert "没有符合条件的商品" in client.get("/store/products?q=没有这个").get_data(as_text=True)
    fragment = client.get("/store/products?audit=pending", headers=HX).get_data(as_text=True)
    assert fragment.lstrip().startswith('<div id="products-table">')


def test_the_list_pages(client, library, owner, store):
    for n in range(23):
        make_product(store, name=f"货{n:02d}")
    commit()
    first = client.get("/store/products").get_data(as_text=True)
    assert "共 23 个商品" in first and "下一页" in first and "货22" in first and "货02" not in first
    second = client.get("/store/products?page=2").get_data(as_text=True)
    assert "货02" in second and "货22" not in second


def test_an_empty_store_is_told_how_to_start(client, owner):
    page = client.get("/store/products").get_data(as_text=True)
    assert "还没有商品" in page and "/store/products/new" in page


def test_edit_shows_what_is_saved(client, library, owner):
    client.post("/store/products/new", data=matrix_form(library))
    product = db.session.execute(select(Product)).scalar_one()
    page = client.get(f"/store/products/{product.id}/edit").get_data(as_text=True)
    key = library.key("无糖", "1L")
    gold = library.levels[-1].id
    assert f'name="sku-{key}-price" value="10.00"' in page
    assert f'name="sku-{key}-level-{gold}" value="9.80"' in page
    assert 'value="海南"' in page and "12瓶/箱" in page
    assert db.session.scalar(select(func.count()).select_from(SkuLevelPrice)) == 2


def test_choosing_a_category_redraws_its_parameters_and_saves_nothing(client, library, owner):
    data = form(library, action="refresh")
    response = client.post("/store/products/new", data=data, headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.lstrip().startswith('<section class="panel" id="category-params">')
    assert "产地" in html and "保质期" in html and 'value="海南"' in html
    assert products_count() == 0


def test_control_characters_and_odd_times_are_never_stored(client, library, owner):
    set_audit(True)
    data = form(library, listing_choice="at_time", list_at="0001-01-01T00:00")
    refused_at(client.post("/store/products/new", data=data), "请填写上架时间")
    data = form(library, name="椰\x00子汁", description="<p>a\x00b</p>", item_no="X\x01")
    assert client.post("/store/products/new", data=data).status_code == 303
    product = db.session.execute(select(Product)).scalar_one()
    assert (product.name, product.description, product.item_no) == ("椰子汁", "<p>ab</p>", "X")
    assert client.get("/store/products?q=%00").status_code == 200
