"""The platform's after-sales forms: the list filters, stepping in with a decision."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    Form,
    IntegerField,
    RadioField,
    SearchField,
    SelectChoice,
    SelectField,
    StringField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from app.ordering.aftersales import DECISIONS, MAX_KEYWORD, MAX_REASON
from app.web.bounds import ID_RANGE
from app.web.filter_args import filter_args
from app.web.i18n import lazy_gettext as _l


def _strip(value: str | None) -> str:
    return (value or "").strip()


class PlatformAfterSaleFilterForm(Form):
    """The list filters, read from the query string (a GET form: no CSRF)."""

    status = SelectField(_l("状态"), choices=[], validate_choice=False)
    store = IntegerField(_l("店铺"), validators=[Optional(), ID_RANGE])
    appeal = SelectField(_l("待平台处理"), choices=[], validate_choice=False)
    q = SearchField(
        _l("售后编号 / 订单号 / 手机号"), filters=[_strip], validators=[Length(max=MAX_KEYWORD)]
    )

    def args(self) -> dict[str, str]:
        return filter_args(self)

    @property
    def keyword(self) -> str:
        return self.q.data if self.q.data and not self.q.errors else ""

    @property
    def store_id(self) -> int | None:
        return self.store.data if self.store.data and not self.store.errors else None


class DecideForm(FlaskForm):
    """No decision is preselected; the person picks one, writes a remark and ticks that the
    decision is final (approving a refund sends money back)."""

    decision = RadioField(
        _l("处理结果"),
        choices=[SelectChoice(value, label) for value, label in DECISIONS.items()],
        validators=[InputRequired(_l("请选择同意或驳回"))],
        invalid_choice_message=_l("请选择同意或驳回"),
    )
    remark = StringField(
        _l("处理意见"),
        filters=[_strip],
        validators=[
            DataRequired(_l("请填写处理意见")),
            Length(max=MAX_REASON, message=_l("处理意见不能超过 200 字")),
        ],
    )
    confirm = BooleanField(
        _l("我确认该处理结果（同意后将退款或由买家寄回商品，不可撤回）"),
        validators=[DataRequired(_l("平台处理不可撤回，请勾选确认"))],
    )
