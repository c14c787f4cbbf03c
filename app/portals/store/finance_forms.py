"""Forms of the money pages (资金): the withdrawal request, the payout account, the filters of the
withdrawal records and the 资金明细, and the statement's period. The rider portal's money pages
use the same forms (app/portals/rider/finance.py)."""

from __future__ import annotations

import secrets
from datetime import date

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    Field,
    HiddenField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    ValidationError,
)
from wtforms.validators import Length, Optional, Regexp

from app.errors import DomainError
from app.finance import withdrawals as rules
from app.finance.ledger import NOT_ENOUGH
from app.finance.models import (
    ENTRY_KIND_LABELS,
    PAYOUT_METHOD_LABELS,
    WITHDRAWAL_STATUS_LABELS,
    PayoutMethod,
)
from app.finance.withdrawals import PayoutAccount, clean_payout_account
from app.messages import mask_phone
from app.money import parse_yuan
from app.web.filter_args import filter_args
from app.web.i18n import lazy_gettext as _l
from app.web.order_view import render_message

MAX_AMOUNT_CHARS = 15  # "12,345,678.90": a longer amount is a typo
MAX_PERIOD_DAYS = 366
DATE_FORMAT = _l("日期格式如 2026-11-01")


def _strip(value: str | None) -> str:
    return (value or "").strip()


METHOD_CHOICES = [SelectChoice(m, _l(label)) for m, label in PAYOUT_METHOD_LABELS.items()]


class PayoutFields(FlaskForm):
    """Where withdrawals are paid: the domain's `clean_payout_account` judges it (the view puts
    its refusal under the field it is about)."""

    method = RadioField(
        _l("提现方式"), choices=METHOD_CHOICES, default=PayoutMethod.BANK, validate_choice=False
    )
    holder = StringField(_l("收款人姓名"), filters=[_strip], validators=[Length(max=30)])
    account = StringField(_l("收款账号"), filters=[_strip], validators=[Length(max=50)])
    bank = StringField(_l("开户银行"), filters=[_strip], validators=[Length(max=50)])

    def payout(self) -> PayoutAccount:
        """The cleaned account, or InvalidInput saying what is wrong with it."""
        return clean_payout_account(
            self.method.data or "", self.holder.data, self.account.data, self.bank.data
        )


class PayoutAccountForm(PayoutFields):
    """收款账户: change where later withdrawals are paid."""


class WithdrawForm(PayoutFields):
    """去提现. The payout fields are asked only for the first request (later ones reuse the
    account); `request_key`, made when the form is drawn, makes a double submit ask once."""

    amount = StringField(
        _l("提现金额（元）"), filters=[_strip], validators=[Length(max=MAX_AMOUNT_CHARS)]
    )
    agreed = BooleanField(_l("我已阅读并同意提现协议"))
    request_key = HiddenField(validators=[Optional(), Length(max=32), Regexp(r"^[0-9a-f]*$")])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_submitted():
            self.request_key.data = secrets.token_hex(16)
            self.method.data = PayoutMethod.BANK

    def validate_amount(self, field) -> None:
        try:
            fen = parse_yuan(field.data or "")
        except ValueError:
            raise ValidationError(_l("请填写提现金额（元），最多两位小数，如 50.00")) from None
        if fen <= 0:
            raise ValidationError(_l("提现金额须大于 0"))

    def amount_fen(self) -> int:
        return parse_yuan(self.amount.data)


# Which field a refusal of the domain is about (the rest show above the form).
FIELD_OF_CODE = {
    rules.MUST_AGREE.code: "agreed",
    rules.BELOW_MINIMUM.code: "amount",
    rules.NEGATIVE_BALANCE.code: "amount",
    NOT_ENOUGH.code: "amount",
    rules.NO_PAYOUT_ACCOUNT.code: "account",
    rules.BAD_METHOD.code: "method",
    rules.BAD_HOLDER.code: "holder",
    rules.BAD_CARD.code: "account",
    rules.BAD_ALIPAY.code: "account",
    rules.BAD_WECHAT.code: "account",
    rules.BAD_BANK.code: "bank",
}


