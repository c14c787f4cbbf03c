"""The platform's money forms: the period and list filters (GET, no CSRF), approving, rejecting
and paying a withdrawal, a fine or an adjustment with its one-time key, the finance settings and
a commission rate. Amounts are yuan with at most two decimals (`parse_yuan`), rates a percent
with at most two decimals (`parse_percent`); a bad one is a message beside the field."""

from __future__ import annotations

import re
import secrets
from datetime import date, timedelta

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    Form,
    HiddenField,
    IntegerField,
    SearchField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from app.clock import local_today
from app.errors import InvalidInput
from app.finance.commission import parse_percent
from app.finance.models import (
    ENTRY_KIND_LABELS,
    PAYOUT_METHOD_LABELS,
    WITHDRAWAL_STATUS_LABELS,
    AccountKind,
)
from app.i18n_markers import N_
from app.money import parse_yuan
from app.web.filter_args import filter_args
from app.web.i18n import lazy_gettext as _l
from app.web.order_view import render_message

DEFAULT_DAYS = 30  # the overview's period when none is chosen: the last 30 days, today included
MAX_DAYS = 366  # a longer period is refused (the chart draws one group of bars per day)
MAX_AMOUNT_FEN = 100_000_000  # ￥1,000,000: a larger fine, adjustment or minimum is a typo
MAX_REASON = 200
MAX_REFERENCE = 100
MAX_AGREEMENT = 5000
MAX_INTERVAL_DAYS = 365
ACCOUNT_KINDS = {AccountKind.STORE: N_("店铺"), AccountKind.RIDER: N_("骑手")}
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _choices(labels: dict[str, str]) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in labels.items()]


def _strip(value: str | None) -> str:
    return (value or "").strip()


