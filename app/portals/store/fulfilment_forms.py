"""Forms of the store's order tools: ship by carrier, close, batch ship, pickup verification, and
立即配送 (the courier; Dada's fee confirmed, its tip and its cancel)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, HiddenField, RadioField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, Regexp, ValidationError

from app.delivery.dada.services import MAX_TIP_FEN
from app.money import parse_yuan
from app.ordering.fulfilment import CARRIERS
from app.web.i18n import lazy_gettext as _l


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


# ---- 立即配送: the courier, Dada's fee confirmed, its tip and its cancel ------------------------


class DispatchForm(FlaskForm):
    """立即配送: the couriers offered for the order are set by the view; a name that is not
    offered (forged, or the 配送助手 disconnected meanwhile) is refused with the reason."""

    method = RadioField(
        _l("配送方式"),
        validators=[InputRequired(_l("请选择配送方式"))],
        validate_choice=False,
    )


class DadaConfirmForm(FlaskForm):
    """确认派单: carries the signed quote (Dada's deliveryNo and the fee the store saw)."""

    token = HiddenField(
        validators=[
            DataRequired(_l("运费报价已过期，请重新查询运费")),
            Length(max=400, message=_l("运费报价已过期，请重新查询运费")),
        ]
    )


class DadaTipForm(FlaskForm):
    tip = StringField(
        _l("小费（元）"),
        filters=[_strip],
        validators=[DataRequired(_l("请填写小费金额"))],
    )

    def validate_tip(self, field) -> None:
        try:
            fen = parse_yuan(field.data or "")
        except ValueError:
            raise ValidationError(_l("请填写金额（元），按角填写，如 2 或 1.5")) from None
        if not 10 <= fen <= MAX_TIP_FEN or fen % 10:
            raise ValidationError(_l("小费须在 ￥0.10 至 ￥100.00 之间，按角填写"))

    def tip_fen(self) -> int:
        return parse_yuan(self.tip.data)


class DadaCancelForm(FlaskForm):
    """取消达达配送 with one of Dada's reasons (its list is set by the view)."""

    reason_id = RadioField(
        _l("取消原因"),
        coerce=int,
        validators=[InputRequired(_l("请选择取消原因"))],
        invalid_choice_message=_l("请选择取消原因"),
    )
    reason_text = StringField(
        _l("其他原因"),
        filters=[_strip],
        validators=[Length(max=100, message=_l("取消原因不能超过 100 个字"))],
    )
