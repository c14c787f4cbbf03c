from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    Form,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from app.i18n_markers import N_
from app.ordering.export import OrderQuery
from app.ordering.payment import DELIVERY_OPTIONS, PAYMENT_METHODS
from app.ordering.states import ORDER_MACHINE, OrderStatus
from app.stores.models import KIND_LABELS
from app.web.bounds import ID_RANGE
from app.web.filter_args import filter_args
from app.web.i18n import lazy_gettext as _l

# The moves customer service may make by hand (SPEC §7), as the buttons name them.
STAFF_MOVES = {
    OrderStatus.CLOSED: N_("关闭"),
    OrderStatus.SHIPPED: N_("发货中"),
    OrderStatus.COMPLETED: N_("完成"),
}


def _strip(value: str | None) -> str:
    return (value or "").strip()


class OrderFilterForm(Form):
    """The order list filters, read from the query string (a GET form: no CSRF)."""

    store = IntegerField(_l("店铺"), validators=[Optional(), ID_RANGE])
    kind = SelectField(_l("类型"), choices=dict(KIND_LABELS), validate_choice=False)
    status = SelectField(_l("状态"), choices=dict(ORDER_MACHINE.labels), validate_choice=False)
    q = StringField(_l("订单号/手机号/姓名"), filters=[_strip], validators=[Length(max=32)])
    date_from = DateField(_l("下单日期从"), validators=[Optional()])
    date_to = DateField(_l("至"), validators=[Optional()])
    payment_method = SelectField(
        _l("支付方式"), choices=dict(PAYMENT_METHODS), validate_choice=False
    )
    delivery_option = SelectField(
        _l("配送方式"), choices=dict(DELIVERY_OPTIONS), validate_choice=False
    )

    def _given(self, field) -> bool:
        return bool(field.data) and not field.errors

    def to_filter(self) -> OrderQuery:
        """Every filter that was filled in correctly; a broken one is ignored."""
        return OrderQuery(
            store_id=self.store.data if self._given(self.store) else None,
            kind=self.kind.data if self.kind.data in KIND_LABELS else None,
            status=self.status.data if self.status.data in ORDER_MACHINE.labels else None,
            q=self.q.data if self._given(self.q) else "",
            date_from=self.date_from.data if self._given(self.date_from) else None,
            date_to=self.date_to.data if self._given(self.date_to) else None,
            payment_method=self.payment_method.data
            if self.payment_method.data in PAYMENT_METHODS
            else None,
            delivery_option=self.delivery_option.data
            if self.delivery_option.data in DELIVERY_OPTIONS
            else None,
        )

    def args(self) -> dict[str, str]:
        """The filters as query-string arguments, for the pager links."""
        return filter_args(self)


class StaffStatusForm(FlaskForm):
    """No move is preselected: the person picks one, and closing (irreversible: stock back,
    money back) needs `confirm_close` ticked as well (checked here, not only in the browser)."""

    to = RadioField(
        _l("改为"),
        choices=[SelectChoice(to, label) for to, label in STAFF_MOVES.items()],
        validators=[InputRequired(_l("请选择要改为的状态"))],
        invalid_choice_message=_l("请选择要改为的状态"),
    )
    confirm_close = BooleanField(_l("我确认关闭该订单（不可恢复，已付款的将原路退款）"))
    remark = StringField(
        _l("备注"),
        filters=[_strip],
        validators=[
            DataRequired(_l("请填写备注")),
            Length(max=200, message=_l("备注不能超过 200 字")),
        ],
    )

    def validate_confirm_close(self, field) -> None:
        if self.to.data == OrderStatus.CLOSED and not field.data:
            raise ValidationError(_l("关闭订单不可恢复，请勾选确认"))


class AssignDriverForm(FlaskForm):
    driver_id = SelectField(_l("司机"), coerce=int, invalid_choice_message=_l("请选择本区域的司机"))


class RegenerateCodeForm(FlaskForm):
    """重新生成授权码 disconnects the 配送助手: ticked here, not only confirmed in the browser."""

    confirm = BooleanField(
        _l("我确认重新生成（配送助手将断开，须在配送助手后台输入新的授权码）"),
        validators=[DataRequired(_l("重新生成会断开配送助手，请勾选确认"))],
    )
