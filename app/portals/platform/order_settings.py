"""订单设置 (platform): the time to pay, auto receipt, the after-sales window and the store's
time to answer, points, and the payee shown on bank-transfer orders. Operators edit; customer
service reads."""

from __future__ import annotations

from flask import g, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from wtforms import IntegerField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange

from app.accounts.actor import Actor
from app.accounts.models import Role
from app.errors import Forbidden
from app.extensions import db
from app.i18n_markers import N_
from app.messages import define
from app.ordering.settings import order_settings
from app.web.i18n import lazy_gettext as _l
from app.web.rendering import render_page_or_block, see_other

from .views import bp

__all__ = ["bp"]

OPERATORS_ONLY = define("order_settings_operators", N_("只有平台运营可以修改订单设置"))

# field → (label, lowest, highest)
BOUNDS = {
    "unpaid_close_minutes": (_l("未付款自动关闭（分钟）"), 5, 1440),
    "auto_receipt_days": (_l("发货后自动确认收货（天）"), 1, 60),
    "aftersale_days": (_l("确认收货后可申请售后（天）"), 0, 90),
    "aftersale_answer_hours": (_l("商家处理售后时限（小时，超时视为同意）"), 1, 720),
    "points_per_yuan": (_l("每消费 1 元获得积分"), 0, 100),
    "point_value_fen": (_l("每积分抵扣（分）"), 1, 100),
    "points_max_percent": (_l("积分最多抵扣商品金额（%）"), 0, 100),
}


def _bounded(label, low: int, high: int) -> IntegerField:
    return IntegerField(
        label,
        validators=[
            InputRequired(_l("请填写数字")),
            NumberRange(min=low, max=high, message=_l("须在 %(min)s 到 %(max)s 之间")),
        ],
    )


class OrderSettingsForm(FlaskForm):
    transfer_payee = TextAreaField(
        _l("银行转账收款信息（店铺未设置时显示）"),
        filters=[lambda v: (v or "").strip()],
        validators=[Length(max=300, message=_l("最多 300 字"))],
    )

    def values(self) -> dict[str, object]:
        return {name: self[name].data for name in (*BOUNDS, "transfer_payee")}


for _name, (_label, _low, _high) in BOUNDS.items():
    setattr(OrderSettingsForm, _name, _bounded(_label, _low, _high))


def update_order_settings(actor: Actor, values: dict[str, object]) -> None:
    """Operators change the platform's order rules (each value already bounded by the form)."""
    if actor.role != Role.OPERATOR:
        raise Forbidden(OPERATORS_ONLY())
    settings = order_settings()
    for name, value in values.items():
        setattr(settings, name, value)
    db.session.flush()


def _page(form: OrderSettingsForm | None = None, status: int = 200):
    if form is None:
        form = OrderSettingsForm(formdata=None, obj=order_settings())
    return render_page_or_block(
        "platform/order_settings.html",
        "settings_form",
        status=status,
        form=form,
        numbers=list(BOUNDS),
        may_edit=g.actor.role == Role.OPERATOR,
    )


@bp.get("/order-settings", endpoint="order_settings")
def order_settings_page():
    return _page()


@bp.post("/order-settings")
def save_order_settings():
    form = OrderSettingsForm()
    if not form.validate():
        return _page(form, 422)
    update_order_settings(g.actor, form.values())
    return see_other(url_for(".order_settings"), _("订单设置已保存"))
