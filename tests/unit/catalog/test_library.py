"""The platform's catalog library: three-level categories, tags, brands, parameters per category,
the spec library and units; who may change them; what cannot be removed while in use."""

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
    add_param,
    add_spec,
    add_spec_value,
    add_tag,
    add_unit,
    brand_logo_url,
    brand_products,
    category_icon_url,
    category_path,
    category_tree,
    delete_brand,
    delete_category,
    delete_spec,
    delete_tag,
    delete_unit,
    install_demo_library,
    leaf_categories,
    params_for,
    product_audit_on,
    remove_spec_value,
    rename_spec,
    rename_tag,
    set_category_icon,
    set_product_audit,
    spec_library,
    update_brand,
    update_category,
    walk,
)
from app.catalog.models import (
    AuditStatus,
    Brand,
    Category,
    CategoryParam,
    SpecName,
    SpecValue,
    Tag,
    Unit,
    product_tags,
)
from app.clock import utcnow
from app.errors import DomainError, Forbidden, InvalidInput
from app.extensions import db
from app.jobs import commit
from tests.factories import actor_of, make_product, make_store, make_user


@pytest.fixture
def operator(app):
    return actor_of(make_user(Role.OPERATOR, name="张运营"))


@pytest.fixture
def service(app):
    return actor_of(make_user(Role.SERVICE, name="李客服"))


def jpeg() -> io.BytesIO:
    out = io.BytesIO()
    Image.new("RGB", (64, 64), (10, 120, 200)).save(out, "JPEG")
    out.seek(0)
    return out


def tree_of(operator):
    food = add_category("食品饮料", None, operator)
    drinks = add_category("饮料", food.id, operator)
    juice = add_category("果汁", drinks.id, operator)
    return food, drinks, juice


def stored_files(app) -> list[Path]:
    return [p for p in Path(app.config["UPLOAD_DIR"]).rglob("*") if p.is_file()]


# ---- categories ----------------------------------------------------------------------------


def test_categories_nest_three_levels_and_a_fourth_is_refused(operator):
    food, drinks, juice = tree_of(operator)

    assert (food.level, drinks.level, juice.level) == (1, 2, 3)
    with pytest.raises(InvalidInput) as refused:
        add_category("鲜榨果汁", juice.id, operator)
    assert "最多三级" in refused.value.message and "果汁" in refused.value.message
    assert db.session.scalar(select(func.count(Category.id))) == 3


def test_an_unknown_parent_is_refused(operator):
    with pytest.raises(InvalidInput, match="上级类目不存在"):
        add_category("饮料", 999_999, operator)


def test_names_are_unique_among_siblings_only(operator):
    food, drinks, _ = tree_of(operator)
    snacks = add_category("休闲零食", food.id, operator)

    with pytest.raises(InvalidInput, match="已有一级类目「食品饮料」"):
        add_category(" 食品饮料 ", None, operator)
    with pytest.raises(InvalidInput, match="「饮料」下已有类目「果汁」"):
        add_category("果汁", drinks.id, operator)
    assert add_category("果汁", snacks.id, operator).level == 3  # another parent: fine


def test_blank_and_too_long_names_are_refused(operator):
    with pytest.raises(InvalidInput, match="请填写类目名称"):
        add_category("   ", None, operator)
    with pytest.raises(InvalidInput, match="不能超过 30 个字"):
        add_category("长" * 31, None, operator)


def test_the_tree_is_ordered_by_sort_and_counts_products_upwards(operator):
    food, drinks, juice = tree_of(operator)
    water = add_category("矿泉水", drinks.id, operator)
    update_category(water, "矿泉水", 0, operator)  # before 果汁 (sort 1)
    store = make_store()
    for _ in range(2):
        make_product(store).category_id = juice.id
    gone = make_product(store)
    gone.category_id, gone.deleted_at = juice.id, utcnow()
    db.session.flush()

    tree = category_tree(with_counts=True)
    names = [node.category.name for node in walk(tree)]

    assert names == ["食品饮料", "饮料", "矿泉水", "果汁"]
    assert tree[0].product_count == 2  # the deleted product does not count
    assert [leaf.path for leaf in leaf_categories()] == [
        "食品饮料 / 饮料 / 矿泉水",
        "食品饮料 / 饮料 / 果汁",
    ]
    assert category_path(juice) == "食品饮料 / 饮料 / 果汁"


def test_sort_must_be_a_small_whole_number(operator):
    food, _, _ = tree_of(operator)
    with pytest.raises(InvalidInput, match="排序"):
        update_category(food, "食品饮料", -1, operator)
    with pytest.raises(InvalidInput, match="排序"):
        update_category(food, "食品饮料", 10_000, operator)


def test_delete_is_refused_with_children_or_products_and_says_why(operator):
    food, drinks, juice = tree_of(operator)
    product = make_product(make_store())
    product.category_id = juice.id
    db.session.flush()

    with pytest.raises(DomainError, match="「饮料」下还有 1 个下级类目"):
        delete_category(drinks, operator)
    with pytest.raises(DomainError, match="「果汁」下还有 1 个商品"):
        delete_category(juice, operator)

    product.deleted_at = utcnow()  # the platform deleted it: no longer in the way
    add_param(juice, "产地", operator)
    delete_category(juice, operator)
    assert db.session.get(Category, juice.id) is None
    assert product.category_id is None
    assert db.session.scalar(select(func.count(CategoryParam.id))) == 0


