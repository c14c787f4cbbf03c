"""Forms of the sales manager's portal: pick a driver, or ship another way with a remark."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectChoice, SelectField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length

from app.web.bounds import ID_RANGE
from app.web.i18n import lazy_gettext as _l
from app.wholesale.models import SHIP_METHOD_LABELS, ShipMethod

OTHER_WAYS = (ShipMethod.EXPRESS, ShipMethod.LOGISTICS, ShipMethod.OTHER)


class AssignDriverForm(FlaskForm):
    # Whether the driver belongs to the region is the service's rule (assign_driver), not the form's.
    driver_id = IntegerField(_l("司机"), validators=[InputRequired(_l("请选择司机")), ID_RANGE])


class ShipOtherWayForm(FlaskForm):
    method = SelectField(
        _l("发货方式"),
        choices=[SelectChoice(m.value, _l(SHIP_METHOD_LABELS[m])) for m in OTHER_WAYS],
        validators=[InputRequired(_l("请选择发货方式"))],
    )
    remark = TextAreaField(
        _l("备注"),
        validators=[
            DataRequired(_l("请填写备注（如快递单号、物流公司）")),
            Length(max=200, message=_l("备注最多 200 字")),
        ],
    )
