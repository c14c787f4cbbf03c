"""The rider portal (phone, one thumb): 开工, grab from the pool, tap through a delivery, earnings.

Every tap (抢单 and the status buttons) carries a key: the phone's script makes one per tap and
queues it while offline (static/js/rider-taps.js); without JavaScript the form brings one drawn
with the page. `app.delivery.taps` acts once per key, so a retried tap moves the task once and
answers the same.
"""

from __future__ import annotations

import hashlib
import secrets

from flask import Blueprint, abort, current_app, g, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload, lazyload, selectinload

from app.delivery.duty import record_position, set_duty
from app.delivery.models import (
    ACTIVE,
    TAP_TIME_COLUMN,
    TASK_MACHINE,
    DeliveryTask,
    RiderStatus,
    TaskStatus,
)
from app.delivery.riders import (
    STANDING,
    STANDING_AND_TASK,
    lock_profile,
    standing,
    standing_and_task_values,
    standing_with_task,
)
from app.delivery.scope import task_for
from app.delivery.services import (
    card_of,
    may_grab,
    next_tap,
    pool_statements,
    rider_tasks,
    task_to_tap,
)
from app.delivery.taps import grab_once, tap_once
from app.errors import AlreadyTaken, IllegalTransition, InvalidInput
from app.i18n_markers import N_
from app.messages import define
from app.ordering.models import Order
from app.rows import read_rows
from app.stores.delivery_rules import distance_m
from app.web.access import portal_guard
from app.web.db_connections import reads_first, start_writing
from app.web.fragments import fragment
from app.web.paging import Page, paginate, shaped_page
from app.web.person import NOT_READ, alongside, read_alongside
from app.web.rendering import render_page_or_block, see_other
from app.web.unit_of_work import discard_work

from .forms import DutyForm, GrabForm, PositionForm, TapForm

bp = Blueprint("rider", __name__)
bp.before_request(portal_guard("rider"))
# Every rider request reads the rider's standing; a grab also whether the task is still theirs
# to take (`_grab_or_lose`): with the person, in one statement.
read_alongside("rider", "standing", STANDING)
read_alongside(
    "rider.grab",
    "standing",
    STANDING_AND_TASK,
    lambda user_id, args: standing_and_task_values(user_id, args["task_id"]),
)

POOL_SIZE = 20
# A card shows the order and its items; the order's store is the task's (already loaded).
WITH_ITEMS = joinedload(DeliveryTask.order).options(
    lazyload(Order.store), selectinload(Order.items)
)
CONFIRM_TAPS = frozenset({TaskStatus.DELIVERED})  # irreversible: a second button confirms
POSITION_BUCKET = 200  # the pool's version moves when the rider moved about 500 m (1/200°)

OFF_DUTY = define("rider_off_duty_grab", N_("您已收工，请先开工再抢单"))
BAD_KEY = define("rider_bad_tap_key", N_("操作编号无效，请刷新页面后重试"))


@bp.before_request
def approved_riders_only():
    """A rider whose profile waits for review, was rejected or disabled sees why, nothing else."""
    actor = g.get("actor")
    if actor is None:
        return None
    profile = alongside("standing")  # read with the person (PostgreSQL)
    if profile is NOT_READ and request.endpoint == "rider.grab":  # with the grab's first look
        profile = standing_with_task(actor.user_id, request.view_args["task_id"])
    elif profile is NOT_READ:
        profile = standing(actor.user_id)
    g.rider = profile
    if profile is None or profile.status != RiderStatus.APPROVED:
        return render_template("rider/standing.html", profile=profile), 403
    return None


@bp.app_template_global("tap_key")
def tap_key() -> str:
    """A fresh key for each tap form on the page (what a tap carries when JavaScript is off); a
    global, so the rider's macros are imported without the page's context (and cached)."""
    return secrets.token_hex(16)


@bp.app_template_global("rider_next_move")
def _next_move(task) -> tuple[str | None, str | None]:
    """The status the task's (or its card row's) next button moves to, and the button's verb."""
    if task.rider_id != g.actor.user_id:
        return None, None
    to = next_tap(task)
    return to, (TASK_MACHINE.moves[(task.status, to)].verb if to else None)


def _task_or_404(task_id: int) -> DeliveryTask:
    task = task_for(g.actor, task_id)
    if task is None:
        abort(404)
    return task


