"""Posting to the ledger: the only code that writes entries or moves an account's balances.

`post()` writes one posting and its entries and moves the accounts' cached balances in the same
unit of work. A posting's key is unique, so the same fact posted twice (a replayed event, a
retried job, two concurrent twins) posts once: the second `post()` finds the key taken and
writes nothing. A guarded line (`Line(..., guard=True)`) takes money out of a bucket only if the
bucket holds it, in one compare-and-set UPDATE: two withdrawals at once can never overdraw.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import event, insert, select, update
from sqlalchemy.orm import Session

from app.accounts.actor import Actor
from app.clock import utcnow
from app.errors import DomainError
from app.extensions import db
from app.finance.models import AccountKind, Entry, LedgerAccount, Posting
from app.i18n_markers import N_
from app.messages import define
from app.money import format_fen
from app.upsert import upsert_into

NOT_ENOUGH = define("ledger_not_enough", N_("余额不足：可提现 %(available)s，本次 %(amount)s"), ())


class NotEnoughMoney(DomainError):
    """A guarded line would take more than the bucket holds."""


class AppendOnly(RuntimeError):
    """Ledger rows are never changed or removed; post a correcting entry instead."""


@dataclass(frozen=True)
class Line:
    account_id: int
    bucket: str
    amount_fen: int
    guard: bool = False  # refuse if the bucket would go below zero


_OWNER = {AccountKind.STORE: "store_id", AccountKind.RIDER: "rider_id"}


def find_account_id(kind: str, owner_id: int | None = None) -> int | None:
    """The account's id, or None when it has never had an entry (reads only: pages use it)."""
    query = select(LedgerAccount.id).where(LedgerAccount.kind == kind)
    if kind != AccountKind.PLATFORM:
        if kind not in _OWNER or owner_id is None:
            raise ValueError(f"no account kind {kind!r} for owner {owner_id!r}")
        query = query.where(getattr(LedgerAccount, _OWNER[kind]) == owner_id)
    return db.session.execute(query).scalar()


def account_id_for(kind: str, owner_id: int | None = None) -> int:
    """The account of the platform, a store or a rider, created on first posting (one
    statement settles a race between two first postings)."""
    found = find_account_id(kind, owner_id)
    if found is not None:
        return found
    if kind == AccountKind.PLATFORM:
        raise LookupError("the platform's ledger account is missing: run `flask db upgrade`")
    column = _OWNER[kind]
    db.session.execute(
        upsert_into(LedgerAccount)
        .values(kind=kind, created_at=utcnow(), **{column: owner_id})
        .on_conflict_do_nothing(index_elements=[column])
    )
    return find_account_id(kind, owner_id)


def platform_account_id() -> int:
    return account_id_for(AccountKind.PLATFORM)


def store_account_id(store_id: int) -> int:
    return account_id_for(AccountKind.STORE, store_id)


def rider_account_id(rider_id: int) -> int:
    return account_id_for(AccountKind.RIDER, rider_id)


def is_posted(key: str) -> bool:
    return db.session.execute(select(Posting.id).where(Posting.key == key)).first() is not None


def post(
    key: str,
    kind: str,
    lines: list[Line],
    *,
    actor: Actor | None = None,
    remark: str = "",
    order_id: int | None = None,
    refund_id: int | None = None,
    withdrawal_id: int | None = None,
    task_id: int | None = None,
) -> bool:
    """Write the posting and its entries once; returns False when the key was already posted.

    Balances move first, account by account in id order (two postings touching the same accounts
    lock them in the same order on PostgreSQL, so they never deadlock); a guarded line that finds
    too little raises NotEnoughMoney and the unit of work writes nothing."""
    lines = [line for line in lines if line.amount_fen]
    if not lines:
        return False  # nothing moves (a commission of 0, no coupon to give back)
    now = utcnow()
    posting_id = db.session.execute(
        upsert_into(Posting)
        .values(
            key=key,
            kind=kind,
            order_id=order_id,
            refund_id=refund_id,
            withdrawal_id=withdrawal_id,
            task_id=task_id,
            actor_id=actor.user_id if actor else None,
            actor_name=(actor.name if actor else "")[:50],
            remark=remark[:200],
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(Posting.id)
    ).scalar()
    if posting_id is None:
        return False
    _move_balances(lines)
    db.session.execute(
        insert(Entry),
        [
            {
                "posting_id": posting_id,
                "account_id": line.account_id,
                "bucket": line.bucket,
                "amount_fen": line.amount_fen,
                "kind": kind,
                "order_id": order_id,
                "created_at": now,
            }
            for line in lines
        ],
    )
    return True


def lock_account(account_id: int) -> None:
    """Take the account's row lock (PostgreSQL) / the write lock (SQLite) before reading what
    was posted on it, so two postings that depend on earlier ones are computed one after the
    other (two refunds of one order at once, a refund racing the order's settlement)."""
    db.session.execute(
        update(LedgerAccount)
        .where(LedgerAccount.id == account_id)
        .values(pending_fen=LedgerAccount.pending_fen)
        .execution_options(synchronize_session=False)
    )


def _move_balances(lines: list[Line]) -> None:
    moves: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    guarded: dict[int, set[str]] = defaultdict(set)
    for line in lines:
        moves[line.account_id][line.bucket] += line.amount_fen
        if line.guard:
            guarded[line.account_id].add(line.bucket)
    for account_id in sorted(moves):
        by_bucket = moves[account_id]
        column = {b: getattr(LedgerAccount, f"{b}_fen") for b in by_bucket}
        statement = (
            update(LedgerAccount)
            .where(LedgerAccount.id == account_id)
            .values({column[b]: column[b] + amount for b, amount in by_bucket.items()})
            .execution_options(synchronize_session=False)
        )
        for bucket in guarded[account_id]:
            statement = statement.where(column[bucket] + by_bucket[bucket] >= 0)
        if db.session.execute(statement).rowcount != 1:
            bucket = next(iter(guarded[account_id]))
            held = db.session.execute(
                select(column[bucket]).where(LedgerAccount.id == account_id)
            ).scalar_one()
            raise NotEnoughMoney(
                NOT_ENOUGH(available=_yuan(held), amount=_yuan(-by_bucket[bucket]))
            )
    for obj in list(db.session.identity_map.values()):  # loaded accounts read the new figures
        if isinstance(obj, LedgerAccount) and obj.id in moves:
            db.session.expire(obj)


def _yuan(fen: int) -> str:
    return format_fen(fen)


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_ledger_changes(state) -> None:
    """Nor does a bulk `update(Entry)` / `delete(Posting)` statement through the session."""
    if (state.is_update or state.is_delete) and any(
        mapper.class_ in (Entry, Posting) for mapper in state.all_mappers
    ):
        raise AppendOnly("ledger postings and entries are append-only")


@event.listens_for(Session, "before_flush")
def _refuse_ledger_changes(session, flush_context, instances) -> None:
    """The ORM never updates or deletes a posting or an entry."""
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, Entry | Posting) and (
            obj in session.deleted or session.is_modified(obj)
        ):
            raise AppendOnly(f"{type(obj).__name__} {obj.id} is append-only")
