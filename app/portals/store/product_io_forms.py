"""Forms of the store's stock pages and product import. Shapes are checked here for the person;
the rules (stock never below 0, a reason, what a workbook must hold) are app/catalog's."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    RadioField,
    SearchField,
    SelectChoice,
    StringField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from app.catalog.stock import LOW_STOCK_THRESHOLD, MAX_REASON, MAX_STOCK
from app.web.filter_args import filter_args
from app.web.i18n import lazy_gettext as _l

SET, ADD, SUBTRACT = "set", "add", "subtract"


def _strip(value: str | None) -> str:
    return (value or "").strip()


class StockFilterForm(FlaskForm):
    """Read from the query string (a GET form: no CSRF)."""

    class Meta:
        csrf = False

    q = SearchField(
        _l("商品标题 / 货号 / 规格 / SKU编码"), filters=[_strip], validators=[Length(max=50)]
    )
    low = BooleanField(_l("只看低库存"))
    threshold = IntegerField(
        _l("低库存：不高于"),
        default=LOW_STOCK_THRESHOLD,
        validators=[Optional(), NumberRange(min=0, max=MAX_STOCK)],
    )

    def keyword(self) -> str:
        return self.q.data if self.q.data and not self.q.errors else ""

    def limit(self) -> int:
        """The low-stock threshold, the default when it is missing or broken."""
        if self.threshold.data is None or self.threshold.errors:
            return LOW_STOCK_THRESHOLD
        return self.threshold.data

    def args(self) -> dict[str, str]:
        """The filters as query-string arguments, for the pager."""
        return filter_args(self)


class StockAdjustForm(FlaskForm):
    mode = RadioField(
        _l("调整方式"),
        choices=[
            SelectChoice(SET, _l("设为")),
            SelectChoice(ADD, _l("增加")),
            SelectChoice(SUBTRACT, _l("减少")),
        ],
        default=SET,
    )
    amount = IntegerField(
        _l("数量"),
        validators=[
            InputRequired(_l("请填写数量")),
            NumberRange(min=0, max=MAX_STOCK, message=_l("数量须在 %(min)s 到 %(max)s 之间")),
        ],
    )
    reason = StringField(
        _l("原因"),
        filters=[_strip],
        validators=[
            InputRequired(_l("请填写调整库存的原因")),
            Length(max=MAX_REASON, message=_l("原因不能超过 200 字")),
        ],
    )
    # the stock the person saw: the change applies only if it is still that (compare-and-set)
    before = HiddenField()

    def seen_stock(self) -> int | None:
        try:
            seen = int(self.before.data)
        except (TypeError, ValueError):
            return None
        return seen if 0 <= seen <= MAX_STOCK else None


class ImportForm(FlaskForm):
    file = FileField(_l("Excel 文件（.xlsx）"))
    only_valid = BooleanField(_l("只导入无误的行"))
