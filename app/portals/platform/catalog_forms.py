"""Forms of the platform's catalog library pages (categories, brands, tags, specs, units,
parameters, the product-audit switch). Lengths are the library's; the services check again."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, IntegerField, RadioField, SelectChoice, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from app.catalog.library import (
    BRAND_INTRO_MAX,
    BRAND_NAME_MAX,
    CATEGORY_NAME_MAX,
    PARAM_NAME_MAX,
    SORT_MAX,
    SPEC_NAME_MAX,
    SPEC_VALUE_MAX,
    TAG_NAME_MAX,
    UNIT_NAME_MAX,
)
from app.web.bounds import ID_RANGE
from app.web.i18n import lazy_gettext as _l

TOO_LONG = _l("不能超过 %(max)s 个字")


def _strip(value: str | None) -> str:
    return (value or "").strip()


def _name(label, required_message, max_len: int) -> StringField:
    return StringField(
        label,
        filters=[_strip],
        validators=[DataRequired(required_message), Length(max=max_len, message=TOO_LONG)],
    )


class CategoryAddForm(FlaskForm):
    name = _name(_l("类目名称"), _l("请填写类目名称"), CATEGORY_NAME_MAX)
    parent_id = IntegerField(validators=[Optional(), ID_RANGE])  # blank: a first-level one


class CategoryEditForm(FlaskForm):
    name = _name(_l("类目名称"), _l("请填写类目名称"), CATEGORY_NAME_MAX)
    sort = IntegerField(
        _l("排序"),
        validators=[
            InputRequired(_l("请填写排序")),
            NumberRange(min=0, max=SORT_MAX, message=_l("排序请填写 0 到 %(max)s 之间的整数")),
        ],
    )


class IconForm(FlaskForm):
    icon = FileField(_l("图标"))


class BrandForm(FlaskForm):
    name = _name(_l("品牌名称"), _l("请填写品牌名称"), BRAND_NAME_MAX)
    intro = TextAreaField(
        _l("品牌介绍"), filters=[_strip], validators=[Length(max=BRAND_INTRO_MAX, message=TOO_LONG)]
    )
    logo = FileField(_l("品牌 Logo"))
    remove_logo = BooleanField(_l("删除 Logo"))


class TagForm(FlaskForm):
    name = _name(_l("标签名称"), _l("请填写标签名称"), TAG_NAME_MAX)


class UnitForm(FlaskForm):
    name = _name(_l("单位名称"), _l("请填写单位名称"), UNIT_NAME_MAX)


class SpecForm(FlaskForm):
    name = _name(_l("规格名称"), _l("请填写规格名称"), SPEC_NAME_MAX)


class SpecValueForm(FlaskForm):
    value = _name(_l("规格值"), _l("请填写规格值"), SPEC_VALUE_MAX)


class ParamForm(FlaskForm):
    name = _name(_l("参数名称"), _l("请填写参数名称"), PARAM_NAME_MAX)


class DeleteForm(FlaskForm):
    """Only the CSRF token: the page asked for confirmation before sending it."""


class ProductAuditForm(FlaskForm):
    product_audit = RadioField(
        _l("商品审核"),
        choices=[
            SelectChoice("on", _l("开启：商家发布或修改的商品经平台审核通过后才上架")),
            SelectChoice("off", _l("关闭：商家发布的商品直接上架")),
        ],
        invalid_choice_message=_l("请选择是否开启商品审核"),
    )