def _parse_date(text: str | None) -> date | None:
    """A yyyy-mm-dd local date, or None when it is not one."""
    text = (text or "").strip()
    if not _DATE.match(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _valid_date(form, field) -> None:
    if field.data and _parse_date(field.data) is None:
        raise ValidationError(_l("日期格式如 2026-01-31"))


class PeriodMixin:
    """`start` and `end` (local dates, both included); checked together by `check_period`."""

    start = StringField(_l("开始日期"), filters=[_strip], validators=[Optional(), _valid_date])
    end = StringField(_l("结束日期"), filters=[_strip], validators=[Optional(), _valid_date])

    def check_period(self) -> bool:
        start, end = _parse_date(self.start.data), _parse_date(self.end.data)
        if start and end and start > end:
            self.end.errors = [*self.end.errors, _l("结束日期不能早于开始日期")]
            return False
        if start and end and (end - start).days + 1 > MAX_DAYS:
            self.end.errors = [*self.end.errors, _l("日期范围最长 366 天")]
            return False
        return True

    def given_period(self) -> tuple[date | None, date | None]:
        """The dates that were filled in correctly (either may be missing)."""
        ok = not (self.start.errors or self.end.errors)
        start = _parse_date(self.start.data) if ok else None
        end = _parse_date(self.end.data) if ok else None
        return start, end


class PeriodForm(PeriodMixin, Form):
    """The overview's and the export's period; the last 30 days unless another is chosen."""

    def validate(self, extra_validators=None) -> bool:
        fields_ok = super().validate(extra_validators)
        return self.check_period() and fields_ok

    def period(self) -> tuple[date, date]:
        start, end = self.given_period()
        end = end or (start + timedelta(days=DEFAULT_DAYS - 1) if start else local_today())
        start = start or end - timedelta(days=DEFAULT_DAYS - 1)
        if start > end or (end - start).days + 1 > MAX_DAYS:
            end = local_today()
            start = end - timedelta(days=DEFAULT_DAYS - 1)
        return start, end

    def args(self) -> dict[str, str]:
        return filter_args(self)


class WithdrawalFilterForm(PeriodMixin, Form):
    status = SelectField(
        _l("状态"), choices=_choices(WITHDRAWAL_STATUS_LABELS), validate_choice=False
    )
    method = SelectField(
        _l("提现方式"), choices=_choices(PAYOUT_METHOD_LABELS), validate_choice=False
    )
    kind = SelectField(_l("账户"), choices=_choices(ACCOUNT_KINDS), validate_choice=False)
    q = SearchField(
        _l("店铺 / 骑手名称"),
        filters=[_strip],
        validators=[Length(max=30, message=_l("最多 30 个字"))],
    )

    def validate(self, extra_validators=None) -> bool:
        fields_ok = super().validate(extra_validators)
        return self.check_period() and fields_ok

    def chosen(self, name: str, allowed) -> str:
        value = self[name].data or ""
        return value if value in allowed else ""

    @property
    def keyword(self) -> str:
        return self.q.data if self.q.data and not self.q.errors else ""

    def args(self) -> dict[str, str]:
        return filter_args(self)


class EntryFilterForm(PeriodMixin, Form):
    kind = SelectField(_l("类型"), choices=_choices(ENTRY_KIND_LABELS), validate_choice=False)

    def validate(self, extra_validators=None) -> bool:
        fields_ok = super().validate(extra_validators)
        return self.check_period() and fields_ok

    @property
    def entry_kind(self) -> str:
        return self.kind.data if self.kind.data in ENTRY_KIND_LABELS else ""

    def args(self) -> dict[str, str]:
        return filter_args(self)


class StoreRateFilterForm(Form):
    q = SearchField(
        _l("店铺名称"), filters=[_strip], validators=[Length(max=30, message=_l("最多 30 个字"))]
    )
    own = SelectField(
        _l("佣金比例"),
        choices=[SelectChoice("", _l("全部")), SelectChoice("1", _l("自定义比例"))],
        validate_choice=False,
    )

    @property
    def keyword(self) -> str:
        return self.q.data if self.q.data and not self.q.errors else ""

    def args(self) -> dict[str, str]:
        return filter_args(self)


# ---- acting: every form carries `confirmed` (set by htmx after its confirm dialog, or by the
# plain form's confirm step) and `back` (the list to return to) ------------------------------


class ConfirmedForm(FlaskForm):
    confirmed = HiddenField()
    back = HiddenField(validators=[Optional(), Length(max=500)])

    @property
    def is_confirmed(self) -> bool:
        return self.confirmed.data == "1"


class ApproveForm(ConfirmedForm):
    pass


class RejectForm(ConfirmedForm):
    reason = StringField(
        _l("拒绝原因"),
        filters=[_strip],
        validators=[
            DataRequired(_l("请填写拒绝原因")),
            Length(max=MAX_REASON, message=_l("拒绝原因不能超过 200 字")),
        ],
    )


class PaidForm(ConfirmedForm):
    reference = StringField(
        _l("打款流水号"),
        filters=[_strip],
        validators=[
            DataRequired(_l("请填写打款流水号")),
            Length(max=MAX_REFERENCE, message=_l("打款流水号不能超过 100 个字")),
        ],
    )


WITHDRAWAL_FORMS = {"approve": ApproveForm, "reject": RejectForm, "pay": PaidForm}


def _amount_fen(text: str | None, *, signed: bool) -> int:
    """Yuan with at most two decimals into fen; InvalidInput-free: ValidationError to show."""
    try:
        fen = parse_yuan(text or "")
    except ValueError:
        if signed:
            raise ValidationError(
                _l("请填写金额（元），最多两位小数，扣款写负数如 -12.50")
            ) from None
        raise ValidationError(_l("请填写金额（元），最多两位小数，如 50 或 12.50")) from None
    if abs(fen) > MAX_AMOUNT_FEN:
        raise ValidationError(_l("金额不能超过 1,000,000 元"))
    return fen


class MoneyForm(ConfirmedForm):
    """A fine or an adjustment: amount, reason and the key made when the form was drawn, so the
    same submit twice (a double tap, a retry) posts once."""

    signed = False
    amount = StringField(_l("金额（元）"), filters=[_strip])
    reason = StringField(
        _l("原因（店铺或骑手可见）"),
        filters=[_strip],
        validators=[
            DataRequired(_l("请填写原因（店铺会看到）")),
            Length(max=MAX_REASON, message=_l("原因不能超过 200 字")),
        ],
    )
    request_key = HiddenField(
        validators=[
            DataRequired(_l("页面已过期，请刷新后重试")),
            Regexp(r"^[0-9a-f]{16,64}$", message=_l("页面已过期，请刷新后重试")),
        ]
    )
    fen = 0

    def validate_amount(self, field) -> None:
        self.fen = _amount_fen(field.data, signed=self.signed)
        if self.signed and self.fen == 0:
            raise ValidationError(_l("调账金额不能为 0"))
        if not self.signed and self.fen <= 0:
            raise ValidationError(_l("罚款金额须大于 0"))

    @classmethod
    def fresh(cls):
        """A blank form for the page, with its one-time key."""
        form = cls(formdata=None)
        form.request_key.data = secrets.token_hex(16)
        return form


class FineForm(MoneyForm):
    signed = False


class AdjustForm(MoneyForm):
    signed = True


def _valid_percent(form, field) -> None:
    try:
        form.bp = parse_percent(field.data or "")
    except InvalidInput as error:
        raise ValidationError(render_message(error.msg)) from None


class RateForm(FlaskForm):
    """A store's or a category's own rate, percent with at most two decimals."""

    percent = StringField(_l("佣金比例（百分比）"), filters=[_strip], validators=[_valid_percent])
    back = HiddenField(validators=[Optional(), Length(max=500)])
    bp = 0


class ClearRateForm(FlaskForm):
    back = HiddenField(validators=[Optional(), Length(max=500)])


class FinanceSettingsForm(FlaskForm):
    commission = StringField(
        _l("默认佣金比例（百分比）"), filters=[_strip], validators=[_valid_percent]
    )
    withdrawals_enabled = BooleanField(_l("开放提现"))
    withdraw_min = StringField(_l("单笔最低提现金额（元）"), filters=[_strip])
    withdraw_interval_days = IntegerField(
        _l("提现周期（天内只能提现一次，0 为不限）"),
        validators=[
            InputRequired(_l("请填写 0 或正整数天数")),
            NumberRange(min=0, max=MAX_INTERVAL_DAYS, message=_l("须在 %(min)s 到 %(max)s 之间")),
        ],
    )
    agreement = TextAreaField(
        _l("提现协议"),
        filters=[_strip],
        validators=[Length(max=MAX_AGREEMENT, message=_l("提现协议最多 5000 字"))],
    )
    bp = 0
    min_fen = 0

    def validate_withdraw_min(self, field) -> None:
        self.min_fen = _amount_fen(field.data, signed=False)
        if self.min_fen < 0:
            raise ValidationError(_l("最低提现金额不能为负数"))

    def values(self) -> dict[str, object]:
        return {
            "commission_bp": self.bp,
            "withdrawals_enabled": bool(self.withdrawals_enabled.data),
            "withdraw_min_fen": self.min_fen,
            "withdraw_interval_days": self.withdraw_interval_days.data,
            "agreement": self.agreement.data or "",
        }