def test_an_icon_is_stored_with_a_public_url(app, operator):
    food, _, _ = tree_of(operator)
    assert category_icon_url(food) is None  # no picture: no URL (and no request needed)

    set_category_icon(food, ("icon.jpg", jpeg()), operator)
    commit()

    assert food.icon_key.startswith(f"categories/{food.id}/")
    with app.test_request_context():
        assert category_icon_url(food).startswith(f"/media/categories/{food.id}/icon?")
        assert "size=thumb" in category_icon_url(food, thumb=True)


def test_a_file_that_is_no_picture_is_refused_and_nothing_is_stored(app, operator):
    food, _, _ = tree_of(operator)
    commit()

    with pytest.raises(InvalidInput, match="不是有效的图片"):
        set_category_icon(food, ("icon.jpg", io.BytesIO(b"<script>alert(1)</script>")), operator)

    assert food.icon_key is None and stored_files(app) == []


# ---- parameters ----------------------------------------------------------------------------


def test_parameters_are_unique_per_category_and_inherited_downwards(operator):
    _, drinks, juice = tree_of(operator)
    add_param(drinks, "产地", operator)
    add_param(juice, "保质期", operator)
    add_param(juice, "产地", operator)  # the same name on another category is fine

    with pytest.raises(InvalidInput, match="「果汁」已有参数「保质期」"):
        add_param(juice, "保质期", operator)
    assert params_for(juice) == ["产地", "保质期"]
    assert params_for(drinks) == ["产地"]


# ---- tags ----------------------------------------------------------------------------------


def test_tags_are_unique_and_deleting_one_takes_it_off_products(operator):
    new = add_tag("新品", operator)
    hot = add_tag("热销", operator)
    product = make_product(make_store())
    product.tags = [new, hot]
    db.session.flush()

    with pytest.raises(InvalidInput, match="已有标签「新品」"):
        add_tag("新品", operator)
    with pytest.raises(InvalidInput, match="已有标签「热销」"):
        rename_tag(new, "热销", operator)
    rename_tag(new, "新品上市", operator)
    delete_tag(hot, operator)
    db.session.expire(product, ["tags"])

    assert [tag.name for tag in product.tags] == ["新品上市"]
    assert db.session.scalar(select(func.count()).select_from(product_tags)) == 1


# ---- brands --------------------------------------------------------------------------------


def test_a_brand_with_logo_and_intro(app, operator):
    brand = add_brand("椰树", "海南老字号，椰汁。", ("logo.jpg", jpeg()), operator)
    commit()

    assert brand.intro == "海南老字号，椰汁。"
    with app.test_request_context():
        assert brand_logo_url(brand).startswith(f"/media/brands/{brand.id}/logo?")
    update_brand(brand, "椰树牌", "", None, operator, remove_logo=True)
    assert (brand.name, brand.intro, brand_logo_url(brand)) == ("椰树牌", "", None)


def test_brand_names_unique_and_intro_bounded(operator):
    add_brand("怡宝", "", None, operator)
    with pytest.raises(InvalidInput, match="已有品牌「怡宝」"):
        add_brand("怡宝", "", None, operator)
    with pytest.raises(InvalidInput, match="品牌介绍不能超过 500 个字"):
        add_brand("春光", "介" * 501, None, operator)
    assert db.session.scalar(select(func.count(Brand.id))) == 1


def test_a_bad_logo_adds_no_brand(app, operator):
    with pytest.raises(InvalidInput, match="不是有效的图片"):
        add_brand("春光", "", ("logo.png", io.BytesIO(b"not a picture")), operator)
    assert db.session.scalar(select(func.count(Brand.id))) == 0 and stored_files(app) == []


def test_a_brand_in_use_cannot_be_deleted(operator):
    brand = add_brand("农夫山泉", "", None, operator)
    product = make_product(make_store())
    product.brand_id = brand.id
    db.session.flush()

    with pytest.raises(DomainError, match="正被 1 个商品使用"):
        delete_brand(brand, operator)
    product.deleted_at = utcnow()
    delete_brand(brand, operator)
    assert db.session.get(Brand, brand.id) is None and product.brand_id is None


def test_the_brand_page_lists_only_listed_approved_live_products(operator):
    brand = add_brand("椰树", "", None, operator)
    store, gone_store = make_store(), make_store(deleted_at=utcnow())
    on_sale = make_product(store, name="椰汁")
    unlisted = make_product(store, name="下架的")
    unlisted.listed = False
    pending = make_product(store, name="待审核的")
    pending.audit_status = AuditStatus.PENDING
    elsewhere = make_product(gone_store, name="店铺已删除")
    for product in (on_sale, unlisted, pending, elsewhere):
        product.brand_id = brand.id
    make_product(store, name="别的品牌")
    db.session.flush()

    names = [p.name for p in db.session.execute(brand_products(brand)).scalars()]
    assert names == ["椰汁"]


