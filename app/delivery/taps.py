"""A rider's taps on a weak network: each carries a key made on the phone (or drawn with the form
when the page runs without JavaScript), and the first tap with a key is the only one that acts.

A tap retried after the network came back, or replayed by a phone that never saw the answer,
finds its first outcome in `task_taps` and moves nothing again: the state moves once and the
answer is the same. The key is claimed by one INSERT … ON CONFLICT DO NOTHING before the move,
in the same unit of work, so two copies arriving at once queue on the unique key and the second
reads what the first did. A refused tap claims nothing (its unit of work is rolled back), so
sending it again is asked again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import Insert, select, update

from app.accounts.actor import Actor
from app.clock import utcnow
from app.delivery.models import DeliveryTask, RiderProfile, TaskStatus, TaskTap
from app.delivery.services import advance_task, grab_task
from app.errors import InvalidInput
from app.extensions import db
from app.i18n_markers import N_
from app.messages import define
from app.upsert import upsert_into

KEY_PATTERN = re.compile(r"[A-Za-z0-9_-]{8,64}")
KEY_REUSED = define("tap_key_reused", N_("这个操作编号已用于另一次操作，请刷新页面后重试"))


class TapOutcome(StrEnum):
    MOVED = "moved"  # this tap moved the task
    SAME = "same"  # the task was already there (a twin without the key won, or a grab of mine)


@dataclass(frozen=True)
class Tap:
    outcome: str
    replayed: bool  # the key had been used: nothing was done now, the first outcome answers


def valid_key(key: str | None) -> bool:
    return bool(key) and KEY_PATTERN.fullmatch(key) is not None


def grab_once(
    task: DeliveryTask, actor: Actor, key: str, locked: RiderProfile | None = None
) -> Tap:
    """`grab_task` once per key (`locked`: the rider's profile, locked already)."""
    earlier = _claim(actor, key, task.id, TaskStatus.ACCEPTED)
    if earlier is not None:
        return _replayed(task, earlier)
    won = grab_task(task, actor, locked)
    return _settle(actor, key, TapOutcome.MOVED if won else TapOutcome.SAME)


def tap_once(task: DeliveryTask, to: str, actor: Actor, key: str) -> Tap:
    """`advance_task` once per key."""
    earlier = _claim(actor, key, task.id, to)
    if earlier is not None:
        return _replayed(task, earlier)
    moved = advance_task(task, to, actor)
    return _settle(actor, key, TapOutcome.MOVED if moved else TapOutcome.SAME)


def _replayed(task: DeliveryTask, outcome: str) -> Tap:
    """The task as the first tap left it (this copy may have waited for that tap's commit on
    the key, holding the task as it was before)."""
    db.session.refresh(task)
    return Tap(outcome, replayed=True)


def _claim(actor: Actor, key: str, task_id: int, to: str) -> str | None:
    """Claim the key for this tap: None when it is new; else the earlier tap's outcome. A key
    sent again for another task or another move is refused (a page's key is for one tap)."""
    claimed = db.session.execute(
        _claim_statement(),
        dict(
            rider_id=actor.user_id,
            key=key,
            task_id=task_id,
            to_status=to,
            outcome=TapOutcome.MOVED,  # what most taps do; `_settle` corrects it otherwise
            created_at=utcnow(),
        ),
    ).scalar_one_or_none()
    if claimed is not None:
        return None
    earlier = db.session.execute(
        select(TaskTap).where(TaskTap.rider_id == actor.user_id, TaskTap.key == key)
    ).scalar_one()
    if earlier.task_id != task_id or earlier.to_status != to:
        raise InvalidInput(KEY_REUSED())
    return earlier.outcome


def _settle(actor: Actor, key: str, outcome: TapOutcome) -> Tap:
    if outcome != TapOutcome.MOVED:  # the claim was written as MOVED
        db.session.execute(
            update(TaskTap)
            .where(TaskTap.rider_id == actor.user_id, TaskTap.key == key)
            .values(outcome=outcome)
            .execution_options(synchronize_session=False)
        )
    return Tap(outcome, replayed=False)


_CLAIMS: dict[str, Insert] = {}  # per database dialect


def _claim_statement() -> Insert:
    dialect = db.session.get_bind().dialect.name
    statement = _CLAIMS.get(dialect)
    if statement is None:
        statement = _CLAIMS[dialect] = (
            upsert_into(TaskTap)
            .on_conflict_do_nothing(index_elements=[TaskTap.rider_id, TaskTap.key])
            .returning(TaskTap.id)
        )
    return statement
