"""The platform portal (desktop): operators and customer service see every order and the plumbing."""

from __future__ import annotations

from flask import Blueprint, abort, g, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select

from app.delivery.assistant import MODE_LABELS, riders, set_dispatch_mode
from app.delivery.models import DeliveryTask, DispatchMode, TaskStatus
from app.delivery.scope import task_for, tasks_visible_to
from app.delivery.services import assign_task, dispatch_settings
from app.extensions import db
from app.i18n_markers import N_
from app.jobs import commit, count_stuck, retry_stuck
from app.jobs.models import OutboxJob, OutboxStatus
from app.notifications.models import SmsMessage
from app.ordering.models import Order
from app.ordering.scope import order_for
from app.ordering.search import search_orders
from app.ordering.services import change_status_by_staff
from app.ordering.states import ORDER_MACHINE
from app.stores.models import KIND_LABELS, Store, StoreKind
from app.web.access import portal_guard
from app.web.i18n import translate
from app.web.paging import paginate
from app.web.rendering import render_page_or_block, see_other
from app.wholesale.services import assign_driver, confirm_order, drivers_of_region

from .forms import (
    STAFF_MOVES,
    AssignDriverForm,
    AssignRiderForm,
    DispatchModeForm,
    OrderFilterForm,
    StaffStatusForm,
)

bp = Blueprint("platform", __name__)
bp.before_request(portal_guard("platform"))

ORDERS_PER_PAGE = 20
LOG_PER_PAGE = 50
JOB_STATUS_LABELS = {
    OutboxStatus.PENDING: N_("待派发"),
    OutboxStatus.ENQUEUED: N_("已入队"),
    OutboxStatus.DONE: N_("已完成"),
    OutboxStatus.FAILED: N_("失败"),
}


@bp.get("/")
def index():
    return redirect(url_for(".orders"), code=303)


# ---- orders ---------------------------------------------------------------------------------


@bp.get("/orders")
def orders():
    form = OrderFilterForm(request.args)
    valid = form.validate()
    query = search_orders(g.actor, form.to_filter())
    page = paginate(query, per_page=ORDERS_PER_PAGE)
    stores = db.session.execute(select(Store.id, Store.name).order_by(Store.name)).all()
    return render_page_or_block(
        "platform/orders.html",
        "orders_table",
        status=200 if valid else 422,
        form=form,
        page=page,
        stores=stores,
        kinds=KIND_LABELS,
        statuses=ORDER_MACHINE.labels,
    )


def _order_or_404(order_id: int) -> Order:
    order = order_for(g.actor, order_id)
    if order is None:
        abort(404)
    return order


