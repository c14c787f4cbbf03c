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
from sqlalchemy import Select, select

from app.extensions import db

FactQuery = Callable[[Any], Select]  # actor -> a SELECT of one value
_FACTS: dict[str, dict[str, FactQuery]] = {}


def layout_fact(portal: str, name: str) -> Callable[[FactQuery], FactQuery]:
    def register(query: FactQuery) -> FactQuery:
        _FACTS.setdefault(portal, {})[name] = query
        return query

    return register


class LayoutFacts:
    """The portal's figures for this request's actor, all read on the first one asked for."""

    def __init__(self, actor, queries: dict[str, FactQuery]):
        self._actor = actor
        self._queries = queries
        self._values: dict[str, Any] | None = None

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or name not in self._queries:
            raise AttributeError(name)
        if self._values is None:
            columns = [
                query(self._actor).scalar_subquery().label(fact)
                for fact, query in self._queries.items()
            ]
            self._values = dict(db.session.execute(select(*columns)).one()._mapping)
        return self._values[name]


def layout_facts() -> LayoutFacts | None:
    """This request's figures (None outside a portal or without an actor)."""
    if "layout_facts" not in g:
        actor, portal = g.get("actor"), g.get("portal")
        queries = _FACTS.get(portal or "")
        g.layout_facts = LayoutFacts(actor, queries) if actor is not None and queries else None
    return g.layout_facts
