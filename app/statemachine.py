"""Transitions are data: each machine is one table of allowed moves and one guard.

A move is settled in the database with compare-and-set (`WHERE status = :expected`), so two
taps or two riders racing for the same row see exactly one winner on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from sqlalchemy import update

from app.errors import Forbidden, IllegalTransition
from app.extensions import db
from app.i18n_markers import N_
from app.messages import define

MOVE_NOT_ALLOWED = define(
    "move_not_allowed",
    N_("当前状态为「%(current)s」，不能改为「%(to)s」"),
    labels=("current", "to"),
)
ROLE_MAY_NOT_MOVE = define("role_may_not_move", N_("您的角色不能执行「%(verb)s」"), ("verb",))
CHANGED_MEANWHILE = define("changed_meanwhile", N_("状态已被他人更新，请刷新后再试"))


@dataclass(frozen=True)
class Move:
    verb: str  # what the button says: "发货", "接单"
    roles: frozenset[str]
    context: str = ""  # the msgctxt of the verb, where its English depends on it

    @property
    def verb_label(self) -> str | list[str]:
        """The verb as a message parameter: a msgid, or [context, msgid]."""
        return [self.context, self.verb] if self.context else self.verb


@dataclass(frozen=True)
class Machine:
    name: str
    labels: Mapping[str, str]
    moves: Mapping[tuple[str, str], Move]
    terminal: frozenset[str] = field(default_factory=frozenset)

    def label(self, status: str | None) -> str:
        return self.labels.get(status or "", status or "")

    def allowed(self, current: str, role: str) -> list[str]:
        return [to for (frm, to), mv in self.moves.items() if frm == current and role in mv.roles]

    def guard(self, current: str, to: str, role: str) -> Move:
        """Raise IllegalTransition with a sentence a person understands, or return the move."""
        move = self.moves.get((current, to))
        if move is not None and role not in move.roles and self.allowed(current, role):
            move = None  # the role moves on from here, just not to there: an illegal move
        if move is None:
            raise IllegalTransition(
                MOVE_NOT_ALLOWED(current=self.label(current), to=self.label(to))
            )
        if role not in move.roles:
            raise Forbidden(ROLE_MAY_NOT_MOVE(verb=move.verb_label))
        return move

    def compare_and_set(self, model, row_id: int, expected: str, to: str, **values) -> None:
        """Write the move only if nobody moved the row first; otherwise say it changed."""
        result = db.session.execute(
            update(model)
            .where(model.id == row_id, model.status == expected)
            .values(status=to, **values)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            raise IllegalTransition(CHANGED_MEANWHILE())


def moves(
    *rows: tuple[str, str, str, Iterable[str]], context: str = ""
) -> dict[tuple[str, str], Move]:
    return {(frm, to): Move(verb, frozenset(roles), context) for frm, to, verb, roles in rows}
