"""Forms of the store back office: order filters, shipping, the receipt printer."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    IntegerField,
    RadioField,
    SearchField,
    SelectChoice,
    SelectField,
    StringField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional, Regexp

from app.ordering.export import OrderQuery
from app.ordering.payment import DELIVERY_OPTIONS, PAYMENT_METHODS
from app.ordering.states import ORDER_MACHINE
from app.stores.services import PRINTER_ENCODINGS
from app.web.filter_args import filter_args
from app.web.i18n import lazy_gettext as _l

STATUS_CHOICES = [
    SelectChoice("", _l("全部状态")),
    *(SelectChoice(status, _l(label)) for status, label in ORDER_MACHINE.labels.items()),
]
PAYMENT_CHOICES = [
    SelectChoice("", _l("全部支付方式")),
    *(SelectChoice(method, _l(label)) for method, label in PAYMENT_METHODS.items()),
]
DELIVERY_CHOICES = [
    SelectChoice("", _l("全部配送方式")),
    *(SelectChoice(option, _l(label)) for option, label in DELIVERY_OPTIONS.items()),
]


class OrderFilterForm(FlaskForm):
    """Read from the query string: a filtered list is a URL the store can bookmark or share."""

    class Meta:
        csrf = False

    status = SelectField(_l("状态"), choices=STATUS_CHOICES, default="", validate_choice=False)
    q = SearchField(_l("订单号 / 手机号 / 姓名"), validators=[Optional(), Length(max=32)])
    date_from = DateField(_l("下单日期从"), validators=[Optional()])
    date_to = DateField(_l("至"), validators=[Optional()])
    payment_method = SelectField(
        _l("支付方式"), choices=PAYMENT_CHOICES, default="", validate_choice=False
    )
    delivery_option = SelectField(
        _l("配送方式"), choices=DELIVERY_CHOICES, default="", validate_choice=False
    )

    def to_filter(self) -> OrderQuery:
        """Only the values that parsed; a broken date is ignored rather than failing the list."""
        return OrderQuery(
            status=self.status.data if self.status.data in ORDER_MACHINE.labels else None,
            q=(self.q.data or "").strip() if not self.q.errors else "",
            date_from=None if self.date_from.errors else self.date_from.data,
            date_to=None if self.date_to.errors else self.date_to.data,
            payment_method=self.payment_method.data
            if self.payment_method.data in PAYMENT_METHODS
            else None,
            delivery_option=self.delivery_option.data
            if self.delivery_option.data in DELIVERY_OPTIONS
            else None,
        )

    def query_args(self) -> dict[str, str]:
        """The filters as query-string arguments, so the pager keeps them."""
        return filter_args(self)


class ShipForm(FlaskForm):
    # Choices are the couriers the delivery domain offers for the order (set by the view).
    method = RadioField(
        _l("发货方式"),
        invalid_choice_message=_l("请选择发货方式"),
        validators=[InputRequired(_l("请选择发货方式"))],
    )


class RejectForm(FlaskForm):
    reason = StringField(
        _l("拒单原因"),
        filters=[lambda value: (value or "").strip()],
        validators=[
            InputRequired(_l("请填写拒单原因")),
            Length(min=1, max=200, message=_l("请填写拒单原因（200 字以内）")),
        ],
    )


class PrinterForm(FlaskForm):
    """Field names follow the Store columns so the form loads straight from the store."""

    printer_host = StringField(
        _l("打印机地址"),
        validators=[
            Optional(),
            Length(max=100),
            Regexp(r"^[A-Za-z0-9.\-:]+$", message=_l("请填写打印机的 IP 地址或主机名")),
        ],
    )
    printer_port = IntegerField(
        _l("端口"),
        default=9100,
        validators=[
            InputRequired(_l("请填写端口")),
            NumberRange(min=1, max=65535, message=_l("端口须在 1-65535 之间")),
        ],
    )
    printer_encoding = SelectField(
        _l("编码"),
        choices=[SelectChoice(name, name.upper()) for name in PRINTER_ENCODINGS],
        default="gb18030",
        invalid_choice_message=_l("请选择打印机编码"),
    )
