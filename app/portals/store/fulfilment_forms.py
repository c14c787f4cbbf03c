"""Forms of the store's order tools: ship by carrier, close, batch ship, pickup verification."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, Regexp, ValidationError

from app.ordering.fulfilment import CARRIERS


def _strip(value: str | None) -> str:
    return (value or "").strip()


class ExpressShipForm(FlaskForm):
    """快递 / 物流发货: no carrier is preselected, so a slip of the mouse ships nothing."""

    carrier = SelectField(
        _l("物流公司"),
        choices=[
            SelectChoice("", _l("请选择物流公司")),
            *(SelectChoice(c, _l(c)) for c in CARRIERS),
        ],
        default="",
        validators=[InputRequired(_l("请选择物流公司"))],
        validate_choice=False,
    )
    tracking_no = StringField(
        _l("运单号"),
        filters=[_strip],
        validators=[
            DataRequired(_l("请填写运单号")),
            Regexp(
                r"^[A-Za-z0-9-]{6,30}$",
                message=_l("请填写正确的运单号（6-30 位字母、数字或短横线）"),
            ),
        ],
    )

    def validate_carrier(self, field) -> None:
        if field.data not in CARRIERS:
            raise ValidationError(_l("请选择物流公司"))


class CloseForm(FlaskForm):
    """Closing is irreversible: a reason the buyer reads and an explicit confirmation."""

    reason = StringField(
        _l("关闭原因"),
        filters=[_strip],
        validators=[
            DataRequired(_l("请填写关闭原因")),
            Length(max=200, message=_l("关闭原因不能超过 200 字")),
        ],
    )
    confirm = BooleanField(
        _l("我确认关闭该订单（不可恢复，已付款的将原路退款）"),
        validators=[DataRequired(_l("请勾选确认关闭"))],
    )


class BatchShipForm(FlaskForm):
    file = FileField(_l("发货表格（.xlsx）"), validators=[FileRequired(_l("请选择 Excel 文件"))])


class PickupForm(FlaskForm):
    code = StringField(
        _l("提货码"),
        filters=[_strip],
        validators=[
            DataRequired(_l("请输入提货码")),
            Length(max=12, message=_l("提货码不正确，或不是本店的订单")),
        ],
    )
