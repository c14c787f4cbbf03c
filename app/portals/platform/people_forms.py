"""Forms of the platform's people pages: staff accounts, regions, managers and drivers."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, Form, HiddenField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError

from app.accounts.models import ROLE_LABELS
from app.accounts.people import (
    MAX_NAME,
    MAX_PASSWORD,
    MIN_PASSWORD,
    PHONE,
    STAFF_ROLES,
    STATUS_LABELS,
    is_clean_text,
)
from app.web.i18n import lazy_gettext as _l
from app.wholesale.regions import MAX_REGION_NAME, normalise_plate


def _strip(value: str | None) -> str:
    return (value or "").strip()


def _printable(form, field) -> None:
    if field.data and not is_clean_text(field.data):
        raise ValidationError(_l("不能含控制字符或不可见字符"))


PHONE_FIELD = dict(
    filters=[_strip],
    validators=[
        DataRequired(_l("请输入手机号")),
        Regexp(f"^{PHONE.pattern}$", message=_l("请输入正确的 11 位手机号")),
    ],
)
NAME_FIELD = dict(
    filters=[_strip],
    validators=[
        DataRequired(_l("请填写姓名")),
        Length(max=MAX_NAME, message=_l("姓名不能超过 %(max)d 个字")),
        _printable,
    ],
)


class StaffFilterForm(Form):
    """The staff list's filters, read from the query string (a GET form: no CSRF)."""

    role = SelectField(
        _l("角色"),
        choices={role: ROLE_LABELS[role] for role in STAFF_ROLES},
        validate_choice=False,
    )
    status = SelectField(_l("状态"), choices=dict(STATUS_LABELS), validate_choice=False)
    q = StringField(_l("姓名/手机号"), filters=[_strip], validators=[Length(max=20)])

    def values(self) -> tuple[str, str, str]:
        """(role, status, search), each '' when not given or not one of the choices."""
        role = self.role.data if self.role.data in STAFF_ROLES else ""
        status = self.status.data if self.status.data in STATUS_LABELS else ""
        q = self.q.data if self.q.data and not self.q.errors else ""
        return role, status, q

    def args(self) -> dict[str, str]:
        role, status, q = self.values()
        return {k: v for k, v in (("role", role), ("status", status), ("q", q)) if v}


class AddStaffForm(FlaskForm):
    phone = StringField(_l("手机号"), **PHONE_FIELD)
    name = StringField(_l("姓名"), **NAME_FIELD)
    role = SelectField(
        _l("角色"),
        choices={role: ROLE_LABELS[role] for role in STAFF_ROLES},
        invalid_choice_message=_l("请选择平台运营或客服"),
    )
    password = PasswordField(
        _l("初始密码"),
        validators=[
            Optional(),
            Length(
                min=MIN_PASSWORD,
                max=MAX_PASSWORD,
                message=_l("密码须为 %(min)d 到 %(max)d 位"),
            ),
        ],
    )


class DisableForm(FlaskForm):
    """停用: sent only from the confirmation (the dialog, or the page without JavaScript)."""

    confirmed = BooleanField(_l("我确认停用"), validators=[DataRequired(_l("请勾选确认后再停用"))])
    region = HiddenField()  # back to this region's page afterwards (the id), else the list


class BackForm(FlaskForm):
    """A button that changes one thing (启用, 收回角色, 移除); `region` says where to go back."""

    region = HiddenField()


class RegionNameForm(FlaskForm):
    name = StringField(
        _l("区域名称"),
        filters=[_strip],
        validators=[
            DataRequired(_l("请填写区域名称")),
            Length(max=MAX_REGION_NAME, message=_l("区域名称不能超过 %(max)d 个字")),
            _printable,
        ],
    )


class AddManagerForm(FlaskForm):
    phone = StringField(_l("手机号"), **PHONE_FIELD)
    name = StringField(_l("姓名"), **NAME_FIELD)


def _plate(form, field) -> None:
    if normalise_plate(field.data or "") is None:
        raise ValidationError(_l("车牌号格式不正确，例如 琼A·D1234"))


PLATE_FIELD = dict(
    filters=[_strip],
    validators=[
        DataRequired(_l("请填写车牌号")),
        _plate,
    ],
)


class AddDriverForm(AddManagerForm):
    plate_no = StringField(_l("车牌号"), **PLATE_FIELD)


class PlateForm(FlaskForm):
    plate_no = StringField(_l("车牌号"), **PLATE_FIELD)
