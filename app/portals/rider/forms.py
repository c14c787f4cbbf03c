from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField
from wtforms.validators import DataRequired, Regexp

from app.delivery.models import TaskStatus
from app.delivery.taps import KEY_PATTERN
from app.web.i18n import lazy_gettext as _l

CONFIRMED = "yes"  # the `confirm` field of the 确认送达 button
BAD_KEY = _l("操作编号无效，请刷新页面后重试")


class RiderForm(FlaskForm):
    """The phone's POSTs. Their CSRF token is checked by CSRFProtect before any view runs (every
    form of the rider's pages carries `csrf_field()`); a form of its own would only make and sign
    a second token on every tap and grab."""

    class Meta:
        csrf = False


def _key_field() -> StringField:
    """The tap's key: made by the phone's script, or drawn with the form without JavaScript."""
    return StringField(
        _l("操作编号"),
        validators=[DataRequired(BAD_KEY), Regexp(f"^{KEY_PATTERN.pattern}$", message=BAD_KEY)],
    )


class TapForm(RiderForm):
    """The rider's one big button: the status the task moves to, once per key."""

    to = SelectField(
        _l("状态"),
        choices=[status.value for status in TaskStatus],
        validators=[DataRequired(_l("请选择配送状态"))],
    )
    key = _key_field()
    confirm = HiddenField(_l("确认送达"))  # 送达 moves only with "yes" (the confirming button)

    @property
    def confirmed(self) -> bool:
        return self.confirm.data == CONFIRMED


class GrabForm(RiderForm):
    """抢单 from the pool's card."""

    key = _key_field()


class DutyForm(RiderForm):
    """开工 (1) or 收工 (0)."""

    on = SelectField(
        _l("开工"), choices=["1", "0"], validators=[DataRequired(_l("请选择开工或收工"))]
    )


class PositionForm(RiderForm):
    """Where the phone is (sent by the page's script while a task is on hand)."""

    lat = StringField(_l("纬度"), validators=[DataRequired(_l("缺少定位"))])
    lng = StringField(_l("经度"), validators=[DataRequired(_l("缺少定位"))])
