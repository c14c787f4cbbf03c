"""The platform's catalog library (商品库): categories with icons, parameters per category,
brands, tags, the spec library, units, and the product-audit switch. A tab strip links the pages.

Operators change everything; customer service reads the same pages without the forms (a POST
from them is refused with 403 before the form is read); other roles never enter the portal."""

from __future__ import annotations

from flask import abort, g, request, url_for
from flask_babel import gettext as _
from werkzeug.datastructures import FileStorage

from app.catalog.library import (
    add_brand,
    add_category,
    add_param,
    add_spec,
    add_spec_value,
    add_tag,
    add_unit,
    brand_logo_url,
    brand_product_counts,
    brands,
    category_icon_url,
    category_path,
    category_tree,
    delete_brand,
    delete_category,
    delete_spec,
    delete_tag,
    delete_unit,
    may_manage_library,
    operator_only,
    params_by_category,
    product_audit_on,
    remove_category_icon,
    remove_param,
    remove_spec_value,
    rename_spec,
    rename_tag,
    set_category_icon,
    set_product_audit,
    spec_library,
    spec_usage,
    tag_product_counts,
    tags,
    units,
    update_brand,
    update_category,
    walk,
)
from app.catalog.models import (
    MAX_CATEGORY_LEVEL,
    Brand,
    Category,
    CategoryParam,
    SpecName,
    SpecValue,
    Tag,
    Unit,
)
from app.extensions import db
from app.portals.platform.views import bp
from app.web.rendering import render_page_or_block, see_other

from .catalog_forms import (
    BrandForm,
    CategoryAddForm,
    CategoryEditForm,
    DeleteForm,
    IconForm,
    ParamForm,
    ProductAuditForm,
    SpecForm,
    SpecValueForm,
    TagForm,
    UnitForm,
)

__all__ = ["bp"]

BLOCK = "library"  # every library page's content block (HTMX answers and 422 forms)


def _page(template: str, status: int = 200, errors: dict | None = None, **context):
    """A library page; `errors` maps a form's place on the page ("add", "row-3") to its
    messages, `sent` what that form carried (so a refused entry is not lost)."""
    return render_page_or_block(
        f"platform/{template}",
        BLOCK,
        status=status,
        may_manage=may_manage_library(g.actor),
        errors=errors or {},
        sent=context.pop("sent", {}),
        **context,
    )


def _errors(form) -> list[str]:
    return [message for messages in form.errors.values() for message in messages]


def _get_or_404(model, object_id: int):
    return db.session.get(model, object_id) or abort(404)


def _upload(file) -> tuple[str, object] | None:
    if isinstance(file, FileStorage) and file.filename:
        return file.filename, file.stream
    return None


# ---- categories ----------------------------------------------------------------------------


def _categories_page(status: int = 200, errors: dict | None = None, sent: dict | None = None):
    return _page(
        "catalog_categories.html",
        status,
        errors,
        sent=sent or {},
        rows=list(walk(category_tree(with_counts=True))),
        icon_url=category_icon_url,
        max_level=MAX_CATEGORY_LEVEL,
    )


def _categories_done(message: str):
    return see_other(url_for(".catalog_categories"), message)


@bp.route("/catalog/categories", methods=["GET", "POST"], endpoint="catalog_categories")
def categories_page():
    """The tree, and (POST) a new category: first-level, or under `parent_id`."""
    if request.method == "GET":
        return _categories_page()
    operator_only(g.actor)
    form = CategoryAddForm()
    place = f"add-{form.parent_id.data}" if form.parent_id.data else "add"
    if not form.validate_on_submit():
        return _categories_page(422, {place: _errors(form)}, {place: form.name.data})
    category = add_category(form.name.data, form.parent_id.data, g.actor)
    return _categories_done(_("已添加类目「%(name)s」", name=category.name))


@bp.post("/catalog/categories/<int:category_id>", endpoint="catalog_category_update")
def update_category_view(category_id: int):
    category = _get_or_404(Category, category_id)
    operator_only(g.actor)
    form = CategoryEditForm()
    if not form.validate_on_submit():
        return _categories_page(422, {f"row-{category.id}": _errors(form)})
    update_category(category, form.name.data, form.sort.data, g.actor)
    return _categories_done(_("类目「%(name)s」已保存", name=category.name))