def _order_page(order: Order, notice: str = "", **forms) -> dict:
    """Everything the detail page shows; forms not being answered start empty."""
    allowed = ORDER_MACHINE.allowed(order.status, g.actor.role)
    status_form = forms.get("status_form") or StaffStatusForm(formdata=None)
    status_form.to.choices = {to: label for to, label in STAFF_MOVES.items() if to in allowed}
    task = order.delivery_task
    assignable = task is not None and task.status == TaskStatus.WAITING
    assignable = assignable and task.mode == DispatchMode.ASSIGN
    return dict(
        order=order,
        notice=notice,
        kinds=KIND_LABELS,
        status_form=status_form,
        driver_form=forms.get("driver_form") or AssignDriverForm(formdata=None),
        rider_form=forms.get("rider_form") or AssignRiderForm(formdata=None),
        drivers=drivers_of_region(order.region_id) if order.kind == StoreKind.WHOLESALE else [],
        riders=riders() if assignable else [],
        assignable_task=task if assignable else None,
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
    commit()
    status = translate(ORDER_MACHINE.label(form.to.data))
    return _order_done(order, _("订单已改为「%(status)s」", status=status))


@bp.post("/orders/<int:order_id>/confirm")
def confirm(order_id: int):
    order = _order_or_404(order_id)
    confirm_order(order, g.actor, N_("客服已与客户确认订单"))
    commit()
    return _order_done(order, _("订单已确认，请指派司机"))


@bp.post("/orders/<int:order_id>/driver")
def assign_order_driver(order_id: int):
    order = _order_or_404(order_id)
    form = AssignDriverForm()
    form.driver_id.choices = {d.id: d.name for d in drivers_of_region(order.region_id)}
    if not form.validate_on_submit():
        return _order_refused(order, driver_form=form)
    assign_driver(order, form.driver_id.data, g.actor)
    commit()
    return _order_done(order, _("已指派司机，司机和客户会收到短信"))


@bp.post("/tasks/<int:task_id>/rider")
def assign_task_rider(task_id: int):
    task = task_for(g.actor, task_id)
    if task is None:
        abort(404)
    form = AssignRiderForm()
    form.rider_id.choices = {r.id: r.name for r in riders()}
    if not form.validate_on_submit():
        return _order_refused(task.order, rider_form=form)
    assign_task(task, form.rider_id.data, g.actor)
    commit()
    return _order_done(task.order, _("已分配骑手"))


# ---- logs and settings ----------------------------------------------------------------------


@bp.get("/sms")
def sms():
    phone = request.args.get("phone", "").strip()
    query = select(SmsMessage).order_by(SmsMessage.id.desc())
    if phone:
        query = query.where(SmsMessage.phone.contains(phone, autoescape=True))
    page = paginate(query, per_page=LOG_PER_PAGE)
    return render_page_or_block("platform/sms.html", "sms_table", page=page, phone=phone)


def _jobs_page(notice: str = "") -> dict:
    shown = request.values.get("status", "")
    query = select(OutboxJob).order_by(OutboxJob.id.desc())
    if shown in JOB_STATUS_LABELS:
        query = query.where(OutboxJob.status == shown)
    pending = count_stuck()
    page = paginate(query, per_page=LOG_PER_PAGE)
    return dict(page=page, shown=shown, labels=JOB_STATUS_LABELS, pending=pending, notice=notice)


@bp.get("/jobs")
def jobs():
    return render_page_or_block("platform/jobs.html", "jobs_table", **_jobs_page())


@bp.post("/jobs/retry")
def retry_jobs():
    """Hand every pending or failed outbox row over again (each job commits its own outcome)."""
    count = retry_stuck()
    message = ngettext("已重新派发 %(num)s 个任务", "已重新派发 %(num)s 个任务", count)
    if request.htmx:
        return render_page_or_block("platform/jobs.html", "jobs_table", **_jobs_page(message))
    return see_other(url_for(".jobs", status=request.form.get("status") or None), message)


@bp.get("/stores")
def stores():
    page = paginate(
        select(Store).order_by(Store.created_at.desc(), Store.id.desc()), per_page=LOG_PER_PAGE
    )
    return render_page_or_block("platform/stores.html", page=page, kinds=KIND_LABELS)


def _delivery_page(form: DispatchModeForm, notice: str = "") -> dict:
    waiting = db.session.execute(
        tasks_visible_to(g.actor)
        .where(DeliveryTask.status == TaskStatus.WAITING, DeliveryTask.mode == DispatchMode.ASSIGN)
        .order_by(DeliveryTask.created_at)
    ).scalars()
    settings = dispatch_settings()
    return dict(
        form=form, settings=settings, modes=MODE_LABELS, waiting=list(waiting), notice=notice
    )


@bp.route("/delivery", methods=["GET", "POST"])
def delivery():
    """The delivery assistant: its authorisation code, and grab or assign mode."""
    form = DispatchModeForm(obj=dispatch_settings())
    if form.validate_on_submit():
        set_dispatch_mode(form.mode.data, g.actor)
        commit()
        if not request.htmx:
            return see_other(url_for(".delivery"), _("派单模式已更新"))
        return render_page_or_block(
            "platform/delivery.html", "mode_form", **_delivery_page(form, _("派单模式已更新"))
        )
    commit()  # the first visit creates the settings row; its code must not change on reload
    status = 422 if form.is_submitted() else 200
    return render_page_or_block(
        "platform/delivery.html", "mode_form", status=status, **_delivery_page(form)
    )
