"""Forms of the 配送助手 back office: 接入, the board's filters, assigning and cancelling a task,
riders (add, reject, cap) and the settings. Amounts are yuan with at most two decimals; the
domain checks every value again."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField, Form, IntegerField, RadioField, SelectChoice, StringField
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from app.accounts.phones import MOBILE_FIELD
from app.delivery.dispatch import (
    BOARD_TABS,
    MAX_ALARM_MINUTES,
    MAX_COMMISSION_FEN,
    MAX_REASON,
    MIN_ALARM_MINUTES,
    MODE_LABELS,
    BoardFilter,
)
from app.delivery.rider_accounts import (
    DEFAULT_CAP,
    MAX_CAP,
    MAX_NOTE,
    RIDER_STATUS_LABELS,
    VEHICLE_LABELS,
    RiderFields,
)
from app.money import parse_yuan
from app.web.bounds import ID_RANGE, MAX_ID
from app.web.filter_args import filter_args
from app.web.i18n import lazy_gettext as _l

BAD_AMOUNT = _l("请填写金额（元），最多两位小数，如 5 或 1.50")
CAP_MESSAGE = _l("同时配送单数须在 1 到 %(max)s 之间", max=MAX_CAP)


def _strip(value: str | None) -> str:
    return (value or "").strip()


class WholeNumberField(IntegerField):
    """A whole number; anything else is None, so the field's own (Chinese) range message is
    the one the person reads, not WTForms' English "Not a valid integer value"."""

    def process_formdata(self, valuelist) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data = None


def _choices(labels: dict[str, str]) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in labels.items()]


class ConnectForm(FlaskForm):
    code = StringField(
        _l("授权码"),
        filters=[_strip],
        validators=[
            DataRequired(_l("请输入授权码")),
            Length(
                max=64,
                message=_l("授权码错误或已失效，请到平台后台「平台配送」页面查看最新的授权码"),
            ),
        ],
    )


class BoardFilterForm(Form):
    """The board's tab and filters, from the query string (a GET form: no CSRF)."""

    tab = StringField()
    store = WholeNumberField(_l("店铺"), validators=[Optional(), ID_RANGE])
    rider = WholeNumberField(_l("骑手"), validators=[Optional(), ID_RANGE])
    day = DateField(_l("日期"), validators=[Optional()])

    def _given(self, field) -> bool:
        return bool(field.data) and not field.errors

    def to_filter(self) -> BoardFilter:
        """What was filled in correctly; a broken filter is ignored."""
        return BoardFilter(
            tab=self.tab.data if self.tab.data in BOARD_TABS else "waiting",
            store_id=self.store.data if self._given(self.store) else None,
            rider_id=self.rider.data if self._given(self.rider) else None,
            day=self.day.data if self._given(self.day) else None,
        )

    def args(self, **override) -> dict[str, str]:
        """The filters as query-string arguments, for tab and pager links."""
        given = filter_args(self)
        given.update(override)
        return {name: value for name, value in given.items() if value}


class AssignForm(FlaskForm):
    rider_id = WholeNumberField(
        _l("骑手"),
        validators=[
            InputRequired(_l("请选择一名骑手")),
            NumberRange(min=1, max=MAX_ID, message=_l("请选择一名骑手")),
        ],
    )


class CancelForm(FlaskForm):
    reason = StringField(
        _l("取消原因"),
        filters=[_strip],
        validators=[
            DataRequired(_l("请填写取消原因")),
            Length(max=MAX_REASON, message=_l("取消原因不能超过 %(max)s 字", max=MAX_REASON)),
        ],
    )


class RiderFilterForm(Form):
    status = StringField()
    q = StringField(_l("姓名/手机号"), filters=[_strip], validators=[Length(max=20)])

    def shown_status(self) -> str:
        return self.status.data if self.status.data in RIDER_STATUS_LABELS else ""

    def query(self) -> str:
        return self.q.data if self.q.data and not self.q.errors else ""

    def args(self, **override) -> dict[str, str]:
        given = filter_args(self)
        given.update(override)
        return {name: value for name, value in given.items() if value}


def _cap_field() -> IntegerField:
    return WholeNumberField(
        _l("同时配送单数"),
        default=DEFAULT_CAP,
        validators=[
            InputRequired(CAP_MESSAGE),
            NumberRange(min=1, max=MAX_CAP, message=CAP_MESSAGE),
        ],
    )


class RiderForm(FlaskForm):
    """添加骑手: approved at once; the rider logs in with an SMS code."""

    phone = StringField(
        _l("手机号"),
        filters=[lambda value: (value or "").replace(" ", "").replace("-", "").strip()],
        validators=[
            DataRequired(_l("请输入手机号")),
            Regexp(MOBILE_FIELD, message=_l("请输入正确的 11 位手机号")),
        ],
    )
    name = StringField(
        _l("姓名"),
        filters=[_strip],
        validators=[
            DataRequired(_l("请填写姓名")),
            Length(max=50, message=_l("姓名不能超过 50 个字")),
        ],
    )
    vehicle = RadioField(
        _l("交通工具"),
        choices=_choices(VEHICLE_LABELS),
        validators=[InputRequired(_l("请选择交通工具"))],
        invalid_choice_message=_l("请选择交通工具"),
    )
    cap = _cap_field()

    def fields(self) -> RiderFields:
        return RiderFields(self.phone.data, self.name.data, self.vehicle.data, self.cap.data)


class RejectForm(FlaskForm):
    note = StringField(
        _l("拒绝原因"),
        filters=[_strip],
        validators=[
            DataRequired(_l("请填写拒绝原因")),
            Length(max=MAX_NOTE, message=_l("拒绝原因不能超过 %(max)s 字", max=MAX_NOTE)),
        ],
    )


class CapForm(FlaskForm):
    cap = _cap_field()


class ModeForm(FlaskForm):
    mode = RadioField(
        _l("派单模式"),
        choices=_choices(MODE_LABELS),
        validators=[InputRequired(_l("请选择派单模式"))],
        invalid_choice_message=_l("请选择派单模式"),
    )


def _yuan(form, field) -> None:
    """Yuan into fen in `field.fen`; blank is None (the caller says what blank means)."""
    field.fen = None
    text = (field.data or "").strip()
    if not text:
        return
    try:
        fen = parse_yuan(text)
    except ValueError:
        raise ValidationError(BAD_AMOUNT) from None
    if not 0 <= fen <= MAX_COMMISSION_FEN:
        raise ValidationError(_l("佣金须在 0 到 %(max)s 元之间", max=MAX_COMMISSION_FEN // 100))
    field.fen = fen


class CommissionForm(FlaskForm):
    fixed = StringField(
        _l("每单固定佣金（元）"), filters=[_strip], validators=[Length(max=12), _yuan]
    )
    per_km = StringField(
        _l("每公里加价（元）"), filters=[_strip], validators=[Length(max=12), _yuan]
    )

    def fixed_fen(self) -> int | None:
        return self.fixed.fen  # blank: each store's own commission

    def per_km_fen(self) -> int:
        return self.per_km.fen or 0


class AlarmForm(FlaskForm):
    minutes = WholeNumberField(
        _l("超时告警（分钟）"),
        validators=[
            InputRequired(_l("请填写分钟数")),
            NumberRange(
                min=MIN_ALARM_MINUTES,
                max=MAX_ALARM_MINUTES,
                message=_l(
                    "告警时间须在 %(min)s 到 %(max)s 分钟之间",
                    min=MIN_ALARM_MINUTES,
                    max=MAX_ALARM_MINUTES,
                ),
            ),
        ],
    )