@bp.post("/catalog/categories/<int:category_id>/icon", endpoint="catalog_category_icon")
def category_icon_upload(category_id: int):
    category = _get_or_404(Category, category_id)
    operator_only(g.actor)
    form = IconForm()
    upload = _upload(form.icon.data)
    if not form.validate_on_submit() or upload is None:
        return _categories_page(
            422, {f"icon-{category.id}": _errors(form) or [_("请选择图标图片")]}
        )
    set_category_icon(category, upload, g.actor)
    return _categories_done(_("类目「%(name)s」的图标已更新", name=category.name))


@bp.post(
    "/catalog/categories/<int:category_id>/icon/remove", endpoint="catalog_category_icon_remove"
)
def category_icon_remove(category_id: int):
    category = _get_or_404(Category, category_id)
    operator_only(g.actor)
    if not DeleteForm().validate_on_submit():
        return _categories_page(422)
    remove_category_icon(category, g.actor)
    return _categories_done(_("类目「%(name)s」的图标已删除", name=category.name))


@bp.post("/catalog/categories/<int:category_id>/delete", endpoint="catalog_category_delete")
def category_delete(category_id: int):
    category = _get_or_404(Category, category_id)
    operator_only(g.actor)
    if not DeleteForm().validate_on_submit():
        return _categories_page(422)
    name = category.name
    delete_category(category, g.actor)
    return _categories_done(_("已删除类目「%(name)s」", name=name))


# ---- parameters per category ---------------------------------------------------------------


def _params_page(status: int = 200, errors: dict | None = None, sent: dict | None = None):
    return _page(
        "catalog_params.html",
        status,
        errors,
        sent=sent or {},
        rows=list(walk(category_tree())),
        params=params_by_category(),
    )


@bp.get("/catalog/params", endpoint="catalog_params")
def params_page():
    return _params_page()


@bp.post("/catalog/categories/<int:category_id>/params", endpoint="catalog_param_add")
def param_add(category_id: int):
    category = _get_or_404(Category, category_id)
    operator_only(g.actor)
    form = ParamForm()
    place = f"param-{category.id}"
    if not form.validate_on_submit():
        return _params_page(422, {place: _errors(form)}, {place: form.name.data})
    param = add_param(category, form.name.data, g.actor)
    return see_other(
        url_for(".catalog_params"),
        _(
            "「%(category)s」已添加参数「%(name)s」",
            category=category_path(category),
            name=param.name,
        ),
    )


@bp.post("/catalog/params/<int:param_id>/delete", endpoint="catalog_param_delete")
def param_delete(param_id: int):
    param = _get_or_404(CategoryParam, param_id)
    operator_only(g.actor)
    if not DeleteForm().validate_on_submit():
        return _params_page(422)
    name = param.name
    remove_param(param, g.actor)
    return see_other(url_for(".catalog_params"), _("已删除参数「%(name)s」", name=name))


# ---- brands --------------------------------------------------------------------------------


def _brands_page(status: int = 200, errors: dict | None = None, add_form: BrandForm | None = None):
    return _page(
        "catalog_brands.html",
        status,
        errors,
        brands=brands(),
        counts=brand_product_counts(),
        logo_url=brand_logo_url,
        add_form=add_form or BrandForm(formdata=None),
    )


@bp.route("/catalog/brands", methods=["GET", "POST"], endpoint="catalog_brands")
def brands_page():
    """The brands, and (POST) a new one with its intro and logo."""
    if request.method == "GET":
        return _brands_page()
    operator_only(g.actor)
    form = BrandForm()
    if not form.validate_on_submit():
        return _brands_page(422, {"add": _errors(form)}, form)
    brand = add_brand(form.name.data, form.intro.data, _upload(form.logo.data), g.actor)
    return see_other(url_for(".catalog_brands"), _("已添加品牌「%(name)s」", name=brand.name))


