"""The store's after-sales forms: the list filters, approve (money leaves: ticked as well as
pressed), reject with a reason, confirm a return came back."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, Form, SearchField, SelectField, StringField
from wtforms.validators import DataRequired, Length

from app.ordering.aftersale_states import AfterSaleKind
from app.ordering.aftersales import MAX_KEYWORD, MAX_REASON
from app.web.filter_args import filter_args
from app.web.i18n import lazy_gettext as _l


def _strip(value: str | None) -> str:
    return (value or "").strip()


class AfterSaleFilterForm(Form):
    """The list filters, read from the query string (a GET form: no CSRF)."""

    status = SelectField(_l("状态"), choices=[], validate_choice=False)
    q = SearchField(
        _l("售后编号 / 订单号 / 手机号"), filters=[_strip], validators=[Length(max=MAX_KEYWORD)]
    )

    def args(self) -> dict[str, str]:
        return filter_args(self)

    @property
    def keyword(self) -> str:
        return self.q.data if self.q.data and not self.q.errors else ""


class ApproveForm(FlaskForm):
    """A refund only sends money back at once: the person ticks that they know it."""

    confirm = BooleanField(_l("我确认同意，退款将原路退回给买家"))

    def check_for(self, kind: str) -> bool:
        if kind == AfterSaleKind.REFUND and not self.confirm.data:
            self.confirm.errors = [_l("同意后将立即退款，请勾选确认")]
            return False
        return True


class RejectForm(FlaskForm):
    reason = StringField(
        _l("拒绝原因"),
        filters=[_strip],
        validators=[
            DataRequired(_l("请填写拒绝原因")),
            Length(max=MAX_REASON, message=_l("拒绝原因不能超过 200 字")),
        ],
    )


class ReceivedForm(FlaskForm):
    confirm = BooleanField(
        _l("我确认已收到退货，商品退回库存并退款给买家"),
        validators=[DataRequired(_l("确认收货后将退款，请勾选确认"))],
    )