# ---- specs ---------------------------------------------------------------------------------


def _sku_with(spec_values: dict):
    product = make_product(make_store())
    product.skus[0].spec_values = spec_values
    db.session.flush()
    return product


def test_a_spec_value_used_by_a_sku_cannot_be_removed(operator):
    taste = add_spec("口味", operator)
    plain = add_spec_value(taste, "原味", operator)
    sugar_free = add_spec_value(taste, "无糖", operator)
    _sku_with({"口味": "原味", "规格": "1L"})

    with pytest.raises(DomainError, match="「口味：原味」正被 1 个商品规格"):
        remove_spec_value(plain, operator)
    remove_spec_value(sugar_free, operator)

    assert [v.value for v in spec_library()[0].values] == ["原味"]


def test_spec_values_are_unique_per_spec(operator):
    taste, size = add_spec("口味", operator), add_spec("规格", operator)
    add_spec_value(taste, "原味", operator)
    add_spec_value(size, "原味", operator)  # another spec: fine
    with pytest.raises(InvalidInput, match="规格「口味」已有值「原味」"):
        add_spec_value(taste, "原味", operator)
    with pytest.raises(InvalidInput, match="已有规格「口味」"):
        add_spec("口味", operator)


def test_a_spec_in_use_keeps_its_name_and_stays(operator):
    colour = add_spec("颜色", operator)
    add_spec_value(colour, "白色", operator)
    _sku_with({"颜色": "白色"})

    with pytest.raises(DomainError, match="不能改名"):
        rename_spec(colour, "颜色分类", operator)
    with pytest.raises(DomainError, match="不能删除"):
        delete_spec(colour, operator)

    unused = add_spec("尺码", operator)
    add_spec_value(unused, "M", operator)
    rename_spec(unused, "尺寸", operator)
    delete_spec(unused, operator)
    assert db.session.scalar(select(func.count(SpecValue.id))) == 1


def test_skus_of_deleted_products_do_not_hold_a_value(operator):
    taste = add_spec("口味", operator)
    plain = add_spec_value(taste, "原味", operator)
    product = _sku_with({"口味": "原味"})
    product.deleted_at = utcnow()
    remove_spec_value(plain, operator)
    assert db.session.scalar(select(func.count(SpecValue.id))) == 0


# ---- units and the audit switch ------------------------------------------------------------


def test_units_are_unique_and_can_go(operator):
    unit = add_unit("箱", operator)
    with pytest.raises(InvalidInput, match="已有单位「箱」"):
        add_unit("箱", operator)
    with pytest.raises(InvalidInput, match="不能超过 10 个字"):
        add_unit("一" * 11, operator)
    delete_unit(unit, operator)
    assert db.session.scalar(select(func.count(Unit.id))) == 0


def test_product_audit_switch(operator):
    assert product_audit_on() is False
    set_product_audit(True, operator)
    assert product_audit_on() is True
    set_product_audit(False, operator)
    assert product_audit_on() is False


# ---- who may change it ---------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.SERVICE, Role.STORE_STAFF, Role.BUYER])
def test_only_operators_change_the_library(app, operator, role):
    food, _, _ = tree_of(operator)
    tag = add_tag("新品", operator)
    someone = actor_of(make_user(role, store=make_store() if role == Role.STORE_STAFF else None))

    attempts = [
        lambda: add_category("日用百货", None, someone),
        lambda: update_category(food, "食品", 1, someone),
        lambda: delete_category(food, someone),
        lambda: add_tag("热销", someone),
        lambda: delete_tag(tag, someone),
        lambda: add_brand("椰树", "", None, someone),
        lambda: add_spec("口味", someone),
        lambda: add_unit("件", someone),
        lambda: add_param(food, "产地", someone),
        lambda: set_product_audit(True, someone),
        lambda: set_category_icon(food, ("a.jpg", jpeg()), someone),
    ]
    for attempt in attempts:
        with pytest.raises(Forbidden):
            attempt()
    assert db.session.scalar(select(func.count(Tag.id))) == 1


# ---- demo data -----------------------------------------------------------------------------


def test_the_demo_library_is_installed_once(app):
    install_demo_library()
    install_demo_library()

    paths = [leaf.path for leaf in leaf_categories()]
    assert "食品饮料 / 饮料 / 果汁" in paths and "日用百货 / 餐具 / 一次性餐盒" in paths
    assert len(paths) == 8
    juice = next(leaf.category for leaf in leaf_categories() if leaf.category.name == "果汁")
    assert params_for(juice) == ["产地", "保质期", "净含量"]
    specs = {spec.name: [v.value for v in spec.values] for spec in spec_library()}
    assert specs == {
        "口味": ["原味", "无糖"],
        "规格": ["250ml", "1L", "550ml"],
        "颜色": ["白色", "黑色"],
    }
    assert db.session.scalar(select(func.count(Brand.id))) == 4
    assert db.session.scalar(select(func.count(Tag.id))) == 3
    assert db.session.scalar(select(func.count(Unit.id))) == 7
    assert db.session.scalar(select(func.count(SpecName.id))) == 3