def _brand_page(brand: Brand, form: BrandForm, status: int = 200):
    return _page(
        "catalog_brands.html",
        status,
        {"edit": _errors(form)} if status != 200 else {},
        editing=brand,
        edit_form=form,
        count=brand_product_counts().get(brand.id, 0),
        logo_url=brand_logo_url,
    )


@bp.route("/catalog/brands/<int:brand_id>", methods=["GET", "POST"], endpoint="catalog_brand")
def brand_page(brand_id: int):
    """One brand's edit form (customer service reads it)."""
    brand = _get_or_404(Brand, brand_id)
    if request.method == "GET":
        return _brand_page(brand, BrandForm(formdata=None, obj=brand))
    operator_only(g.actor)
    form = BrandForm()
    if not form.validate_on_submit():
        return _brand_page(brand, form, 422)
    update_brand(
        brand,
        form.name.data,
        form.intro.data,
        _upload(form.logo.data),
        g.actor,
        remove_logo=form.remove_logo.data,
    )
    return see_other(url_for(".catalog_brands"), _("品牌「%(name)s」已保存", name=brand.name))


@bp.post("/catalog/brands/<int:brand_id>/delete", endpoint="catalog_brand_delete")
def brand_delete(brand_id: int):
    brand = _get_or_404(Brand, brand_id)
    operator_only(g.actor)
    if not DeleteForm().validate_on_submit():
        return _brands_page(422)
    name = brand.name
    delete_brand(brand, g.actor)
    return see_other(url_for(".catalog_brands"), _("已删除品牌「%(name)s」", name=name))


# ---- tags ----------------------------------------------------------------------------------


def _tags_page(status: int = 200, errors: dict | None = None, sent: dict | None = None):
    return _page(
        "catalog_tags.html",
        status,
        errors,
        sent=sent or {},
        tags=tags(),
        counts=tag_product_counts(),
    )


@bp.route("/catalog/tags", methods=["GET", "POST"], endpoint="catalog_tags")
def tags_page():
    if request.method == "GET":
        return _tags_page()
    operator_only(g.actor)
    form = TagForm()
    if not form.validate_on_submit():
        return _tags_page(422, {"add": _errors(form)}, {"add": form.name.data})
    tag = add_tag(form.name.data, g.actor)
    return see_other(url_for(".catalog_tags"), _("已添加标签「%(name)s」", name=tag.name))


@bp.post("/catalog/tags/<int:tag_id>/rename", endpoint="catalog_tag_rename")
def tag_rename(tag_id: int):
    tag = _get_or_404(Tag, tag_id)
    operator_only(g.actor)
    form = TagForm()
    if not form.validate_on_submit():
        return _tags_page(422, {f"row-{tag.id}": _errors(form)})
    rename_tag(tag, form.name.data, g.actor)
    return see_other(url_for(".catalog_tags"), _("标签已改名为「%(name)s」", name=tag.name))


@bp.post("/catalog/tags/<int:tag_id>/delete", endpoint="catalog_tag_delete")
def tag_delete(tag_id: int):
    tag = _get_or_404(Tag, tag_id)
    operator_only(g.actor)
    if not DeleteForm().validate_on_submit():
        return _tags_page(422)
    name = tag.name
    delete_tag(tag, g.actor)
    return see_other(url_for(".catalog_tags"), _("已删除标签「%(name)s」", name=name))


# ---- the spec library ----------------------------------------------------------------------


def _specs_page(status: int = 200, errors: dict | None = None, sent: dict | None = None):
    return _page(
        "catalog_specs.html",
        status,
        errors,
        sent=sent or {},
        specs=spec_library(),
        usage=spec_usage(),
    )


def _specs_done(message: str):
    return see_other(url_for(".catalog_specs"), message)


@bp.route("/catalog/specs", methods=["GET", "POST"], endpoint="catalog_specs")
def specs_page():
    if request.method == "GET":
        return _specs_page()
    operator_only(g.actor)
    form = SpecForm()
    if not form.validate_on_submit():
        return _specs_page(422, {"add": _errors(form)}, {"add": form.name.data})
    spec = add_spec(form.name.data, g.actor)
    return _specs_done(_("已添加规格「%(name)s」，请为它添加规格值", name=spec.name))


