"""The platform's catalog library pages (商品库): operators build categories, brands, tags, specs,
units and parameters and switch the product audit; customer service reads; stores never enter.
Category icons and brand logos are public pictures."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from app.accounts.models import Role
from app.catalog.library import (
    add_brand,
    add_category,
    add_spec,
    add_spec_value,
    add_tag,
    install_demo_library,
)
from app.catalog.models import (
    Brand,
    CatalogSettings,
    Category,
    CategoryParam,
    SpecName,
    SpecValue,
    Tag,
    Unit,
)
from app.extensions import db
from app.jobs import commit
from tests.factories import actor_of, make_product, make_store, make_user
from tests.support.wholesale_world import client_of

HX = {"HX-Request": "true"}
PAGES = ("categories", "brands", "tags", "specs", "units", "params", "settings")


def jpeg() -> io.BytesIO:
    out = io.BytesIO()
    Image.new("RGB", (90, 60), (230, 120, 20)).save(out, "JPEG")
    out.seek(0)
    return out


def stored_files(app) -> list[Path]:
    return [p for p in Path(app.config["UPLOAD_DIR"]).rglob("*") if p.is_file()]


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def boss(app):
    user = make_user(Role.OPERATOR, name="张运营")
    commit()
    return user


@pytest.fixture
def operator(app, boss):
    return client_of(app, boss)


@pytest.fixture
def service(app):
    user = make_user(Role.SERVICE, name="李客服")
    commit()
    return client_of(app, user)


@pytest.fixture
def tree(boss):
    actor = actor_of(boss)
    food = add_category("食品饮料", None, actor)
    drinks = add_category("饮料", food.id, actor)
    juice = add_category("果汁", drinks.id, actor)
    commit()
    return food, drinks, juice


# ---- the pages -----------------------------------------------------------------------------


def test_every_page_shows_the_tab_strip(operator):
    for page in PAGES:
        response = operator.get(f"/platform/catalog/{page}")
        html = response.get_data(as_text=True)
        assert response.status_code == 200, page
        for tab in ("类目", "品牌", "标签", "规格库", "单位", "商品参数", "审核设置"):
            assert tab in html
        assert 'aria-current="page"' in html


def test_empty_pages_say_what_to_do(operator):
    assert "先添加一级类目" in operator.get("/platform/catalog/categories").get_data(as_text=True)
    assert "还没有品牌" in operator.get("/platform/catalog/brands").get_data(as_text=True)
    assert "规格库是空的" in operator.get("/platform/catalog/specs").get_data(as_text=True)


def test_the_demo_library_shows_as_an_indented_tree(app, operator):
    install_demo_library()
    commit()
    html = operator.get("/platform/catalog/categories").get_data(as_text=True)
    for name in ("食品饮料", "休闲零食", "坚果", "一次性餐盒"):
        assert name in html
    names = ("食品饮料", "饮料", "果汁", "休闲零食", "坚果", "餐饮外卖")
    positions = [html.index(f'value="{name}"') for name in names]
    assert positions == sorted(positions)
    assert "└" in html


# ---- categories ----------------------------------------------------------------------------


def test_adding_three_levels_then_a_fourth_is_refused(operator):
    response = operator.post("/platform/catalog/categories", data={"name": "日用百货"})
    assert response.status_code == 303
    top = db.session.execute(select(Category).filter_by(name="日用百货")).scalar_one()
    operator.post("/platform/catalog/categories", data={"name": "餐具", "parent_id": top.id})
    middle = db.session.execute(select(Category).filter_by(name="餐具")).scalar_one()
    operator.post("/platform/catalog/categories", data={"name": "餐盒", "parent_id": middle.id})
    leaf = db.session.execute(select(Category).filter_by(name="餐盒")).scalar_one()
    assert (top.level, middle.level, leaf.level) == (1, 2, 3)

    refused = operator.post(
        "/platform/catalog/categories", data={"name": "小餐盒", "parent_id": leaf.id}, headers=HX
    )
    assert refused.status_code == 422
    assert "类目最多三级" in refused.get_data(as_text=True)
    assert count(Category) == 3


def test_the_page_offers_no_add_below_a_third_level(operator, tree):
    _, drinks, juice = tree
    html = operator.get("/platform/catalog/categories").get_data(as_text=True)
    assert f'name="parent_id" value="{drinks.id}"' in html
    assert f'name="parent_id" value="{juice.id}"' not in html


def test_rename_and_reorder(operator, tree):
    food, _, _ = tree
    response = operator.post(
        f"/platform/catalog/categories/{food.id}", data={"name": "食品", "sort": "5"}
    )
    assert response.status_code == 303
    db.session.refresh(food)
    assert (food.name, food.sort) == ("食品", 5)


@pytest.mark.parametrize(
    "data",
    [
        {"name": "", "sort": "1"},
        {"name": "长" * 31, "sort": "1"},
        {"name": "食品", "sort": "abc"},
        {"name": "食品", "sort": "-1"},
        {"name": "食品", "sort": "99999999999"},
        {"name": "食品"},
    ],
)
def test_a_bad_edit_is_422_and_nothing_changes(operator, tree, data):
    food, _, _ = tree
    response = operator.post(f"/platform/catalog/categories/{food.id}", data=data, headers=HX)
    assert response.status_code == 422
    assert "field-error" in response.get_data(as_text=True)
    db.session.refresh(food)
    assert food.name == "食品饮料"


@pytest.mark.parametrize(
    "data", [{"name": ""}, {"name": "x", "parent_id": "abc"}, {"name": "x", "parent_id": "0"}]
)
def test_a_bad_add_is_422_and_nothing_is_added(operator, data):
    response = operator.post("/platform/catalog/categories", data=data)
    assert response.status_code == 422
    assert count(Category) == 0


def test_an_unknown_parent_is_refused(operator):
    response = operator.post(
        "/platform/catalog/categories", data={"name": "x", "parent_id": "999999"}
    )
    assert response.status_code == 422 and count(Category) == 0


def test_unknown_ids_are_404(operator, tree):
    for url in (
        "/platform/catalog/categories/999999",
        "/platform/catalog/categories/999999/delete",
        "/platform/catalog/categories/99999999999/delete",
        "/platform/catalog/tags/999999/delete",
        "/platform/catalog/spec-values/999999/delete",
        "/platform/catalog/params/999999/delete",
        "/platform/catalog/units/999999/delete",
    ):
        assert operator.post(url, data={"name": "x", "sort": "1"}).status_code == 404, url
    assert operator.get("/platform/catalog/brands/999999").status_code == 404


def test_deleting_says_why_it_cannot(operator, tree):
    _, drinks, juice = tree
    product = make_product(make_store())
    product.category_id = juice.id
    commit()

    with_children = operator.post(f"/platform/catalog/categories/{drinks.id}/delete", headers=HX)
    with_products = operator.post(f"/platform/catalog/categories/{juice.id}/delete", headers=HX)

    assert with_children.status_code == 409
    assert "「饮料」下还有 1 个下级类目" in with_children.get_data(as_text=True)
    assert with_products.status_code == 409
    assert "「果汁」下还有 1 个商品" in with_products.get_data(as_text=True)
    assert count(Category) == 3


def test_a_refusal_after_a_plain_post_goes_back_with_the_message(operator, tree):
    _, drinks, _ = tree
    response = operator.post(
        f"/platform/catalog/categories/{drinks.id}/delete",
        headers={"Referer": "http://localhost/platform/catalog/categories"},
        follow_redirects=True,
    )
    assert "下还有 1 个下级类目" in response.get_data(as_text=True)


def test_deleting_an_empty_leaf_asks_first_and_then_goes(operator, tree):
    _, _, juice = tree
    html = operator.get("/platform/catalog/categories").get_data(as_text=True)
    assert "确认删除类目「果汁」？" in html

    response = operator.post(f"/platform/catalog/categories/{juice.id}/delete", headers=HX)

    assert response.status_code == 200
    assert response.headers["HX-Redirect"] == "/platform/catalog/categories"
    assert db.session.get(Category, juice.id) is None


# ---- icons and logos -----------------------------------------------------------------------


def test_an_icon_upload_is_public_with_a_thumbnail(app, operator, client, tree):
    food, _, _ = tree
    response = operator.post(
        f"/platform/catalog/categories/{food.id}/icon",
        data={"icon": (jpeg(), "icon.jpg")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    page = operator.get("/platform/catalog/categories").get_data(as_text=True)
    assert f"/media/categories/{food.id}/icon?size=thumb" in page

    full = client.get(f"/media/categories/{food.id}/icon")  # a visitor, not logged in
    thumb = client.get(f"/media/categories/{food.id}/icon?size=thumb")
    assert full.status_code == 200 and full.mimetype == "image/jpeg"
    assert thumb.status_code == 200 and len(thumb.data) <= len(full.data)


def test_no_icon_and_unknown_categories_are_404(client, tree):
    food, _, _ = tree
    assert client.get(f"/media/categories/{food.id}/icon").status_code == 404
    assert client.get("/media/categories/999999/icon").status_code == 404
    assert client.get("/media/brands/999999/logo").status_code == 404


def test_a_file_that_is_no_picture_is_refused_and_nothing_is_stored(app, operator, tree):
    food, _, _ = tree
    response = operator.post(
        f"/platform/catalog/categories/{food.id}/icon",
        data={"icon": (io.BytesIO(b"<?php echo 1; ?>"), "icon.jpg")},
        content_type="multipart/form-data",
        headers=HX,
    )
    assert response.status_code == 422
    assert "不是有效的图片" in response.get_data(as_text=True)
    db.session.refresh(food)
    assert food.icon_key is None and stored_files(app) == []


def test_an_icon_form_without_a_file_is_422(operator, tree):
    food, _, _ = tree
    response = operator.post(f"/platform/catalog/categories/{food.id}/icon", data={})
    assert response.status_code == 422
    assert "请选择图标图片" in response.get_data(as_text=True)


def test_brands_with_logo_intro_and_edit(app, operator, client):
    response = operator.post(
        "/platform/catalog/brands",
        data={"name": "椰树", "intro": "海南椰汁老字号", "logo": (jpeg(), "logo.jpg")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    brand = db.session.execute(select(Brand)).scalar_one()
    assert client.get(f"/media/brands/{brand.id}/logo").status_code == 200
    assert client.get(f"/media/brands/{brand.id}/logo?size=thumb").status_code == 200

    edit = operator.get(f"/platform/catalog/brands/{brand.id}").get_data(as_text=True)
    assert "海南椰汁老字号" in edit
    operator.post(
        f"/platform/catalog/brands/{brand.id}",
        data={"name": "椰树牌", "intro": "", "remove_logo": "y"},
    )
    db.session.refresh(brand)
    assert (brand.name, brand.intro, brand.logo_key) == ("椰树牌", "", None)
    assert client.get(f"/media/brands/{brand.id}/logo").status_code == 404


def test_a_brand_in_use_stays_and_a_duplicate_is_refused(operator, boss):
    brand = add_brand("怡宝", "", None, actor_of(boss))
    product = make_product(make_store())
    product.brand_id = brand.id
    commit()

    page = operator.get("/platform/catalog/brands").get_data(as_text=True)
    deleted = operator.post(f"/platform/catalog/brands/{brand.id}/delete", headers=HX)
    duplicate = operator.post("/platform/catalog/brands", data={"name": "怡宝"}, headers=HX)

    assert "使用中" in page
    assert deleted.status_code == 409 and "正被 1 个商品使用" in deleted.get_data(as_text=True)
    assert duplicate.status_code == 422 and "已有品牌「怡宝」" in duplicate.get_data(as_text=True)
    assert count(Brand) == 1


def test_a_brand_form_too_long_is_422(operator):
    response = operator.post(
        "/platform/catalog/brands", data={"name": "春光", "intro": "介" * 501}, headers=HX
    )
    assert response.status_code == 422 and count(Brand) == 0


# ---- tags, specs, units, params ------------------------------------------------------------


def test_tags_add_rename_delete_and_duplicates(operator):
    assert operator.post("/platform/catalog/tags", data={"name": "新品"}).status_code == 303
    tag = db.session.execute(select(Tag)).scalar_one()
    duplicate = operator.post("/platform/catalog/tags", data={"name": "新品"}, headers=HX)
    assert duplicate.status_code == 422 and "已有标签「新品」" in duplicate.get_data(as_text=True)

    operator.post(f"/platform/catalog/tags/{tag.id}/rename", data={"name": "新品上市"})
    db.session.refresh(tag)
    assert tag.name == "新品上市"
    assert operator.post(f"/platform/catalog/tags/{tag.id}/delete").status_code == 303
    assert count(Tag) == 0


def test_script_in_a_name_is_shown_as_text(operator):
    operator.post("/platform/catalog/tags", data={"name": "<script>x</script>"})
    html = operator.get("/platform/catalog/tags").get_data(as_text=True)
    assert "<script>x</script>" not in html
    assert "&lt;script&gt;x&lt;/script&gt;" in html


def test_a_spec_value_in_use_cannot_be_removed(operator, boss):
    actor = actor_of(boss)
    taste = add_spec("口味", actor)
    plain = add_spec_value(taste, "原味", actor)
    product = make_product(make_store())
    product.skus[0].spec_values = {"口味": "原味"}
    commit()

    page = operator.get("/platform/catalog/specs").get_data(as_text=True)
    refused = operator.post(f"/platform/catalog/spec-values/{plain.id}/delete", headers=HX)

    assert "原味 (1)" in page
    assert refused.status_code == 409
    assert "「口味：原味」正被 1 个商品规格（SKU）使用" in refused.get_data(as_text=True)
    assert count(SpecValue) == 1


def test_specs_and_values_are_added_from_the_page(operator):
    assert operator.post("/platform/catalog/specs", data={"name": "规格"}).status_code == 303
    spec = db.session.execute(select(SpecName)).scalar_one()
    assert "还没有规格值，请添加" in operator.get("/platform/catalog/specs").get_data(as_text=True)

    added = operator.post(f"/platform/catalog/specs/{spec.id}/values", data={"value": "1L"})
    duplicate = operator.post(
        f"/platform/catalog/specs/{spec.id}/values", data={"value": "1L"}, headers=HX
    )
    blank = operator.post(f"/platform/catalog/specs/{spec.id}/values", data={"value": " "})

    assert added.status_code == 303
    assert duplicate.status_code == 422 and "已有值「1L」" in duplicate.get_data(as_text=True)
    assert blank.status_code == 422 and "请填写规格值" in blank.get_data(as_text=True)
    assert [v.value for v in db.session.execute(select(SpecValue)).scalars()] == ["1L"]


def test_units_add_and_delete(operator):
    operator.post("/platform/catalog/units", data={"name": "箱"})
    unit = db.session.execute(select(Unit)).scalar_one()
    too_long = operator.post("/platform/catalog/units", data={"name": "一二三四五六七八九十十"})
    assert too_long.status_code == 422
    operator.post(f"/platform/catalog/units/{unit.id}/delete")
    assert count(Unit) == 0


def test_params_per_category(operator, tree):
    _, _, juice = tree
    operator.post(f"/platform/catalog/categories/{juice.id}/params", data={"name": "产地"})
    duplicate = operator.post(
        f"/platform/catalog/categories/{juice.id}/params", data={"name": "产地"}, headers=HX
    )
    html = operator.get("/platform/catalog/params").get_data(as_text=True)

    assert duplicate.status_code == 422 and "「果汁」已有参数「产地」" in duplicate.get_data(
        as_text=True
    )
    assert "产地" in html
    param = db.session.execute(select(CategoryParam)).scalar_one()
    operator.post(f"/platform/catalog/params/{param.id}/delete")
    assert count(CategoryParam) == 0


# ---- the audit switch ----------------------------------------------------------------------


def test_the_product_audit_is_switched_on_and_off(operator):
    assert "已关闭" in operator.get("/platform/catalog/settings").get_data(as_text=True)
    assert (
        operator.post("/platform/catalog/settings", data={"product_audit": "on"}).status_code == 303
    )
    assert db.session.get(CatalogSettings, 1, populate_existing=True).product_audit is True
    assert "已开启" in operator.get("/platform/catalog/settings").get_data(as_text=True)

    bad = operator.post("/platform/catalog/settings", data={"product_audit": "maybe"})
    assert bad.status_code == 422
    assert db.session.get(CatalogSettings, 1, populate_existing=True).product_audit is True


# ---- who may ------------------------------------------------------------------------------


def test_customer_service_reads_without_forms_and_cannot_change(service, tree, boss):
    food, _, _ = tree
    tag = add_tag("新品", actor_of(boss))
    commit()

    for page in PAGES:
        html = service.get(f"/platform/catalog/{page}").get_data(as_text=True)
        assert "只有平台运营可以修改商品库" in html, page
        assert 'action="/platform/catalog' not in html, page

    attempts = [
        ("/platform/catalog/categories", {"name": "日用百货"}),
        (f"/platform/catalog/categories/{food.id}", {"name": "食品", "sort": "1"}),
        (f"/platform/catalog/categories/{food.id}/delete", {}),
        (f"/platform/catalog/categories/{food.id}/params", {"name": "产地"}),
        ("/platform/catalog/tags", {"name": "热销"}),
        (f"/platform/catalog/tags/{tag.id}/delete", {}),
        ("/platform/catalog/brands", {"name": "椰树"}),
        ("/platform/catalog/specs", {"name": "口味"}),
        ("/platform/catalog/units", {"name": "件"}),
        ("/platform/catalog/settings", {"product_audit": "on"}),
        ("/platform/catalog/tags", {"name": ""}),  # refused before the form is read
    ]
    for url, data in attempts:
        assert service.post(url, data=data).status_code == 403, url
    assert count(Category) == 3 and count(Tag) == 1 and count(Brand) == 0 and count(Unit) == 0
    assert db.session.get(CatalogSettings, 1, populate_existing=True).product_audit is False


def test_store_staff_and_buyers_never_see_the_pages(app):
    store_user = make_user(Role.STORE_STAFF, store=make_store())
    buyer = make_user(Role.BUYER)
    commit()
    for user in (store_user, buyer):
        browser = client_of(app, user)
        for page in PAGES:
            assert browser.get(f"/platform/catalog/{page}").status_code == 403
        assert browser.post("/platform/catalog/tags", data={"name": "x"}).status_code == 403
    assert count(Tag) == 0
