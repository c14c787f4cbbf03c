"""The rider portal (phone, one thumb): grab from the pool, tap through a delivery, see earnings."""

from __future__ import annotations

import hashlib

from flask import Blueprint, abort, current_app, g, request, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload, lazyload, selectinload

from app.delivery.models import TAP_TIME_COLUMN, TASK_MACHINE, DeliveryTask, TaskStatus
from app.delivery.scope import task_for
from app.delivery.services import (
    active_count,
    advance_task,
    grab_task,
    may_grab,
    next_tap,
    pool,
    rider_tasks,
)
from app.errors import AlreadyTaken
from app.ordering.models import Order
from app.web.access import portal_guard
from app.web.paging import Page, paginate
from app.web.rendering import render_page_or_block, see_other
from app.web.unit_of_work import discard_work

from .forms import TapForm

bp = Blueprint("rider", __name__)
bp.before_request(portal_guard("rider"))

POOL_SIZE = 20
# A card shows the order and its items; the order's store is the task's (already loaded).
WITH_ITEMS = joinedload(DeliveryTask.order).options(
    lazyload(Order.store), selectinload(Order.items)
)
CONFIRM_TAPS = frozenset({TaskStatus.DELIVERED})  # irreversible: the button asks first


def _task_or_404(task_id: int) -> DeliveryTask:
    task = task_for(g.actor, task_id)
    if task is None:
        abort(404)
    return task


def _card(task: DeliveryTask, form: TapForm | None = None) -> dict:
    """What the status card needs: the tap times so far and the one next button."""
    mine = task.rider_id == g.actor.user_id
    to = next_tap(task) if mine else None
    steps = [
        (status, getattr(task, column))
        for status, column in TAP_TIME_COLUMN.items()
        if getattr(task, column) is not None
    ]
    verb = TASK_MACHINE.moves[(task.status, to)].verb if to else None
    return dict(
        task=task,
        next_to=to,
        next_verb=verb,
        confirm_tap=to in CONFIRM_TAPS,
        may_grab=may_grab(task),
        delivered=mine and task.status == TaskStatus.DELIVERED,
        steps=steps,
        form=form or TapForm(),
    )


@bp.get("/")
def index():
    """The pool (抢单池), newest first, a phone screenful at a time; the list block is polled by
    HTMX so pushed tasks appear by themselves. The poll names the version it shows (`seen`): while
    the pool is the same it is answered 204 No Content, and htmx keeps the cards it has."""
    seen = request.args.get("seen")
    if seen and request.htmx and not request.htmx.boosted:
        ids = paginate(pool(g.actor).with_only_columns(DeliveryTask.id), per_page=POOL_SIZE)
        if _pool_version(ids.items, ids, active_count(g.actor)) == seen:
            return "", 204
    page = paginate(pool(g.actor).options(WITH_ITEMS), per_page=POOL_SIZE)
    active = active_count(g.actor)
    return render_page_or_block(
        "rider/pool.html",
        "pool",
        page=page,
        active_count=active,
        version=_pool_version([task.id for task in page.items], page, active),
        poll_seconds=current_app.config["RIDER_POLL_SECONDS"],
    )


def _pool_version(task_ids: list[int], page: Page, active: int) -> str:
    """What the pool block shows, in a few characters: the page's tasks in their order, the pager
    and the count of the rider's deliveries (a card's own text does not change in the pool)."""
    shown = f"{task_ids}|{page.page}|{page.total}|{page.has_next}|{active}"
    return hashlib.blake2b(shown.encode(), digest_size=8).hexdigest()


def _grab_or_lose(task_id: int) -> DeliveryTask | None:
    """The grabbed task, or None when another rider has it (it left this rider's scope)."""
    task = task_for(g.actor, task_id)
    if task is None:
        return None
    try:
        grab_task(task, g.actor)  # my own second tap is no error
    except AlreadyTaken:
        discard_work()
        return None
    return task


@bp.post("/tasks/<int:task_id>/grab")
def grab(task_id: int):
    task = _grab_or_lose(task_id)
    if request.htmx:  # the card is swapped in place: 抢单成功 or 已被抢
        status = 200 if task else 409
        return render_page_or_block(
            "rider/pool.html", "card", status=status, task=task, task_id=task_id
        )
    if task is None:
        return see_other(url_for(".index"), _("已被抢"), "error")
    return see_other(url_for(".task", task_id=task.id), _("抢单成功"))


@bp.get("/tasks")
def tasks():
    finished = request.args.get("tab") == "done"
    query = rider_tasks(g.actor, finished).options(WITH_ITEMS)
    page = paginate(query, per_page=20)
    return render_page_or_block("rider/tasks.html", "list", page=page, finished=finished)


@bp.get("/tasks/<int:task_id>")
def task(task_id: int):
    return render_page_or_block("rider/task.html", **_card(_task_or_404(task_id)))


@bp.post("/tasks/<int:task_id>/status")
def tap(task_id: int):
    """One tap of the big button; a repeated tap changes nothing and shows the card again."""
    task = _task_or_404(task_id)
    form = TapForm()
    if not form.validate_on_submit():
        return render_page_or_block("rider/task.html", "card", status=422, **_card(task, form))
    advance_task(task, form.to.data, g.actor)
    if request.htmx:
        return render_page_or_block("rider/task.html", "card", **_card(task))
    return see_other(url_for(".task", task_id=task.id))


# 我的 (the ledger's figures, 提现) lives with the rider's money pages: app/portals/rider/finance.py
