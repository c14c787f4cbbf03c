from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length, Regexp


class LoginForm(FlaskForm):
    phone = StringField(
        _l("手机号"),
        filters=[lambda value: value.strip() if value else value],  # pasted with spaces
        validators=[
            DataRequired(_l("请输入手机号")),
            Regexp(r"^1\d{10}$", message=_l("请输入 11 位手机号")),
        ],
    )
    password = PasswordField(
        _l("密码"), validators=[DataRequired(_l("请输入密码")), Length(max=128)]
    )
