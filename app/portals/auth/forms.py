from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional, Regexp

from app.accounts.phones import MOBILE_FIELD
from app.web.i18n import lazy_gettext as _l


class LoginForm(FlaskForm):
    phone = StringField(
        _l("手机号"),
        filters=[lambda value: value.strip() if value else value],  # pasted with spaces
        validators=[
            DataRequired(_l("请输入手机号")),
            Regexp(r"^1[0-9]{10}$", message=_l("请输入 11 位手机号")),
        ],
    )
    password = PasswordField(
        _l("密码"), validators=[DataRequired(_l("请输入密码")), Length(max=128)]
    )


def _stripped(value):
    return value.strip() if value else value


def _digits(value):
    """A phone or code as typed on a phone: spaces and dashes dropped."""
    return value.replace(" ", "").replace("-", "").strip() if value else value


class SmsLoginForm(FlaskForm):
    """验证码登录: a phone without an account signs up with it."""

    phone = StringField(
        _l("手机号"),
        filters=[_digits],
        validators=[
            DataRequired(_l("请输入手机号")),
            Regexp(MOBILE_FIELD, message=_l("请输入正确的 11 位手机号")),
        ],
    )
    code = StringField(
        _l("验证码"),
        filters=[_digits],
        validators=[
            DataRequired(_l("请输入验证码")),
            Regexp(r"^[0-9]{6}$", message=_l("请输入 6 位数字验证码")),
        ],
    )


class SignupForm(SmsLoginForm):
    """注册: the code flow, a password if the person wants one, the manager's link if any."""

    password = PasswordField(
        _l("设置密码（选填）"),
        validators=[Optional(), Length(min=8, max=128, message=_l("密码至少 8 位"))],
    )
    ref = HiddenField(filters=[_stripped])  # checked again by the service: unknown is ignored


class ResetPasswordForm(SmsLoginForm):
    """忘记密码: the code proves the phone, then a new password twice."""

    password = PasswordField(
        _l("新密码"),
        validators=[
            DataRequired(_l("请输入新密码")),
            Length(min=8, max=128, message=_l("密码至少 8 位")),
        ],
    )
    password2 = PasswordField(
        _l("再次输入新密码"),
        validators=[
            DataRequired(_l("请再次输入新密码")),
            EqualTo("password", message=_l("两次输入的密码不一致")),
        ],
    )
