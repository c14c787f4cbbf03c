"""What a statement carries in its text rather than as a parameter, so PostgreSQL plans it once.

psycopg prepares a statement the fifth time it runs on a connection. PostgreSQL then plans the
prepared statement afresh on every execution ("custom plans") unless a plan made without the
parameters' values ("generic") is estimated about as cheap. Two kinds of parameter made every
list's statement lose that comparison, so each request paid for a new plan, often more than the
statement's own execution (the store's order list at 100,000 orders: 1.2 ms of planning, 0.7 of
executing):

- a LIMIT or OFFSET: without the value the planner cannot know the page is 21 rows;
  `in_the_text` writes it into the text instead;
- the code's own constants: `status = 'shipped'`, `audit_status = 'approved'`, a store's kind
  (the `Enum` members; a plain string such as the courier name `'dada'` stays a parameter).
  Written as parameters, the generic plan guesses an average status where each custom plan
  knows a rare one. `_constants_in_the_text` makes every `Enum` member compared in a query part
  of the text (PostgreSQL only; SQLite plans each statement anyway).

Values people type (a search word, a phone number) and ids stay parameters: each distinct text
is its own prepared statement, and the constants and page offsets give only a handful. Both are
SQLAlchemy's post-compile rendering (`literal_execute`): the statement is compiled and cached
once, and the value is rendered by the column type's own literal processor at execution time,
so a cached statement never keeps an earlier request's value.
"""

from __future__ import annotations

from enum import Enum

from sqlalchemy import BindParameter, Integer, Select, bindparam, func, select
from sqlalchemy.ext.compiler import compiles


def in_the_text(name: str, value: int | None = None) -> BindParameter:
    """An integer (a LIMIT, an OFFSET) written into the statement's text, not sent beside it.
    With its `value` it is a parameter of its own (two capped counts in one statement, the
    list's and a tab badge's, never share one LIMIT); without, it is bound by `name` when the
    statement runs (a statement built once)."""
    return bindparam(name, value, type_=Integer, literal_execute=True, unique=value is not None)


def capped_count(counted: Select, cap: int) -> Select:
    """How many rows `counted` finds, reading at most cap + 1 of them (more than `cap` is all a
    page says: "1000+", "99+")."""
    capped = counted.order_by(None).limit(in_the_text("count_limit", cap + 1))
    return select(func.count()).select_from(capped.subquery())


def is_constant(value) -> bool:
    """A code's constant (an `Enum` member, or a list of them): written into the text."""
    if isinstance(value, Enum):
        return True
    return (
        isinstance(value, (list, tuple))
        and bool(value)
        and all(isinstance(item, Enum) for item in value)
    )


@compiles(BindParameter, "postgresql")
def _constants_in_the_text(element: BindParameter, compiler, **kw) -> str:
    """A query's `Enum` constants rendered at execution into the text (reads only: an INSERT's,
    UPDATE's or DELETE's values stay parameters, their plans are a primary-key probe anyway)."""
    if (
        element.callable is None
        and is_constant(element.value)
        and not (compiler.isinsert or compiler.isupdate or compiler.isdelete)
    ):
        kw["literal_execute"] = True
    return compiler.visit_bindparam(element, **kw)
