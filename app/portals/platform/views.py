"""The platform portal (desktop): operators and customer service see every order and the plumbing."""

from __future__ import annotations

from flask import Blueprint, abort, g, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from wtforms import SelectChoice

from app.delivery.connection import (
    ASSISTANT,
    assistant_settings,
    connected_by,
    may_regenerate_code,
    regenerate_code,
)
from app.delivery.dispatch import MODE_LABELS, is_alarmed
from app.delivery.services import task_of
from app.jobs import count_stuck, retry_stuck
from app.jobs.models import JOB_STATUS_BADGES, JOB_STATUS_LABELS, QUEUE_LABELS, jobs_log
from app.notifications.models import SMS_STATUS_BADGES, SMS_STATUS_LABELS
from app.notifications.services import sms_log
from app.ordering.models import Order
from app.ordering.payment import DELIVERY_OPTIONS, PAYMENT_METHODS
from app.ordering.scope import order_for
from app.ordering.services import change_status_by_staff
from app.ordering.states import ORDER_MACHINE
from app.stores.models import KIND_LABELS
from app.stores.services import all_stores
from app.web.access import portal_guard
from app.web.i18n import translate
from app.web.order_view import order_page, order_view
from app.web.paging import paginate
from app.web.rendering import render_page_or_block, see_other
from app.wholesale.services import (
    assign_driver,
    awaits_confirmation,
    awaits_driver,
    confirm_order,
    drivers_of_region,
)

from .forms import (
    STAFF_MOVES,
    AssignDriverForm,
    OrderFilterForm,
    RegenerateCodeForm,
    StaffStatusForm,
)

bp = Blueprint("platform", __name__)
bp.before_request(portal_guard("platform"))

ORDERS_PER_PAGE = 20
LOG_PER_PAGE = 50


@bp.get("/")
def index():
    return redirect(url_for(".orders"), code=303)


# ---- orders ---------------------------------------------------------------------------------


@bp.get("/orders")
def orders():
    form = OrderFilterForm(request.args)
    valid = form.validate()
    page = order_page(g.actor, form.to_filter(), ORDERS_PER_PAGE, store=True)
    return render_page_or_block(
        "platform/orders.html",
        "orders_table",
        status=200 if valid else 422,
        form=form,
        page=page,
        stores=tuple(all_stores()),  # hashable: part of the filter bar's fragment key
        kinds=KIND_LABELS,
        statuses=ORDER_MACHINE.labels,
        payment_methods=PAYMENT_METHODS,
        delivery_options=DELIVERY_OPTIONS,
    )


def _order_or_404(order_id: int) -> Order:
    order = order_for(g.actor, order_id)
    if order is None:
        abort(404)
    return order


def _order_page(order: Order, notice: str = "", **forms) -> dict:
    """Everything the detail page shows, with the actions this person may take now."""
    allowed = ORDER_MACHINE.allowed(order.status, g.actor.role)
    status_form = forms.get("status_form") or StaffStatusForm(formdata=None)
    status_form.to.choices = [
        SelectChoice(to, label) for to, label in STAFF_MOVES.items() if to in allowed
    ]
    actions = {
        "confirm": awaits_confirmation(order),
        "assign_driver": awaits_driver(order),
        "change_status": bool(status_form.to.choices),
    }
    return dict(
        order=order,
        view=order_view(order),
        notice=notice,
        kinds=KIND_LABELS,
        actions=actions,
        status_form=status_form,
        driver_form=forms.get("driver_form") or AssignDriverForm(formdata=None),
        drivers=drivers_of_region(order.region_id) if actions["assign_driver"] else [],
        modes=MODE_LABELS,
        **_task_panel(order),
    )


def _task_panel(order: Order) -> dict:
    """The order's delivery task, read-only here: the 配送助手 back office dispatches it."""
    task = task_of(order)
    return dict(
        task=task,
        task_alarmed=task is not None and is_alarmed(task),
        task_by_assistant=task is not None and task.courier == ASSISTANT,
    )


def _order_done(order: Order, message: str):
    """After a staff action: the fresh detail block for HTMX, else 303 to the detail page."""
    if request.htmx:
        return render_page_or_block("platform/order.html", "detail", **_order_page(order, message))
    return see_other(url_for(".order", order_id=order.id), message)


def _order_refused(order: Order, **forms):
    return render_page_or_block(
        "platform/order.html", "detail", status=422, **_order_page(order, **forms)
    )


