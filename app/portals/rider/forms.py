from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField
from wtforms.validators import DataRequired

from app.delivery.models import TaskStatus


class TapForm(FlaskForm):
    """The rider's one big button: the status the task moves to."""

    to = SelectField(
        _l("状态"),
        choices=[status.value for status in TaskStatus],
        validators=[DataRequired(_l("请选择配送状态"))],
    )
