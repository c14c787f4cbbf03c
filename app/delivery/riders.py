"""A rider's standing in the 配送助手 and the one rule whether they may take another task.

Grabbing from the pool and a dispatcher's assignment both end in `check_can_take`, under a lock
on the rider's profile row, so two tasks arriving at once cannot push a rider over their cap.
"""

from __future__ import annotations

from sqlalchemy import bindparam, func, select

from app.clock import utcnow
from app.delivery.models import ACTIVE, DeliveryTask, RiderProfile, RiderStatus
from app.delivery.scope import RIDER_TASK_IN_SCOPE
from app.errors import Forbidden, IllegalTransition
from app.extensions import db
from app.i18n_markers import N_
from app.messages import define
from app.rows import read_rows

RIDER_NOT_APPROVED = define("rider_not_approved", N_("骑手 %(name)s 未通过审核或已停用"))
RIDER_OFF_DUTY = define("rider_off_duty", N_("骑手 %(name)s 未开工"))
RIDER_FULL = define("rider_full", N_("骑手 %(name)s 已有 %(load)s 单在配送，达到上限 %(cap)s 单"))


def rider_profile(user_id: int) -> RiderProfile | None:
    return db.session.get(RiderProfile, user_id)


def ensure_profile(
    user_id: int, *, status: str = RiderStatus.APPROVED, on_duty: bool = False
) -> RiderProfile:
    """The rider's profile, made when a rider role is given (demo data, tests, dispatchers)."""
    profile = db.session.get(RiderProfile, user_id)
    if profile is None:
        profile = RiderProfile(
            user_id=user_id,
            status=status,
            on_duty=on_duty,
            duty_changed_at=utcnow() if on_duty else None,
        )
        db.session.add(profile)
        db.session.flush()
    return profile


def active_load(rider_id: int) -> int:
    """Tasks on the rider's hands now (accepted, at the store, picked up, on the way)."""
    return (
        db.session.scalar(
            select(func.count())
            .select_from(DeliveryTask)
            .where(DeliveryTask.rider_id == rider_id, DeliveryTask.status.in_(ACTIVE))
        )
        or 0
    )


# A rider's standing, read on every rider request as a row (nothing there writes it): whether
# they may work at all, are at work, and their cap. Built once.
STANDING = select(
    RiderProfile.status, RiderProfile.review_note, RiderProfile.on_duty, RiderProfile.max_active
).where(RiderProfile.user_id == bindparam("user_id"))
# ... and whether one task is still in their scope (a grab's first look): one statement
STANDING_AND_TASK = STANDING.add_columns(RIDER_TASK_IN_SCOPE.exists().label("task_in_scope"))


def standing(rider_id: int):
    """The rider's standing row (status, review_note, on_duty, max_active), None without a
    profile."""
    return read_rows(STANDING, {"user_id": rider_id}).first()


def standing_with_task(rider_id: int, task_id: int):
    """`standing` with `task_in_scope`: the task is still the rider's to see (waiting in the pool
    while they are at work, or already theirs); False once another rider took it."""
    return read_rows(STANDING_AND_TASK, standing_and_task_values(rider_id, task_id)).first()


def standing_and_task_values(rider_id: int, task_id: int) -> dict[str, int]:
    """STANDING_AND_TASK's parameters."""
    return {"user_id": rider_id, "rider_id": rider_id, "task_id": task_id}


# The profile row locked until the commit (PostgreSQL; SQLite serialises writers), read fresh
# (a twin request may have changed it while this one waited on the lock). Built once.
LOCKED_PROFILE = (
    select(RiderProfile)
    .where(RiderProfile.user_id == bindparam("user_id"))
    .with_for_update(of=RiderProfile)  # not the joined user (PostgreSQL refuses outer joins)
    .execution_options(populate_existing=True)
)


def lock_profile(rider_id: int) -> RiderProfile | None:
    """The profile row locked until the commit."""
    return db.session.execute(LOCKED_PROFILE, {"user_id": rider_id}).scalar_one_or_none()


def check_can_take(rider_id: int, locked: RiderProfile | None = None) -> RiderProfile:
    """Approved, on duty and below the cap, checked under the profile's lock; else a refusal
    naming the rider (the dispatcher reads it on the board, the rider on the card).

    `locked`: the rider's profile as `lock_profile` read it earlier in this same transaction (a
    rider's grab locks it first thing, with its standing check): not read a second time."""
    if locked is not None and locked.user_id != rider_id:
        raise ValueError("the locked profile is another rider's")
    profile = locked if locked is not None else lock_profile(rider_id)
    name = profile.user.name if profile else ""
    if profile is None or profile.status != RiderStatus.APPROVED or not profile.user.active:
        raise Forbidden(RIDER_NOT_APPROVED(name=name))
    if not profile.on_duty:
        raise IllegalTransition(RIDER_OFF_DUTY(name=name))
    load = active_load(rider_id)
    if load >= profile.max_active:
        raise IllegalTransition(RIDER_FULL(name=name, load=load, cap=profile.max_active))
    return profile
