"""骑手 in the 配送助手 back office: the list by status, add a rider, approve or reject a
registration, disable (their sessions end) and enable, the cap on tasks at once."""

from __future__ import annotations

from collections.abc import Callable

from flask import abort, g, request, url_for
from flask_babel import gettext as _

from app.delivery.connection import is_connected
from app.delivery.models import RiderProfile, RiderStatus
from app.delivery.rider_accounts import (
    MAX_CAP,
    RIDER_STATUS_LABELS,
    VEHICLE_LABELS,
    add_rider,
    approve_rider,
    as_rider_rows,
    disable_rider,
    enable_rider,
    reject_rider,
    rider_for,
    rider_rows,
    rider_status_counts,
    set_cap,
)
from app.web.paging import paginate
from app.web.rendering import render_page_or_block, see_other

from .forms import CapForm, RejectForm, RiderFilterForm, RiderForm
from .views import bp

RIDERS_PAGE = 50


def _filters() -> RiderFilterForm:
    """The list's filters: from the query string, or carried in a form's hidden fields."""
    form = RiderFilterForm(request.args if request.method == "GET" else request.form)
    form.validate()
    return form


def _riders_page(notice: str = "", **forms) -> dict:
    filters = _filters()
    connected = is_connected()
    page = None
    if connected:
        page = paginate(
            rider_rows(g.actor, filters.shown_status() or None, filters.query()),
            per_page=RIDERS_PAGE,
            as_rows=True,
        )
        page.items = as_rider_rows(page.items)
    return dict(
        connected=connected,
        filters=filters,
        shown=filters.shown_status(),
        pending_tab=filters.shown_status() == RiderStatus.PENDING,
        page=page,
        counts=rider_status_counts(g.actor) if connected else {},
        statuses=RIDER_STATUS_LABELS,
        vehicles=VEHICLE_LABELS,
        max_cap=MAX_CAP,
        notice=notice,
        add_form=forms.get("add_form") or RiderForm(formdata=None),
        failed=forms.get("failed"),  # (user_id, form) of a row form that was refused
    )


def _back(message: str):
    """After an action: the fresh list for HTMX, else 303 to the list with its filters."""
    if request.htmx:
        return render_page_or_block("dispatch/riders.html", "riders", **_riders_page(message))
    return see_other(url_for(".riders", **_filters().args()), message)


def _rider_or_404(user_id: int) -> RiderProfile:
    profile = rider_for(g.actor, user_id)
    if profile is None:
        abort(404)
    return profile


@bp.get("/riders")
def riders():
    return render_page_or_block("dispatch/riders.html", "riders", **_riders_page())


@bp.post("/riders/new")
def add():
    form = RiderForm()
    if not form.validate_on_submit():
        return render_page_or_block(
            "dispatch/riders.html", "riders", status=422, **_riders_page(add_form=form)
        )
    profile = add_rider(form.fields(), g.actor)
    return _back(_("已添加骑手 %(name)s，可用手机号验证码登录", name=profile.user.name))


def _act(user_id: int, action: Callable[[RiderProfile], object], message: str):
    profile = _rider_or_404(user_id)
    action(profile)
    return _back(message % {"name": profile.user.name})


@bp.post("/riders/<int:user_id>/approve")
def approve(user_id: int):
    return _act(user_id, lambda p: approve_rider(p, g.actor), _("已通过 %(name)s 的骑手注册"))


@bp.post("/riders/<int:user_id>/reject")
def reject(user_id: int):
    profile = _rider_or_404(user_id)
    form = RejectForm()
    if not form.validate_on_submit():
        return render_page_or_block(
            "dispatch/riders.html",
            "riders",
            status=422,
            **_riders_page(failed=(profile.user_id, form)),
        )
    reject_rider(profile, form.note.data, g.actor)
    return _back(_("已拒绝 %(name)s 的骑手注册", name=profile.user.name))


@bp.post("/riders/<int:user_id>/disable")
def disable(user_id: int):
    return _act(
        user_id, lambda p: disable_rider(p, g.actor), _("已停用骑手 %(name)s，其登录已失效")
    )


@bp.post("/riders/<int:user_id>/enable")
def enable(user_id: int):
    return _act(user_id, lambda p: enable_rider(p, g.actor), _("已启用骑手 %(name)s"))


@bp.post("/riders/<int:user_id>/cap")
def cap(user_id: int):
    profile = _rider_or_404(user_id)
    form = CapForm()
    if not form.validate_on_submit():
        return render_page_or_block(
            "dispatch/riders.html",
            "riders",
            status=422,
            **_riders_page(failed=(profile.user_id, form)),
        )
    set_cap(profile, form.cap.data, g.actor)
    return _back(
        _("骑手 %(name)s 最多同时配送 %(cap)s 单", name=profile.user.name, cap=profile.max_active)
    )