@bp.get("/orders/<int:order_id>")
def order(order_id: int):
    return render_page_or_block(
        "platform/order.html", "detail", **_order_page(_order_or_404(order_id))
    )


@bp.post("/orders/<int:order_id>/status")
def change_status(order_id: int):
    order = _order_or_404(order_id)
    form = StaffStatusForm()
    if not form.validate_on_submit():
        return _order_refused(order, status_form=form)
    change_status_by_staff(order, form.to.data, g.actor, form.remark.data)
    status = translate(ORDER_MACHINE.label(form.to.data))
    return _order_done(order, _("订单已改为「%(status)s」", status=status))


@bp.post("/orders/<int:order_id>/confirm")
def confirm(order_id: int):
    order = _order_or_404(order_id)
    confirm_order(order, g.actor)
    return _order_done(order, _("订单已确认，请指派司机"))


@bp.post("/orders/<int:order_id>/driver")
def assign_order_driver(order_id: int):
    order = _order_or_404(order_id)
    form = AssignDriverForm()
    form.driver_id.choices = {d.id: d.name for d in drivers_of_region(order.region_id)}
    if not form.validate_on_submit():
        return _order_refused(order, driver_form=form)
    assign_driver(order, form.driver_id.data, g.actor)
    return _order_done(order, _("已指派司机，司机和客户会收到短信"))


# ---- logs and settings ----------------------------------------------------------------------


@bp.get("/sms")
def sms():
    phone = request.args.get("phone", "").strip()[:20]
    page = paginate(sms_log(phone), per_page=LOG_PER_PAGE)
    return render_page_or_block(
        "platform/sms.html",
        "sms_table",
        page=page,
        phone=phone,
        sms_labels=SMS_STATUS_LABELS,
        sms_badges=SMS_STATUS_BADGES,
    )


def _jobs_page(notice: str = "") -> dict:
    shown = request.values.get("status", "")
    if shown not in JOB_STATUS_LABELS:
        shown = ""
    page = paginate(jobs_log(shown), per_page=LOG_PER_PAGE)
    return dict(
        page=page,
        shown=shown,
        labels=JOB_STATUS_LABELS,
        badges=JOB_STATUS_BADGES,
        queues=QUEUE_LABELS,
        pending=count_stuck(),
        notice=notice,
    )


@bp.get("/jobs")
def jobs():
    return render_page_or_block("platform/jobs.html", "jobs_table", **_jobs_page())


@bp.post("/jobs/retry")
def retry_jobs():
    """Hand every pending or failed outbox row over again, after this request commits."""
    count = retry_stuck()
    message = ngettext("已重新派发 %(num)s 个任务", "已重新派发 %(num)s 个任务", count)
    if request.htmx:
        return render_page_or_block("platform/jobs.html", "jobs_table", **_jobs_page(message))
    shown = request.form.get("status", "")
    return see_other(
        url_for(".jobs", status=shown if shown in JOB_STATUS_LABELS else None), message
    )


def _delivery_page(form: RegenerateCodeForm, notice: str = "") -> dict:
    settings = assistant_settings()
    return dict(
        form=form,
        settings=settings,
        code=settings.auth_code,
        connected_by=connected_by(settings),
        modes=MODE_LABELS,
        notice=notice,
        may_regenerate=may_regenerate_code(g.actor),
    )


@bp.get("/delivery")
def delivery():
    """平台配送: the 配送助手's authorisation code and whether a dispatcher connected it; the
    mode and the riders are the back office's (/dispatch)."""
    return render_page_or_block(
        "platform/delivery.html", "code_panel", **_delivery_page(RegenerateCodeForm(formdata=None))
    )


@bp.post("/delivery/code")
def regenerate_delivery_code():
    """重新生成 (operators, confirmed): a new code; the assistant is disconnected until a
    dispatcher enters it."""
    form = RegenerateCodeForm()
    if not form.validate_on_submit():
        return render_page_or_block(
            "platform/delivery.html", "code_panel", status=422, **_delivery_page(form)
        )
    regenerate_code(g.actor)
    message = _("已重新生成授权码，配送助手已断开，请在配送助手后台输入新的授权码")
    if not request.htmx:
        return see_other(url_for(".delivery"), message)
    return render_page_or_block(
        "platform/delivery.html",
        "code_panel",
        **_delivery_page(RegenerateCodeForm(formdata=None), message),
    )
