"""Products to and from Excel over HTTP: export, the template, import with a row-by-row report."""

from __future__ import annotations

import io
import zipfile

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from app.accounts.models import MemberLevel, Role
from app.catalog import excel
from app.catalog.models import (
    AuditStatus,
    Brand,
    CatalogSettings,
    Category,
    Product,
    Sku,
    SkuLevelPrice,
    StockMovement,
    Unit,
)
from app.extensions import db
from app.jobs import commit
from tests.factories import make_product, make_store, make_user

HX = {"HX-Request": "true"}
HEADER = [
    "商品标题",
    "货号",
    "类目",
    "品牌",
    "单位",
    "包装单位",
    "起订量",
    "型号",
    "规格说明",
    "规格",
    "SKU编码",
    "价格",
    "零售价",
    "库存",
]


@pytest.fixture
def library(app):
    food = Category(name="食品饮料", level=1)
    db.session.add(food)
    db.session.flush()
    drinks = Category(name="饮料", level=2, parent_id=food.id)
    db.session.add(drinks)
    db.session.flush()
    juice = Category(name="果汁", level=3, parent_id=drinks.id)
    db.session.add_all([juice, Brand(name="椰树"), Unit(name="瓶"), Unit(name="箱")])
    commit()
    return juice


@pytest.fixture
def store(app):
    store = make_store(name="椰城批发")
    commit()
    return store


@pytest.fixture
def staff(store, login):
    user = make_user(Role.STORE_STAFF, store=store, name="李店员")
    commit()
    login(user)
    return user


def level(name: str) -> MemberLevel:
    return db.session.execute(select(MemberLevel).filter_by(name=name)).scalar_one()


@pytest.fixture
def coconut(store, library) -> Product:
    product = make_product(store, name="椰子汁", price_fen=650, stock=40, spec="原味 / 1L")
    product.item_no = "YZ-001"
    product.category_id = library.id
    product.brand_id = db.session.execute(select(Brand.id).filter_by(name="椰树")).scalar_one()
    product.unit = "瓶"
    product.pack_unit = "12瓶/箱"
    product.min_order_qty = 12
    product.skus[0].code = "YZ-001-1L"
    product.skus[0].retail_price_fen = 800
    product.skus[0].level_prices = [SkuLevelPrice(level_id=level("金牌会员").id, price_fen=600)]
    product.skus.append(Sku(spec="原味 / 245ml", code="YZ-001-245", price_fen=250, stock=5))
    commit()
    return product


def workbook_bytes(rows: list[list], header: list | None = None) -> io.BytesIO:
    book = Workbook()
    sheet = book.active
    sheet.append(header or HEADER)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    return out


def upload(client, data: io.BytesIO, only_valid: bool = False, name="商品.xlsx", **kw):
    form = {"file": (data, name)}
    if only_valid:
        form["only_valid"] = "y"
    return client.post(
        "/store/products/import", data=form, content_type="multipart/form-data", **kw
    )


def product_count(store) -> int:
    return db.session.execute(
        select(func.count()).select_from(Product).where(Product.store_id == store.id)
    ).scalar_one()


def row(title="芒果汁", item_no="MG-1", spec="1L", price="9.90", stock=10, **cells) -> list:
    values = {
        "类目": "食品饮料/饮料/果汁",
        "品牌": "",
        "单位": "瓶",
        "包装单位": "",
        "起订量": 1,
        "型号": "",
        "规格说明": "",
        "SKU编码": "",
        "零售价": "",
        **cells,
    }
    return [
        title,
        item_no,
        values["类目"],
        values["品牌"],
        values["单位"],
        values["包装单位"],
        values["起订量"],
        values["型号"],
        values["规格说明"],
        spec,
        values["SKU编码"],
        price,
        values["零售价"],
        stock,
    ]


# ---- export --------------------------------------------------------------------------------


def test_the_export_has_one_row_per_sku_with_the_category_path_and_level_prices(
    client, staff, coconut
):
    make_product(make_store(), name="别家的椰奶")
    commit()
    response = client.get("/store/products/export.xlsx")
    assert response.status_code == 200
    assert response.mimetype == excel.XLSX_TYPE
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0][:14] == HEADER
    assert rows[0][14:] == ["价格-普通会员", "价格-银牌会员", "价格-金牌会员"]
    assert len(rows) == 3
    first = dict(zip(rows[0], rows[1], strict=True))
    assert first["商品标题"] == "椰子汁" and first["货号"] == "YZ-001"
    assert first["类目"] == "食品饮料/饮料/果汁" and first["品牌"] == "椰树"
    assert first["包装单位"] == "12瓶/箱" and first["起订量"] == 12
    assert first["规格"] == "原味 / 1L" and first["SKU编码"] == "YZ-001-1L"
    assert (first["价格"], first["零售价"], first["库存"]) == ("6.50", "8.00", 40)
    assert first["价格-金牌会员"] == "6.00" and first["价格-普通会员"] is None