def show_refusal(form: FlaskForm, error: DomainError) -> str | None:
    """Put the domain's refusal under its field; returns it when no field of the form owns it
    (too soon, withdrawals off, not the owner), for the page to show above the form."""
    message = render_message(error.msg)
    name = FIELD_OF_CODE.get(error.msg.code)
    field: Field | None = form._fields.get(name) if name else None
    if field is None:
        return message
    field.errors = [*field.errors, message]
    return None


def mask_account(method: str, account: str) -> str:
    """A payout account as a page shows it: a card's last four digits, a phone's ends."""
    account = account or ""
    if method == PayoutMethod.BANK:
        return f"**** {account[-4:]}" if len(account) > 4 else account
    if account.isdigit() and len(account) == 11:
        return mask_phone(account)
    if "@" in account:
        name, _, domain = account.partition("@")
        return f"{name[:2]}***@{domain}"
    return f"{account[:2]}***{account[-2:]}" if len(account) > 4 else account


# ---- filters ----------------------------------------------------------------------------------

STATE_CHOICES = [
    SelectChoice("", _l("全部状态")),
    *(SelectChoice(s, _l(label)) for s, label in WITHDRAWAL_STATUS_LABELS.items()),
]
METHOD_FILTER_CHOICES = [SelectChoice("", _l("全部方式")), *METHOD_CHOICES]
KIND_CHOICES = [
    SelectChoice("", _l("全部类型")),
    *(SelectChoice(k, _l(label)) for k, label in ENTRY_KIND_LABELS.items()),
]


class WithdrawalFilterForm(FlaskForm):
    """The withdrawal records' filter, read from the query string."""

    class Meta:
        csrf = False

    state = SelectField(_l("状态"), choices=STATE_CHOICES, default="", validate_choice=False)
    method = SelectField(
        _l("提现方式"), choices=METHOD_FILTER_CHOICES, default="", validate_choice=False
    )

    def values(self) -> tuple[str | None, str | None]:
        state = self.state.data if self.state.data in WITHDRAWAL_STATUS_LABELS else None
        method = self.method.data if self.method.data in PAYOUT_METHOD_LABELS else None
        return state, method

    def args(self) -> dict[str, str]:
        return filter_args(self)


def _day(text: str) -> date | None:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return None
    return day if 2000 <= day.year <= 2100 else None


def _valid_day(form, field) -> None:
    if field.data and _day(field.data) is None:
        raise ValidationError(DATE_FORMAT)


class EntryFilterForm(FlaskForm):
    """资金明细's filter: the kind and a date range (a broken date is shown and ignored)."""

    class Meta:
        csrf = False

    tab = HiddenField(default="entries")
    kind = SelectField(_l("类型"), choices=KIND_CHOICES, default="", validate_choice=False)
    start = StringField(_l("开始日期"), filters=[_strip], validators=[Length(max=10), _valid_day])
    end = StringField(_l("结束日期"), filters=[_strip], validators=[Length(max=10), _valid_day])

    def values(self) -> tuple[str | None, date | None, date | None]:
        kind = self.kind.data if self.kind.data in ENTRY_KIND_LABELS else None
        start = None if self.start.errors else _day(self.start.data or "")
        end = None if self.end.errors else _day(self.end.data or "")
        if start or end:
            start, end = start or date(2000, 1, 1), end or date(2100, 12, 31)
        return kind, start, end

    def args(self) -> dict[str, str]:
        return filter_args(self)


class StatementForm(FlaskForm):
    """The statement's period: both dates, start not after end, at most MAX_PERIOD_DAYS."""

    class Meta:
        csrf = False

    start = StringField(_l("开始日期"), filters=[_strip], validators=[Length(max=10)])
    end = StringField(_l("结束日期"), filters=[_strip], validators=[Length(max=10)])

    def validate_start(self, field) -> None:
        if _day(field.data or "") is None:
            raise ValidationError(DATE_FORMAT)

    def validate_end(self, field) -> None:
        end = _day(field.data or "")
        if end is None:
            raise ValidationError(DATE_FORMAT)
        start = _day(self.start.data or "")
        if start is None:
            return
        if start > end:
            raise ValidationError(_l("开始日期不能晚于结束日期"))
        if (end - start).days + 1 > MAX_PERIOD_DAYS:
            raise ValidationError(_l("对账期间最长 %(days)s 天，请缩短期间", days=MAX_PERIOD_DAYS))

    def period(self) -> tuple[date, date]:
        return _day(self.start.data), _day(self.end.data)
