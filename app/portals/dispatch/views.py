"""The 配送助手 back office (desktop, role 配送调度): 接入 with the platform's code, 概览, the live
订单看板, one task's page (assign, reassign, cancel). Riders and settings are in riders.py and
settings.py on the same blueprint.

While the assistant is not connected every page says 未接入 and links to 接入; every task or
rider id answers 404 (the scope finds nothing).
"""

from __future__ import annotations

import hashlib
import math
import time

from flask import Blueprint, abort, current_app, g, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_limiter import RateLimitExceeded

from app.clock import local_today
from app.delivery.connection import assistant_settings, connect, connected_by, is_connected
from app.delivery.dispatch import (
    BOARD_TABS,
    MODE_LABELS,
    BoardFilter,
    assign_task,
    board_counts,
    board_query,
    board_stores,
    cancel_task,
    dispatcher_task_for,
    is_alarmed,
    may_assign,
    may_cancel,
    overview,
)
from app.delivery.models import DeliveryTask
from app.delivery.rider_accounts import (
    VEHICLE_LABELS,
    pending_count,
    rider_name_choices,
    riders_on_duty,
    working_riders,
)
from app.errors import InvalidInput
from app.extensions import limiter
from app.web.access import portal_guard
from app.web.order_view import order_view, render_message
from app.web.paging import Page, paginate
from app.web.rendering import render_page_or_block, see_other

from .forms import AssignForm, BoardFilterForm, CancelForm, ConnectForm

bp = Blueprint("dispatch", __name__)
bp.before_request(portal_guard("dispatch"))

BOARD_PAGE = 50


@bp.context_processor
def sidebar_context() -> dict:
    """What every page's sidebar shows: connected or not, registrations waiting."""
    if g.get("actor") is None:
        return {}
    connected = is_connected()
    return {
        "connected": connected,
        "pending_riders": pending_count(g.actor) if connected else 0,
    }


def _task_or_404(task_id: int) -> DeliveryTask:
    task = dispatcher_task_for(g.actor, task_id)
    if task is None:
        abort(404)
    return task


# ---- 概览 -------------------------------------------------------------------------------------


@bp.get("/")
def index():
    connected = is_connected()
    return render_page_or_block(
        "dispatch/overview.html",
        kpis=overview(g.actor) if connected else None,
        on_duty=riders_on_duty(g.actor) if connected else 0,
        settings=assistant_settings(),
        modes=MODE_LABELS,
        today=local_today().isoformat(),
    )


# ---- 接入 -------------------------------------------------------------------------------------


def per_dispatcher() -> str:
    """Wrong codes count per dispatcher, wherever they type them from."""
    return f"dispatcher:{g.actor.user_id}"


def _refused_code(response) -> bool:
    return response.status_code >= 400  # only refused tries count


def _code_limit() -> str:
    return current_app.config["DISPATCH_CODE_RATE_LIMIT"]


def _code_ip_limit() -> str:
    return current_app.config["DISPATCH_CODE_IP_RATE_LIMIT"]


def _connect_page(form: ConnectForm, status: int = 200):
    settings = assistant_settings()
    return render_page_or_block(
        "dispatch/connect.html",
        "connect_form",
        status=status,
        form=form,
        settings=settings,
        connected_by=connected_by(settings),
    )


@bp.route("/connect", methods=["GET", "POST"])
@limiter.limit(_code_limit, key_func=per_dispatcher, methods=["POST"], deduct_when=_refused_code)
@limiter.limit(_code_ip_limit, methods=["POST"], deduct_when=_refused_code)
def connect_page():
    """Enter the code the platform's 平台配送 page shows."""
    form = ConnectForm()
    if form.validate_on_submit():
        try:
            connect(form.code.data, g.actor)
        except InvalidInput as error:
            form.code.errors.append(render_message(error.msg))
        else:
            return see_other(url_for(".index"), _("配送助手已接入，可以开始配送了"))
    return _connect_page(form, 422 if form.is_submitted() else 200)


@bp.errorhandler(RateLimitExceeded)
def too_many_codes(_error: RateLimitExceeded):
    """The 接入 form again, saying how long to wait (nothing is checked meanwhile)."""
    reset_at = max(limit.window.reset_time for limit in limiter.current_limits if limit.breached)
    minutes = max(1, math.ceil((reset_at - time.time()) / 60))
    form = ConnectForm()
    form.code.errors = [
        ngettext(
            "授权码错误次数过多，请 %(num)s 分钟后再试",
            "授权码错误次数过多，请 %(num)s 分钟后再试",
            minutes,
        )
    ]
    return _connect_page(form, 429)


