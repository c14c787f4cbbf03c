"""The figures a portal's layout shows on every page, read in one statement.

A store page shows its 售后 badge and starts the new-order alert from the newest order; a
platform page shows the 售后 appeals and the withdrawals waiting. Each of these was its own
query, i.e. its own round trip, on every page. Each domain now offers the figure as a one-column
SELECT, the portal registers it under a name, and the first time a page asks for one figure
(`facts.aftersales_todo` in a template) all of the portal's figures come back together as
scalar subqueries of one SELECT.

    @layout_fact("store", "aftersales_todo")
    def _todo(actor):
        return store_waiting_query(actor.store_id)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import g
from sqlalchemy import Select, bindparam, select

from app.accounts.actor import Actor
from app.rows import read_rows

FactQuery = Callable[[Actor], Select]  # actor -> a SELECT of one value; the actor's ids may be
# bound parameters (see BOUND_ACTOR): compare them, never branch on them
_FACTS: dict[str, dict[str, FactQuery]] = {}


def layout_fact(portal: str, name: str) -> Callable[[FactQuery], FactQuery]:
    def register(query: FactQuery) -> FactQuery:
        _FACTS.setdefault(portal, {})[name] = query
        return query

    return register


# The actor as bound parameters: a portal's figures are one statement per role, built once and
# cached (building and hashing a statement cost more than running it), run with the values.
BOUND_ACTOR = {
    "user_id": "actor_user_id",
    "store_id": "actor_store_id",
    "region_id": "actor_region_id",
}
_STATEMENTS: dict[tuple[str, str], Select] = {}
FACT_PREFIX = "fact_"  # how the figures are named when they ride along in a page's statement


def _statement(portal: str, role: str, queries: dict[str, FactQuery]) -> Select:
    found = _STATEMENTS.get((portal, role))
    if found is None:
        actor = Actor(role=role, **{field: bindparam(name) for field, name in BOUND_ACTOR.items()})
        columns = [query(actor).scalar_subquery().label(f) for f, query in queries.items()]
        found = _STATEMENTS[portal, role] = select(*columns)
    return found


class LayoutFacts:
    """The portal's figures for this request's actor, all read on the first one asked for."""

    def __init__(self, portal: str, actor: Actor, queries: dict[str, FactQuery]):
        self._portal = portal
        self._actor = actor
        self._queries = queries
        self._values: dict[str, Any] | None = None

    @property
    def shape(self) -> tuple[str, str]:
        """What the figures' statement depends on besides its values."""
        return self._portal, self._actor.role

    def params(self) -> dict[str, Any]:
        return {name: getattr(self._actor, field) for field, name in BOUND_ACTOR.items()}

    def ride_along(self) -> list:
        """The figures as extra columns for the page's own statement (their values: `params`);
        `take(row)` reads them back, and no statement of their own is needed."""
        statement = _statement(self._portal, self._actor.role, self._queries)
        return [c.element.label(FACT_PREFIX + c.name) for c in statement.selected_columns]

    def take(self, row) -> None:
        mapping = row._mapping
        self._values = {name: mapping[FACT_PREFIX + name] for name in self._queries}

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or name not in self._queries:
            raise AttributeError(name)
        if self._values is None:
            statement = _statement(self._portal, self._actor.role, self._queries)
            self._values = dict(read_rows(statement, self.params()).one()._mapping)
        return self._values[name]


def layout_facts() -> LayoutFacts | None:
    """This request's figures (None outside a portal or without an actor)."""
    if "layout_facts" not in g:
        actor, portal = g.get("actor"), g.get("portal")
        queries = _FACTS.get(portal or "")
        g.layout_facts = (
            LayoutFacts(portal, actor, queries) if actor is not None and queries else None
        )
    return g.layout_facts