def _card(task: DeliveryTask, form: TapForm | None = None, confirming: bool = False) -> dict:
    """What the status card needs: the tap times so far and the one next button."""
    mine = task.rider_id == g.actor.user_id
    to, verb = _next_move(task)
    steps = [
        (status, getattr(task, column))
        for status, column in TAP_TIME_COLUMN.items()
        if getattr(task, column) is not None
    ]
    confirm_tap = to in CONFIRM_TAPS
    return dict(
        task=task,
        next_to=to,
        next_verb=verb,
        confirm_tap=confirm_tap,
        confirming=confirm_tap and confirming,
        may_grab=may_grab(task) and g.rider.on_duty,
        delivered=mine and task.status == TaskStatus.DELIVERED,
        tracking=mine and task.status in ACTIVE,
        steps=steps,
        form=form or TapForm(),
    )


# ---- the pool -------------------------------------------------------------------------------


def _position() -> tuple[float, float] | None:
    """Where the phone says it is (sent with the pool's requests and with 抢单 for the cards'
    distances; never stored)."""
    try:
        lat, lng = float(request.values["lat"]), float(request.values["lng"])
    except (KeyError, ValueError):
        return None
    if not (-90 <= lat <= 90 and -180 <= lng <= 180) or (lat == 0 and lng == 0):
        return None  # NaN fails the comparisons too
    return lat, lng


@bp.get("/")
def index():
    """The pool (抢单池), newest first, a phone screenful at a time, for a rider on duty; the
    list block is polled by HTMX so pushed tasks appear by themselves. The poll names the
    version it shows (`seen`): while the pool is the same it is answered 204 No Content, and
    htmx keeps the cards it has. Off duty the page says 收工中 with the 开工 button."""
    return _pool_page()


def _pool_page(status: int = 200):
    profile = g.rider
    if not profile.on_duty:
        return render_page_or_block("rider/pool.html", "pool", status=status, off_duty=True)
    position = _position()
    statements = pool_statements(g.actor)
    mine = read_rows(statements.mine, statements.params).all()
    seen = request.args.get("seen")
    if seen and request.htmx and not request.htmx.boosted:
        ids = shaped_page(
            (),
            lambda _where: (statements.ids, statements.ids),
            POOL_SIZE,
            shape="rider_pool_ids",
            params=statements.params,
        )
        if _pool_version([row.id for row in ids.items], ids, mine, position, profile) == seen:
            return "", 204
    page = shaped_page(
        (),
        lambda _where: (statements.cards, statements.ids),
        POOL_SIZE,
        shape="rider_pool",
        params=statements.params,
    )
    grabbed = [card for card in mine if card.status == TaskStatus.ACCEPTED]
    pickup_m = {}
    if position:
        for card in [*grabbed, *page.items]:
            pickup_m[card.id] = distance_m(card, *position)  # the card's lat/lng: the store's
    return render_page_or_block(
        "rider/pool.html",
        "pool",
        status=status,
        off_duty=False,
        page=page,
        grabbed=grabbed,
        active_count=len(mine),
        full=len(mine) >= profile.max_active,
        max_active=profile.max_active,
        pickup_m=pickup_m,
        located=position is not None,
        version=_pool_version([card.id for card in page.items], page, mine, position, profile),
        poll_seconds=current_app.config["RIDER_POLL_SECONDS"],
        page_key=secrets.token_hex(8),
    )


def _pool_version(
    task_ids: list[int],
    page: Page,
    mine: list,
    position: tuple[float, float] | None,
    profile,
) -> str:
    """What the pool block shows, in a few characters: the page's tasks in their order, the pager,
    the rider's own tasks and their states, the cap, and roughly where the rider is (the pickup
    distances); a card's other text does not change in the pool."""
    where = tuple(round(x * POSITION_BUCKET) for x in position) if position is not None else None
    own = [(card.id, card.status) for card in mine]
    shown = (
        f"{task_ids}|{page.page}|{page.total}|{page.has_next}|{own}|{profile.max_active}|{where}"
    )
    return hashlib.blake2b(shown.encode(), digest_size=8).hexdigest()


@bp.post("/duty")
def duty():
    """开工 / 收工. With htmx the pool block comes back in its new state (the 开工 tap also arms
    the phone's sound for new tasks: static/js/rider-live.js)."""
    form = DutyForm()
    if not form.validate_on_submit():
        return _pool_page(status=422)
    on = form.on.data == "1"
    set_duty(g.actor, on)
    g.rider = standing(g.actor.user_id)
    if request.htmx:
        return _pool_page()
    return see_other(url_for(".index"), _("已开工，新订单会自动出现") if on else _("已收工"))


