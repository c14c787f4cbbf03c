"""Forms of the platform's products pages: the list filters, the review and the listing actions."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, Form, IntegerField, StringField
from wtforms.validators import DataRequired, Length, Optional

from app.catalog.audit import LIST_TABS, REASON_MAX, ProductFilter
from app.web.bounds import ID_RANGE
from app.web.filter_args import filter_args
from app.web.i18n import lazy_gettext as _l


def _strip(value: str | None) -> str:
    return (value or "").strip()


class ProductFilterForm(Form):
    """The list's tab, store, category and keyword, read from the query string (no CSRF)."""

    tab = StringField()
    store = IntegerField(_l("店铺"), validators=[Optional(), ID_RANGE])
    category = IntegerField(_l("分类"), validators=[Optional(), ID_RANGE])
    q = StringField(_l("关键词"), filters=[_strip], validators=[Length(max=50)])

    def to_filter(self) -> ProductFilter:
        """What was filled in correctly; a broken filter is ignored."""
        tab = self.tab.data if self.tab.data in LIST_TABS else LIST_TABS[0]
        return ProductFilter(
            tab=tab,
            store_id=self.store.data if self.store.data and not self.store.errors else None,
            category_id=(
                self.category.data if self.category.data and not self.category.errors else None
            ),
            q=self.q.data if self.q.data and not self.q.errors else "",
        )

    def args(self, **override) -> dict[str, str]:
        """The filters as query-string arguments, for tab and pager links."""
        given = filter_args(self)
        given.update(override)
        return {name: value for name, value in given.items() if value}


def _reason_field(label: str, required: str) -> StringField:
    return StringField(
        label,
        filters=[_strip],
        validators=[
            DataRequired(required),
            Length(max=REASON_MAX, message=_l("原因不能超过 %(max)s 字")),
        ],
    )


class ProductActionForm(FlaskForm):
    """审核通过, 上架, 置顶, 取消置顶: nothing to fill in but the CSRF token."""


class RejectProductForm(FlaskForm):
    reason = _reason_field(_l("拒绝原因（商家可见）"), _l("请填写拒绝原因"))


class UnlistProductForm(FlaskForm):
    reason = _reason_field(_l("下架原因（商家可见）"), _l("请填写下架原因"))


class DeleteProductForm(FlaskForm):
    reason = _reason_field(_l("删除原因（商家可见）"), _l("请填写删除原因"))
    checked = BooleanField(
        _l("确认删除：商品将从商城和店铺中消失，不能恢复"),
        validators=[DataRequired(_l("请勾选确认删除"))],
    )