# ---- 订单看板 -----------------------------------------------------------------------------------


def _board_version(page: Page, counts: dict[str, int], riders) -> str:
    """What the board shows, in a few characters: the rows (status, rider, alarm), the pager,
    the tab counts and each rider's load. The poll names the version it shows; the same one is
    answered 204 and htmx keeps the page as it is."""
    rows = [(t.id, t.status, t.rider_id, t.alarmed_at is not None) for t in page.items]
    loads = [(r.user_id, r.load, r.cap, r.on_duty) for r in riders]
    shown = f"{rows}|{page.page}|{page.has_next}|{sorted(counts.items())}|{loads}"
    return hashlib.blake2b(shown.encode(), digest_size=8).hexdigest()


@bp.get("/board")
def board():
    """Tasks by state with filters, each rider's load; polled by HTMX (a 204 while unchanged)."""
    form = BoardFilterForm(request.args)
    valid = form.validate()
    if not is_connected():
        return render_page_or_block("dispatch/board.html", "board", form=form, connected=False)
    f: BoardFilter = form.to_filter()
    page = paginate(board_query(g.actor, f), per_page=BOARD_PAGE)
    counts = board_counts(g.actor, f)
    riders = working_riders(g.actor)
    version = _board_version(page, counts, riders)
    if request.args.get("seen") == version and request.htmx:
        return "", 204
    settings = assistant_settings()
    return render_page_or_block(
        "dispatch/board.html",
        "board",
        status=200 if valid else 422,
        form=form,
        board=f,
        filtered=bool(f.store_id or f.rider_id or f.day),
        page=page,
        counts=counts,
        tabs=BOARD_TABS,
        riders=riders,
        stores=board_stores(g.actor),
        rider_choices=rider_name_choices(g.actor),
        version=version,
        poll_seconds=current_app.config["DISPATCH_POLL_SECONDS"],
        assignable={t.id for t in page.items if may_assign(t, settings)},
        alarmed={t.id for t in page.items if is_alarmed(t)},
        cancellable={t.id for t in page.items if may_cancel(t)},
    )


# ---- one task ----------------------------------------------------------------------------------


def _task_page(task: DeliveryTask, notice: str = "", **forms) -> dict:
    settings = assistant_settings()
    assignable = may_assign(task, settings)
    return dict(
        task=task,
        order=task.order,
        view=order_view(task.order),
        notice=notice,
        modes=MODE_LABELS,
        vehicles=VEHICLE_LABELS,
        assignable=assignable,
        cancellable=may_cancel(task),
        alarmed=is_alarmed(task),
        riders=working_riders(g.actor) if assignable else [],
        assign_form=forms.get("assign_form") or AssignForm(formdata=None),
        cancel_form=forms.get("cancel_form") or CancelForm(formdata=None),
    )


def _task_done(task: DeliveryTask, message: str):
    """After an action: the task's fresh block for HTMX, else 303 back to the task's page."""
    if request.htmx:
        return render_page_or_block("dispatch/task.html", "detail", **_task_page(task, message))
    return see_other(url_for(".task", task_id=task.id), message)


@bp.get("/tasks/<int:task_id>")
def task(task_id: int):
    return render_page_or_block("dispatch/task.html", "detail", **_task_page(_task_or_404(task_id)))


@bp.post("/tasks/<int:task_id>/assign")
def assign(task_id: int):
    """分配 (a waiting task) or 改派 (accepted, goods still in the store) to the chosen rider."""
    task = _task_or_404(task_id)
    form = AssignForm()
    if not form.validate_on_submit():
        return render_page_or_block(
            "dispatch/task.html", "detail", status=422, **_task_page(task, assign_form=form)
        )
    assign_task(task, form.rider_id.data, g.actor)
    return _task_done(task, _("已分配给骑手 %(name)s", name=task.rider.name))


@bp.post("/tasks/<int:task_id>/cancel")
def cancel(task_id: int):
    """取消配送 with a reason: the store reads it, and ships the order again."""
    task = _task_or_404(task_id)
    form = CancelForm()
    if not form.validate_on_submit():
        return render_page_or_block(
            "dispatch/task.html", "detail", status=422, **_task_page(task, cancel_form=form)
        )
    cancel_task(task, form.reason.data, g.actor)
    return _task_done(task, _("配送单已取消，订单已退回商家待发货"))
