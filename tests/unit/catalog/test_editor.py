"""The product editor's rules (app/catalog/editor.py), called as the store's staff would."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.accounts.actor import Actor
from app.accounts.models import Role
from app.catalog.editor import (
    MAX_SKUS,
    ProductFieldError,
    ProductInput,
    SkuInput,
    build_matrix,
    parse_pack_unit,
    parse_price,
    parse_stock,
    sanitise_description,
    save_product,
)
from app.catalog.models import (
    AuditStatus,
    CatalogSettings,
    Category,
    Product,
    ProductEvent,
    SpecName,
    SpecValue,
    Unit,
)
from app.errors import DomainError, Forbidden
from app.extensions import db
from tests.factories import make_store


@pytest.fixture
def world(app):
    top = Category(name="日用", level=1)
    db.session.add(top)
    db.session.flush()
    middle = Category(name="清洁", level=2, parent_id=top.id)
    db.session.add(middle)
    db.session.flush()
    leaf = Category(name="洗衣液", level=3, parent_id=middle.id)
    db.session.add_all([leaf, Unit(name="瓶")])
    store = make_store(name="日杂店")
    db.session.flush()
    actor = Actor(user_id=None, role=Role.STORE_STAFF, store_id=store.id, name="店员")
    return {"store": store, "leaf": leaf, "middle": middle, "actor": actor}


def data(world, **changes) -> ProductInput:
    values = {
        "name": "洗衣液",
        "unit": "瓶",
        "category_id": world["leaf"].id,
        "skus": {"0": SkuInput(key="0", price="20", stock="5")},
    }
    values.update(changes)
    return ProductInput(**values)


def audit(on: bool) -> None:
    db.session.get(CatalogSettings, 1).product_audit = on
    db.session.flush()


# ---- parsing --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("html", "kept"),
    [
        ("<p>好</p><script>alert(1)</script>", "<p>好</p>"),
        ('<b onclick="x()">粗</b>', "<b>粗</b>"),
        ('<a href="javascript:alert(1)">链</a>', '<a rel="noopener noreferrer nofollow">链</a>'),
        ('<a href="/relative">链</a>', '<a rel="noopener noreferrer nofollow">链</a>'),
        ('<img src="https://a.example/x.png" onerror="x">', '<img src="https://a.example/x.png">'),
        ('<img src="data:image/png;base64,AA">', "<img>"),
        ('<div style="color:red"><iframe src="https://x"></iframe>字</div>', "字"),
        ("<ul><li>一</li></ul><ol><li>二</li></ol><br><em>斜</em>", None),
    ],
)
def test_the_description_keeps_only_basic_formatting(html, kept):
    assert sanitise_description(html) == (html if kept is None else kept)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ("", 1)),
        ("12瓶/箱", ("12瓶/箱", 12)),
        (" 6 袋/包 ", ("6 袋/包", 6)),
        ("1箱", ("1箱", 1)),
    ],
)
def test_the_pack_size_is_the_minimum_order(text, expected):
    assert parse_pack_unit(text) == expected


@pytest.mark.parametrize("text", ["0瓶/箱", "瓶/箱", "12", "10000瓶/箱", "-1瓶/箱"])
def test_a_pack_without_a_sensible_size_is_refused(text):
    with pytest.raises(ProductFieldError) as refused:
        parse_pack_unit(text)
    assert refused.value.field == "pack_unit"


@pytest.mark.parametrize(
    ("text", "fen"), [("12", 1200), ("12.5", 1250), ("0.01", 1), ("￥3.20", 320)]
)
def test_prices_are_yuan_with_at_most_two_decimals(text, fen):
    assert parse_price(text, "p", required=True) == fen


@pytest.mark.parametrize("text", ["-1", "0", "abc", "1.234", "1e3", "1000000.01"])
def test_bad_prices_are_refused(text):
    with pytest.raises(ProductFieldError) as refused:
        parse_price(text, "sku-0-price", required=True)
    assert refused.value.field == "sku-0-price"


def test_a_blank_optional_price_is_none():
    assert parse_price("  ", "p", required=False) is None


@pytest.mark.parametrize("text", ["-1", "1.5", "abc", "10000000", "１"])
def test_bad_stock_is_refused(text):
    with pytest.raises(ProductFieldError):
        parse_stock(text, "s")


# ---- the matrix -------------------------------------------------------------------------------


def test_the_matrix_is_every_combination_in_the_librarys_order(app):
    size = SpecName(name="容量", sort=2, values=[SpecValue(value="1L"), SpecValue(value="2L")])
    scent = SpecName(
        name="香型", sort=1, values=[SpecValue(value="柠檬"), SpecValue(value="薰衣草")]
    )
    db.session.add_all([size, scent])
    db.session.flush()
    ids = [v.id for v in size.values + scent.values]
    rows = build_matrix(ids)
    assert [row.spec for row in rows] == ["柠檬 / 1L", "柠檬 / 2L", "薰衣草 / 1L", "薰衣草 / 2L"]
    assert rows[0].spec_values == {"香型": "柠檬", "容量": "1L"}
    assert [r.spec for r in build_matrix([])] == [""]


def test_too_many_combinations_and_unknown_values_are_refused(app):
    a = SpecName(name="A", values=[SpecValue(value=str(n)) for n in range(11)])
    b = SpecName(name="B", values=[SpecValue(value=str(n)) for n in range(10)])
    db.session.add_all([a, b])
    db.session.flush()
    with pytest.raises(ProductFieldError) as refused:
        build_matrix([v.id for v in a.values + b.values])
    assert refused.value.field == "specs" and str(MAX_SKUS) in refused.value.message
    with pytest.raises(ProductFieldError):
        build_matrix([999_999])


# ---- saving ---------------------------------------------------------------------------------


def test_a_new_product_keeps_its_search_text(world):
    product = save_product(world["actor"], None, data(world, item_no="AB-9"))
    assert product.search_text == "洗衣液 ab-9 日用 清洁 洗衣液"
    assert product.skus[0].price_fen == 2000 and product.listed


def test_only_the_stores_own_staff_edit_its_products(world):
    with pytest.raises(Forbidden):
        save_product(Actor(1, Role.OPERATOR), None, data(world))
    product = save_product(world["actor"], None, data(world))
    other = make_store(name="别家")
    intruder = Actor(user_id=None, role=Role.STORE_STAFF, store_id=other.id)
    with pytest.raises(DomainError):
        save_product(intruder, product, data(world, name="改名"))
    assert product.name == "洗衣液"


def test_a_category_that_is_not_a_leaf_is_refused(world):
    with pytest.raises(ProductFieldError) as refused:
        save_product(world["actor"], None, data(world, category_id=world["middle"].id))
    assert refused.value.field == "category_id"
    assert db.session.execute(select(Product)).first() is None


def test_audit_an_unlisted_approved_product_is_resubmitted_when_its_title_changes(world):
    audit(True)
    product = save_product(world["actor"], None, data(world))
    assert (product.audit_status, product.listed) == (AuditStatus.PENDING, False)
    product.audit_status = AuditStatus.APPROVED  # the platform approved; the store keeps it off
    db.session.flush()
    save_product(world["actor"], product, data(world, model="X2"))
    assert product.audit_status == AuditStatus.APPROVED  # other fields: no audit
    save_product(world["actor"], product, data(world, name="洗衣液 2L"))
    assert (product.audit_status, product.name) == (AuditStatus.PENDING, "洗衣液 2L")
    kinds = db.session.execute(select(ProductEvent.kind)).scalars().all()
    assert kinds == ["submitted", "submitted"]


def test_audit_a_rejected_product_is_submitted_again_on_save(world):
    audit(True)
    product = save_product(world["actor"], None, data(world))
    product.audit_status, product.audit_reason = AuditStatus.REJECTED, "图片不清晰"
    db.session.flush()
    save_product(world["actor"], product, data(world))
    assert (product.audit_status, product.audit_reason) == (AuditStatus.PENDING, "")


def test_audit_an_edit_taken_back_leaves_nothing_pending(world):
    product = save_product(world["actor"], None, data(world))  # audit off: listed
    audit(True)
    sku_id = str(product.skus[0].id)
    prices = {"0": SkuInput(key="0", price="18", stock="5", stock_was="5")}
    save_product(world["actor"], product, data(world, skus=prices))
    assert product.pending_changes == {"skus": {sku_id: {"price_fen": 1800}}}
    assert product.skus[0].price_fen == 2000 and product.listed
    again = {"0": SkuInput(key="0", price="20", stock="5", stock_was="5")}
    save_product(world["actor"], product, data(world, skus=again))
    assert product.pending_changes is None
    assert product.audit_status == AuditStatus.APPROVED


def test_audit_off_a_keep_unlisted_product_is_saved_off_sale(world):
    product = save_product(world["actor"], None, data(world, listing_choice="keep_unlisted"))
    assert (product.listed, product.audit_status) == (False, AuditStatus.APPROVED)