@bp.post("/catalog/specs/<int:spec_id>/rename", endpoint="catalog_spec_rename")
def spec_rename(spec_id: int):
    spec = _get_or_404(SpecName, spec_id)
    operator_only(g.actor)
    form = SpecForm()
    if not form.validate_on_submit():
        return _specs_page(422, {f"row-{spec.id}": _errors(form)})
    rename_spec(spec, form.name.data, g.actor)
    return _specs_done(_("规格已改名为「%(name)s」", name=spec.name))


@bp.post("/catalog/specs/<int:spec_id>/delete", endpoint="catalog_spec_delete")
def spec_delete(spec_id: int):
    spec = _get_or_404(SpecName, spec_id)
    operator_only(g.actor)
    if not DeleteForm().validate_on_submit():
        return _specs_page(422)
    name = spec.name
    delete_spec(spec, g.actor)
    return _specs_done(_("已删除规格「%(name)s」", name=name))


@bp.post("/catalog/specs/<int:spec_id>/values", endpoint="catalog_spec_value_add")
def spec_value_add(spec_id: int):
    spec = _get_or_404(SpecName, spec_id)
    operator_only(g.actor)
    form = SpecValueForm()
    place = f"value-{spec.id}"
    if not form.validate_on_submit():
        return _specs_page(422, {place: _errors(form)}, {place: form.value.data})
    value = add_spec_value(spec, form.value.data, g.actor)
    return _specs_done(_("「%(spec)s」已添加「%(value)s」", spec=spec.name, value=value.value))


@bp.post("/catalog/spec-values/<int:value_id>/delete", endpoint="catalog_spec_value_delete")
def spec_value_delete(value_id: int):
    value = _get_or_404(SpecValue, value_id)
    operator_only(g.actor)
    if not DeleteForm().validate_on_submit():
        return _specs_page(422)
    text = value.value
    remove_spec_value(value, g.actor)
    return _specs_done(_("已删除规格值「%(value)s」", value=text))


# ---- units ---------------------------------------------------------------------------------


def _units_page(status: int = 200, errors: dict | None = None, sent: dict | None = None):
    return _page("catalog_units.html", status, errors, sent=sent or {}, units=units())


@bp.route("/catalog/units", methods=["GET", "POST"], endpoint="catalog_units")
def units_page():
    if request.method == "GET":
        return _units_page()
    operator_only(g.actor)
    form = UnitForm()
    if not form.validate_on_submit():
        return _units_page(422, {"add": _errors(form)}, {"add": form.name.data})
    unit = add_unit(form.name.data, g.actor)
    return see_other(url_for(".catalog_units"), _("已添加单位「%(name)s」", name=unit.name))


@bp.post("/catalog/units/<int:unit_id>/delete", endpoint="catalog_unit_delete")
def unit_delete(unit_id: int):
    unit = _get_or_404(Unit, unit_id)
    operator_only(g.actor)
    if not DeleteForm().validate_on_submit():
        return _units_page(422)
    name = unit.name
    delete_unit(unit, g.actor)
    return see_other(url_for(".catalog_units"), _("已删除单位「%(name)s」", name=name))


# ---- the product-audit switch --------------------------------------------------------------


def _settings_page(form: ProductAuditForm | None = None, status: int = 200):
    on = product_audit_on()
    if form is None:
        form = ProductAuditForm(formdata=None)
        form.product_audit.data = "on" if on else "off"
    return _page(
        "catalog_settings.html",
        status,
        {"audit": _errors(form)} if status != 200 else {},
        form=form,
        audit_on=on,
    )


@bp.route("/catalog/settings", methods=["GET", "POST"], endpoint="catalog_settings")
def settings_page():
    if request.method == "GET":
        return _settings_page()
    operator_only(g.actor)
    form = ProductAuditForm()
    if not form.validate_on_submit():
        return _settings_page(form, 422)
    on = form.product_audit.data == "on"
    set_product_audit(on, g.actor)
    message = _("商品审核已开启") if on else _("商品审核已关闭，商家发布的商品直接上架")
    return see_other(url_for(".catalog_settings"), message)
