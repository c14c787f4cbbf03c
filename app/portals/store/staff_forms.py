"""The store owner's form to add a member of staff."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import InputRequired, Length, Regexp

from app.stores.staff import MAX_NAME, MOBILE
from app.web.i18n import lazy_gettext as _l


def _strip(value):
    return (value or "").strip()


class AddStaffForm(FlaskForm):
    phone = StringField(
        _l("手机号"),
        filters=[_strip],
        validators=[
            InputRequired(_l("请输入正确的 11 位手机号")),
            Regexp(MOBILE, message=_l("请输入正确的 11 位手机号")),
        ],
    )
    # Needed for a phone without an account (the service says so); an existing person keeps
    # the name they have.
    name = StringField(
        _l("姓名"),
        filters=[_strip],
        validators=[Length(max=MAX_NAME, message=_l("请填写店员姓名（50 字以内）"))],
    )