def test_text_that_looks_like_a_formula_is_exported_quoted(client, staff, store):
    make_product(store, name='=HYPERLINK("http://evil")')
    commit()
    sheet = load_workbook(io.BytesIO(client.get("/store/products/export.xlsx").data)).active
    assert sheet.cell(row=2, column=1).value == '\'=HYPERLINK("http://evil")'


def test_the_template_has_the_import_columns(client, staff):
    response = client.get("/store/products/import-template.xlsx")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    header = [c.value for c in book.worksheets[0][1]]
    assert header[:14] == HEADER and "价格-金牌会员" in header
    assert book.worksheets[0].max_row == 1


# ---- import --------------------------------------------------------------------------------


def test_export_then_import_round_trip_updates_the_changed_price(client, staff, store, coconut):
    book = load_workbook(io.BytesIO(client.get("/store/products/export.xlsx").data))
    sheet = book.active
    sheet.cell(row=2, column=12).value = "7.20"  # 价格 of 原味 / 1L
    sheet.cell(row=3, column=14).value = 25  # 库存 of 原味 / 245ml
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    response = upload(client, out)
    assert response.status_code == 303
    db.session.expire_all()
    assert product_count(store) == 1
    big, small = db.session.get(Product, coconut.id).skus
    assert (big.price_fen, big.retail_price_fen, big.stock) == (720, 800, 40)
    assert [(lp.level_id, lp.price_fen) for lp in big.level_prices] == [(level("金牌会员").id, 600)]
    assert (small.price_fen, small.stock) == (250, 25)
    [moved] = db.session.execute(
        select(StockMovement).where(StockMovement.sku_id == small.id)
    ).scalars()
    assert (moved.before, moved.after, moved.reason) == (5, 25, "stock_imported")
    assert "Excel 导入" in client.get(f"/store/stock/{small.id}").get_data(as_text=True)


def test_import_creates_products_with_several_skus_listed_and_searchable(
    client, staff, store, library
):
    data = workbook_bytes(
        [
            row(spec="1L", price="9.9", stock=10, 品牌="椰树", 包装单位="6瓶/箱", 起订量=6),
            row(spec="500ml", price=5, stock=0, 起订量=""),
            row(title="菠萝汁", item_no="", spec="", price="12.00", stock=3),
        ]
    )
    response = upload(client, data)
    assert response.status_code == 303, response.get_data(as_text=True)
    mango, pineapple = db.session.execute(
        select(Product).where(Product.store_id == store.id).order_by(Product.id)
    ).scalars()
    assert (mango.name, mango.item_no, mango.min_order_qty, mango.pack_unit) == (
        "芒果汁",
        "MG-1",
        6,
        "6瓶/箱",
    )
    assert mango.listed and mango.audit_status == AuditStatus.APPROVED
    assert [(s.spec, s.price_fen, s.stock) for s in mango.skus] == [
        ("1L", 990, 10),
        ("500ml", 500, 0),
    ]
    assert mango.search_text == "芒果汁 mg-1 椰树 食品饮料 饮料 果汁"
    assert pineapple.skus[0].price_fen == 1200
    moved = db.session.execute(
        select(StockMovement.before, StockMovement.after).where(
            StockMovement.sku_id == mango.skus[0].id
        )
    ).all()
    assert moved == [(0, 10)]
    # the same file again updates instead of duplicating
    assert upload(client, workbook_bytes([row(spec="1L", price="8.8")])).status_code == 303
    db.session.expire_all()
    assert product_count(store) == 2
    assert db.session.get(Sku, mango.skus[0].id).price_fen == 880


def test_with_product_audit_new_products_wait_unlisted(client, staff, store, library):
    db.session.get(CatalogSettings, 1).product_audit = True
    commit()
    assert upload(client, workbook_bytes([row()])).status_code == 303
    product = db.session.execute(select(Product).filter_by(store_id=store.id)).scalar_one()
    assert product.audit_status == AuditStatus.PENDING and not product.listed


def broken_file() -> io.BytesIO:
    return workbook_bytes(
        [
            row(title="好的芒果汁", item_no="OK-1"),
            row(title="坏价格", item_no="BAD-1", price="9.999"),
            row(title="", item_no="BAD-2", 类目="食品饮料/饮料/不存在", stock=-1),
            row(title="好的橙汁", item_no="OK-2", stock=5),
        ]
    )


def test_broken_rows_are_reported_by_row_and_column_and_nothing_is_imported(
    client, staff, store, library
):
    response = upload(client, broken_file())
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "没有导入任何商品" in page
    assert '<td class="num">3</td><td>价格</td>' in page
    assert '<td class="num">4</td><td>商品标题</td>' in page
    assert '<td class="num">4</td><td>类目</td>' in page
    assert '<td class="num">4</td><td>库存</td>' in page
    assert "食品饮料/饮料/不存在" in page
    assert product_count(store) == 0
    assert db.session.execute(select(func.count()).select_from(StockMovement)).scalar_one() == 0


