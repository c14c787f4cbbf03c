"""Time-based rules in one place: domains schedule deadlines, one sweep applies the due ones.

A domain registers what happens when its kind of deadline falls due (`@on_due("order.close_unpaid")`
in its own package), and calls `schedule()` / `cancel()` inside its unit of work as the rule
starts or stops applying. `sweep()` applies every due deadline, each in its own unit of work,
exactly once: a deadline missed while the app was down is applied by the next sweep.

Handlers take the subject id and must check that the rule still applies (close the order only
if it is still unpaid): a deadline can be re-opened by `schedule()` after it was applied.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import Insert, delete, null, select, update

from app.clock import utcnow
from app.deadlines.models import Deadline
from app.extensions import db
from app.jobs import unit_of_work
from app.upsert import upsert_into

log = logging.getLogger(__name__)

Handler = Callable[[int], None]
Periodic = Callable[[], object]

KIND_LENGTH = 40  # Deadline.kind is String(40)
ERROR_LENGTH = 2000

_handlers: dict[str, Handler] = {}
_periodic: list[Periodic] = []


class Outcome(StrEnum):
    APPLIED = "applied"  # the handler ran and its work is committed
    FAILED = "failed"  # the handler raised (or none is registered); retried by the next sweep
    SKIPPED = "skipped"  # not open and due any more: another sweep applied it, or it moved


@dataclass
class SweepResult:
    applied: int = 0
    failed: int = 0
    skipped: int = 0
    periodic: int = 0  # every_sweep functions that ran to the end
    periodic_failed: int = 0


def on_due(kind: str) -> Callable[[Handler], Handler]:
    """Register the handler applied when a deadline of this kind falls due; handler(subject_id).
    Domains register their own kinds in their own package."""
    if not kind or len(kind) > KIND_LENGTH:
        raise ValueError(f"deadline kind must be 1 to {KIND_LENGTH} characters: {kind!r}")

    def register(handler: Handler) -> Handler:
        known = _handlers.get(kind)
        if known is not None and _name(known) != _name(handler):
            raise ValueError(f"deadline kind {kind!r} is already handled by {_name(known)}")
        _handlers[kind] = handler
        return handler

    return register


def every_sweep(func: Periodic) -> Periodic:
    """Register periodic work run once per sweep after the deadlines (e.g. retrying outbox rows
    Redis refused). It runs in its own unit of work: the sweep commits after it returns."""
    if func not in _periodic:
        _periodic.append(func)
    return func


_UPSERTS: dict[tuple[str, bool], Insert] = {}  # per database dialect, ORM entity or table


def _upsert(orm: bool, kind: str, subjects: list[int], due_at: datetime):
    """The upsert of these deadlines and its rows. The statement carries no values (the rows
    go as parameters): it is built once per database and compiled once, whatever the number
    of subjects."""
    if len(kind) > KIND_LENGTH:
        raise ValueError(f"deadline kind longer than {KIND_LENGTH} characters: {kind!r}")
    if due_at.tzinfo is not None:
        due_at = due_at.astimezone(UTC).replace(tzinfo=None)
    key = (db.session.get_bind().dialect.name, orm)
    stmt = _UPSERTS.get(key)
    if stmt is None:
        stmt = upsert_into(Deadline if orm else Deadline.__table__)
        # One statement, so two units of work scheduling the same deadline cannot both insert
        # it. null(), not None: a SET parameter without a value would make SQLAlchemy send a
        # batch one row at a time.
        stmt = stmt.on_conflict_do_update(
            index_elements=[Deadline.kind, Deadline.subject_id],
            set_={
                "due_at": stmt.excluded.due_at,
                "done_at": null(),
                "attempts": 0,
                "last_error": "",
            },
        )
        # RETURNING makes a batch one multi-row INSERT (SQLAlchemy's "insertmanyvalues")
        # rather than one INSERT per row through the driver's executemany.
        stmt = _UPSERTS[key] = stmt.returning(Deadline if orm else Deadline.__table__.c.id)
    rows = [
        dict(kind=kind, subject_id=subject, due_at=due_at, attempts=0, last_error="")
        for subject in subjects
    ]
    return stmt, rows


def schedule(kind: str, subject_id: int, due_at: datetime) -> Deadline:
    """Set (or move) the deadline of this kind for this subject; one open row per
    (kind, subject_id). A deadline already applied is re-opened with the new due time.
    Flushes, never commits. `due_at` is naive UTC (an aware datetime is converted)."""
    stmt, [row] = _upsert(True, kind, [subject_id], due_at)
    return db.session.scalars(stmt, row, execution_options={"populate_existing": True}).one()


def schedule_all(kind: str, subject_ids: list[int], due_at: datetime) -> None:
    """`schedule` for several subjects due at the same time, in one statement (a checkout's
    orders). Flushes, never commits."""
    if subject_ids:
        stmt, rows = _upsert(False, kind, list(subject_ids), due_at)
        db.session.execute(stmt, rows).all()


def cancel(kind: str, subject_id: int) -> None:
    """Forget an open deadline (the rule no longer applies); an applied one stays as history.
    Flushes, never commits."""
    db.session.execute(
        delete(Deadline).where(
            Deadline.kind == kind, Deadline.subject_id == subject_id, Deadline.done_at.is_(None)
        )
    )


def sweep(now: datetime | None = None, limit: int = 500) -> SweepResult:
    """Apply up to `limit` due deadlines, each in its own unit of work, then run every
    `every_sweep` function. Safe to run twice at once: each deadline is applied once.

    The sweep is a job: it commits whatever the session already holds before it starts.
    Deadlines that failed before go after the fresh ones, so a few broken rows cannot hold
    up the rest.
    """
    now = now or utcnow()
    with unit_of_work():  # ends what the session held and the read: each deadline is its own
        due = list(
            db.session.scalars(
                select(Deadline.id)
                .where(Deadline.done_at.is_(None), Deadline.due_at <= now)
                .order_by(Deadline.attempts, Deadline.due_at, Deadline.id)
                .limit(limit)
            )
        )
    result = SweepResult()
    for deadline_id in due:
        outcome = apply_due(deadline_id, now)
        if outcome is Outcome.APPLIED:
            result.applied += 1
        elif outcome is Outcome.FAILED:
            result.failed += 1
        else:
            result.skipped += 1
    if len(due) == limit:
        log.warning("deadline sweep hit its limit of %d; the rest wait for the next sweep", limit)
    for func in list(_periodic):
        try:
            with unit_of_work():
                func()
            result.periodic += 1
        except Exception:
            result.periodic_failed += 1
            log.exception("periodic work %s failed during the deadline sweep", _name(func))
    return result


class NoHandler(LookupError):
    """A deadline of a kind nobody registered (its domain is not loaded, or was removed)."""


def apply_due(deadline_id: int, now: datetime | None = None) -> Outcome:
    """Apply one deadline if it is still open and due, in its own unit of work.

    The claim is a compare-and-set (`UPDATE ... WHERE done_at IS NULL`) in the same
    transaction as the handler's work: a second sweep waits for it, then finds the row done.
    If the handler raises, everything rolls back and the row keeps the error for a retry.
    """
    now = now or utcnow()
    try:
        with unit_of_work():  # the handler's work, the claim and its deferred jobs go together
            claimed = db.session.execute(
                update(Deadline)
                .where(
                    Deadline.id == deadline_id, Deadline.done_at.is_(None), Deadline.due_at <= now
                )
                .values(done_at=utcnow())
                .returning(Deadline.kind, Deadline.subject_id)
                .execution_options(synchronize_session=False)
            ).one_or_none()
            if claimed is None:
                return Outcome.SKIPPED  # another sweep applied it, or it moved: nothing written
            kind, subject_id = claimed
            handler = _handlers.get(kind)
            if handler is None:
                raise NoHandler(f"no handler registered for deadline kind {kind!r}")
            handler(subject_id)
    except Exception as exc:
        log.exception("deadline %s failed; it stays open for the next sweep", deadline_id)
        error = str(exc) if isinstance(exc, NoHandler) else f"{type(exc).__name__}: {exc}"
        _record_failure(deadline_id, error)
        return Outcome.FAILED
    return Outcome.APPLIED


def _record_failure(deadline_id: int, error: str) -> None:
    try:
        with unit_of_work():
            db.session.execute(
                update(Deadline)
                .where(Deadline.id == deadline_id, Deadline.done_at.is_(None))
                .values(attempts=Deadline.attempts + 1, last_error=error[:ERROR_LENGTH])
                .execution_options(synchronize_session=False)
            )
    except Exception:
        log.exception("could not record the failure of deadline %s", deadline_id)


def _name(func: Callable) -> str:
    return f"{func.__module__}:{func.__qualname__}"