@bp.post("/position")
def position():
    """The phone's position while a task is on hand (at most every 30 s): 204, or a refusal."""
    form = PositionForm()
    if not form.validate_on_submit():
        return _("缺少定位"), 422
    record_position(g.actor, form.lat.data, form.lng.data)
    return "", 204


# ---- grabbing and tapping -------------------------------------------------------------------


def _grab_or_lose(task_id: int, key: str) -> DeliveryTask | None:
    """The grabbed task, or None when another rider has it (it left this rider's scope).

    Of 32 riders grabbing a task 31 lose, so losing is read without a transaction: the task is
    looked at first and, gone from this rider's scope, answered 已被抢 without BEGIN, a lock or
    COMMIT. A task still there is grabbed in the request's transaction: the rider's profile
    locked first (the cap is checked under that lock), then the task read again and moved by
    its compare-and-set, which alone decides the winner."""
    if not g.rider.task_in_scope:  # read with the rider's standing
        return None
    start_writing()
    locked = lock_profile(g.actor.user_id)
    task = task_to_tap(g.actor, task_id)
    if task is None:
        return None
    try:
        grab_once(task, g.actor, key, locked)  # my own second tap is no error
    except AlreadyTaken:
        discard_work()
        return None
    return task


TASK_ID = "__task_id__"  # where the 已被抢 card's id goes


def _taken_card(task_id: int) -> str:
    """已被抢 in place of the pool's card: 31 of 32 riders get it, the same words for every
    task, so it is drawn once per language and only the task's id is put in."""
    card = fragment(
        "rider-taken-card",
        str(get_locale()),
        caller=lambda: render_template("rider/_taken_card.html", task_id=TASK_ID),
    )
    return card.replace(TASK_ID, str(task_id))


@bp.post("/tasks/<int:task_id>/grab")
@reads_first
def grab(task_id: int):
    form = GrabForm()
    if not form.validate_on_submit():
        raise InvalidInput(BAD_KEY())
    if not g.rider.on_duty:
        raise IllegalTransition(OFF_DUTY())
    task = _grab_or_lose(task_id, form.key.data)
    if request.htmx:  # the card is swapped in place: 抢单成功 (with 到店) or 已被抢
        card = card_of(g.actor, task.id) if task else None
        if card is None:
            return _taken_card(task_id), 409
        position = _position()
        return render_template(
            "rider/grab.html",
            task=card,
            pickup_m={card.id: distance_m(card, *position)} if position else {},
            full=False,
        )
    if task is None:
        return see_other(url_for(".index"), _("已被抢"), "error")
    if task.status != TaskStatus.ACCEPTED:  # theirs already, and moved on since (a stale card)
        return see_other(url_for(".task", task_id=task.id), _("这一单已是您的配送"), "info")
    return see_other(url_for(".task", task_id=task.id), _("抢单成功"))


@bp.get("/tasks")
def tasks():
    finished = request.args.get("tab") == "done"
    query = rider_tasks(g.actor, finished).options(WITH_ITEMS)
    page = paginate(query, per_page=20)
    return render_page_or_block(
        "rider/tasks.html",
        "list",
        page=page,
        finished=finished,
        tracking=not finished and bool(page.items),
    )


@bp.get("/tasks/<int:task_id>")
def task(task_id: int):
    """One task; with htmx only its status card (the phone's script redraws it after a refusal)."""
    confirming = request.args.get("confirm") == TaskStatus.DELIVERED
    return render_page_or_block(
        "rider/task.html", "card", **_card(_task_or_404(task_id), confirming=confirming)
    )


@bp.post("/tasks/<int:task_id>/status")
def tap(task_id: int):
    """One tap of the big button, once per key; 送达 moves only with its confirming button (a
    送达 without it shows that button). A repeated tap changes nothing and shows the card again.
    The card needs the task alone (not its store, order and items)."""
    task = task_to_tap(g.actor, task_id)
    if task is None:
        abort(404)
    form = TapForm()
    if not form.validate_on_submit():
        return render_page_or_block("rider/task.html", "card", status=422, **_card(task, form))
    if form.to.data in CONFIRM_TAPS and not form.confirmed and task.status != form.to.data:
        if request.htmx:
            return render_page_or_block("rider/task.html", "card", **_card(task, confirming=True))
        return see_other(url_for(".task", task_id=task.id, confirm=form.to.data))
    tap_once(task, form.to.data, g.actor, form.key.data)
    if request.htmx:
        return render_page_or_block("rider/task.html", "card", **_card(task))
    return see_other(url_for(".task", task_id=task.id))


# 我的 (the ledger's figures, 提现) lives with the rider's money pages: app/portals/rider/finance.py