def test_only_the_good_rows_are_imported_when_asked(client, staff, store, library):
    response = upload(client, broken_file(), only_valid=True, headers=HX)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "以下行有误，未导入" in page and "新增商品 2 个" in page
    titles = db.session.execute(
        select(Product.name).where(Product.store_id == store.id).order_by(Product.id)
    ).scalars()
    assert list(titles) == ["好的芒果汁", "好的橙汁"]


def test_rows_of_one_product_must_agree_and_not_repeat_a_spec(client, staff, store, library):
    data = workbook_bytes(
        [
            row(spec="1L", 起订量=1),
            row(spec="1L", price="8"),
            row(spec="2L", 单位="箱"),
            row(spec="3L", 品牌="没有的品牌"),
        ]
    )
    page = upload(client, data).get_data(as_text=True)
    assert "与第 2 行是同一商品的同一规格" in page
    assert "与第 2 行（同一商品）不一致" in page
    assert "品牌库中没有「没有的品牌」" in page
    assert product_count(store) == 0


@pytest.mark.parametrize(
    ("content", "name"),
    [
        (b"title,price\n\xe8\x8a\x92,1\n", "商品.xlsx"),  # a renamed text file
        (b"PK\x03\x04" + b"\x00" * 200, "商品.xlsx"),  # a broken zip
        (b"\xd0\xcf\x11\xe0" + b"\x00" * 200, "商品.xls"),  # an old binary .xls
    ],
)
def test_a_file_that_is_not_an_xlsx_is_refused(client, staff, store, library, content, name):
    response = upload(client, io.BytesIO(content), name=name)
    assert response.status_code == 422
    assert "无法读取该文件" in response.get_data(as_text=True)
    assert product_count(store) == 0


def test_a_zip_that_is_not_a_workbook_is_refused(client, staff, store, library):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("hello.txt", "hi")
    out.seek(0)
    assert upload(client, out).status_code == 422


def test_too_big_or_too_many_rows_is_refused(client, staff, store, library, monkeypatch):
    monkeypatch.setattr(excel, "MAX_IMPORT_ROWS", 2)
    response = upload(client, workbook_bytes([row(spec=f"{n}L") for n in range(3)]))
    assert response.status_code == 422
    assert "一次最多导入 2 行" in response.get_data(as_text=True)
    monkeypatch.setattr(excel, "MAX_IMPORT_BYTES", 1000)
    response = upload(client, workbook_bytes([row()]))
    assert "文件不能超过" in response.get_data(as_text=True)
    assert product_count(store) == 0


def test_a_missing_column_or_unknown_level_is_a_clear_message(client, staff, store, library):
    response = upload(client, workbook_bytes([["x"]], header=["商品标题", "类目"]))
    assert "缺少「价格」列" in response.get_data(as_text=True)
    response = upload(client, workbook_bytes([row()], header=[*HEADER, "价格-钻石会员"]))
    assert "没有名为「钻石会员」的会员等级" in response.get_data(as_text=True)


def test_markup_in_text_cells_is_stored_as_text_and_escaped(client, staff, store, library):
    title = "<script>alert('x')</script>椰汁"
    assert upload(client, workbook_bytes([row(title=title, spec="<b>1L</b>")])).status_code == 303
    product = db.session.execute(select(Product).filter_by(store_id=store.id)).scalar_one()
    assert product.name == title and product.skus[0].spec == "<b>1L</b>"
    page = client.get("/store/stock").get_data(as_text=True)
    assert "<script>alert" not in page and "<b>1L</b>" not in page
    assert "&lt;script&gt;" in page and "&lt;b&gt;1L&lt;/b&gt;" in page


def test_no_file_chosen(client, staff):
    response = client.post("/store/products/import", data={})
    assert response.status_code == 422
    assert "请选择要导入的 Excel 文件" in response.get_data(as_text=True)


def test_under_audit_a_listed_products_new_price_waits_for_the_platform(
    client, staff, store, coconut
):
    db.session.get(CatalogSettings, 1).product_audit = True
    commit()
    book = load_workbook(io.BytesIO(client.get("/store/products/export.xlsx").data))
    book.active.cell(row=2, column=12).value = "7.20"
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    assert upload(client, out).status_code == 303
    db.session.expire_all()
    product = db.session.get(Product, coconut.id)
    big = product.skus[0]
    assert big.price_fen == 650 and product.listed
    assert product.pending_changes == {"skus": {str(big.id): {"price_fen": 720}}}


def test_a_blank_minimum_order_follows_the_pack_unit(client, staff, store, library):
    data = workbook_bytes(
        [row(包装单位="12瓶/箱", 起订量=""), row(title="坏包装", item_no="X", 包装单位="一箱")]
    )
    page = upload(client, data, only_valid=True).get_data(as_text=True)
    assert "包装请按「数量+单位/包装」填写" in page
    product = db.session.execute(select(Product).filter_by(store_id=store.id)).scalar_one()
    assert (product.pack_unit, product.min_order_qty) == ("12瓶/箱", 12)
