"""The store's 达达配送 settings form: on/off, Dada's shop number and city code, dispatch on
payment or by hand, and the balance below which the store is warned."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, SelectChoice, StringField, ValidationError
from wtforms.validators import Length, Regexp

from app.delivery.dada.services import DadaFields
from app.delivery.models import StoreCourier
from app.money import format_fen, parse_yuan
from app.web.i18n import lazy_gettext as _l

MAX_ALERT_FEN = 10_000_000  # ¥100,000


def _strip(value: str | None) -> str:
    return (value or "").strip()


class DadaSettingsForm(FlaskForm):
    enabled = BooleanField(_l("开启达达配送"))
    shop_no = StringField(
        _l("达达门店编号"),
        filters=[_strip],
        validators=[
            Length(max=64, message=_l("门店编号不能超过 64 个字符")),
            Regexp(r"^[A-Za-z0-9_-]*$", message=_l("门店编号只能是字母、数字、下划线或短横线")),
        ],
    )
    city_code = StringField(
        _l("城市编码"),
        filters=[_strip],
        validators=[Regexp(r"^\d{0,6}$", message=_l("请填写达达城市编码（数字，如海口 0898）"))],
    )
    dispatch = RadioField(
        _l("派单方式"),
        choices=[
            SelectChoice("auto", _l("付款后自动派单")),
            SelectChoice("manual", _l("手动派单（订单页点击「立即配送」）")),
        ],
        default="manual",
        invalid_choice_message=_l("请选择派单方式"),
    )
    balance_alert = StringField(_l("余额提醒（元）"), filters=[_strip])

    @classmethod
    def of(cls, account: StoreCourier, **kwargs) -> DadaSettingsForm:
        return cls(
            obj=account,
            dispatch="auto" if account.auto_dispatch else "manual",
            balance_alert=format_fen(account.balance_alert_fen, symbol=""),
            **kwargs,
        )

    def validate_balance_alert(self, field) -> None:
        try:
            fen = parse_yuan(field.data or "0")
        except ValueError:
            raise ValidationError(_l("请填写金额（元），最多两位小数，如 50")) from None
        if not 0 <= fen <= MAX_ALERT_FEN:
            raise ValidationError(_l("余额提醒须在 0 到 100,000 元之间"))

    def validate_enabled(self, field) -> None:
        if field.data and not (self.shop_no.data and self.city_code.data):
            raise ValidationError(_l("开通达达配送须填写达达门店编号和城市编码"))

    def fields(self) -> DadaFields:
        return DadaFields(
            enabled=bool(self.enabled.data),
            shop_no=self.shop_no.data or "",
            city_code=self.city_code.data or "",
            auto_dispatch=self.dispatch.data == "auto",
            balance_alert_fen=parse_yuan(self.balance_alert.data or "0"),
        )


class RefreshBalanceForm(FlaskForm):
    """刷新余额: only the CSRF token."""
