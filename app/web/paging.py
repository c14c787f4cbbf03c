"""Pages of a list: one query for the rows and, only when needed, one capped count.

Flask-SQLAlchemy's `db.paginate` counts every matching row on every request; on the platform's
order list that is a scan of the whole table for a number nobody reads exactly. Here the rows
query asks for one row more than a page (so "next" is known without counting), a first page that
is not full is its own total, and otherwise the count stops at COUNT_CAP ("共 1000+ 单", fifty
pages: past that a person filters, or exports, which has no cap); the order lists read that count
in the rows' own statement. Every page view pays for the count: at 10,000 the platform's list
read 10,001 index entries on each page at 100,000 orders, 2.8 ms of PostgreSQL's time.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import BindParameter, ColumnElement, Select, and_, bindparam
from sqlalchemy.sql.visitors import replacement_traverse

from app.extensions import db
from app.kept import Kept
from app.rows import read_rows
from app.sqltext import capped_count, in_the_text, is_constant
from app.web.bounds import MAX_PAGE, int_arg
from app.web.layout_facts import FACT_PREFIX, LayoutFacts

COUNT_CAP = 1_000
# The region's phone lists (the sales manager's tabs and pager, the driver's pager) count to 99
# and then say "99+", as phone apps' badges do: they read at most 100 index entries however many
# orders the region holds (at 100,000 orders a driver had 477 to count on every page view).
PHONE_COUNT_CAP = 99
TOTAL_COLUMN = "page_total"  # the capped count, when it rides along with the rows


@dataclass
class Page:
    items: list[Any]
    page: int
    per_page: int
    total: int
    total_capped: bool  # more rows than the cap: `total` is the cap, shown as "10000+"
    has_next: bool

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1

    @property
    def total_label(self) -> str:
        return f"{self.total}+" if self.total_capped else str(self.total)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page), self.page + (1 if self.has_next else 0))


def paginate(
    query: Select,
    per_page: int,
    counted: Select | None = None,
    as_rows: bool = False,
    cap: int | None = None,
) -> Page:
    """The rows of the page asked for by ?page= and what the pager needs to draw itself.

    `query` selects ORM objects, or with `as_rows=True` plain rows (a Core select of the shown
    columns); `counted`, when given, is what the capped count counts (the same WHERE without the
    columns and joins only the page needs); `cap` is where counting stops (COUNT_CAP unless
    given). The busy lists build their statement once (`shaped_page`) and carry the count and
    the layout's figures in it."""
    cap = COUNT_CAP if cap is None else cap
    page = int_arg("page", 1, low=1, high=MAX_PAGE)
    offset = (page - 1) * per_page
    rows = query.limit(in_the_text("page_limit", per_page + 1))
    rows = rows.offset(in_the_text("page_offset", offset))
    if as_rows:
        found = list(read_rows(rows).all())
    else:
        found = list(db.session.execute(rows).scalars().unique())
    has_next = len(found) > per_page
    found = found[:per_page]
    if not has_next and (found or page == 1):  # the last page tells the total by itself
        return Page(found, page, per_page, offset + len(found), False, has_next)
    total = read_rows(capped_count(query if counted is None else counted, cap)).scalar() or 0
    return Page(found, page, per_page, min(total, cap), total > cap, has_next)


# ---- a list's statement built once per shape ------------------------------------------------
#
# A list page's statement is large (its columns, joins, the items' subqueries, the capped count,
# the layout's figures) and was built, and its cache key computed, on every request: about a
# third of the store's order list in-process, more than PostgreSQL spends running it. What
# changes from one request to the next is its WHERE: the actor's scope and the filter bar. So
# the statement is built once per *shape* of that WHERE (SQLAlchemy's cache key of it, which
# leaves out the values) and kept; each request computes the key of its few WHERE clauses and
# sends their values.
#
# The kept statement holds no request's values: its WHERE is the first request's with every
# bound value replaced by a required named parameter (`w0`, `w1`, ... in the order SQLAlchemy's
# cache key lists them, the same for every WHERE of one shape). A value not given when the
# statement runs is an error, never an earlier request's value.

SHAPES_KEPT = 500  # statements per process (a handful per list: roles x which filters are set)


@dataclass(frozen=True)
class _Shaped:
    rows: Select  # the page's rows with the capped count (and the layout's figures) beside them
    count: Select  # the capped count alone (a page past the end has no row to carry it)


_shapes: Kept[_Shaped] = Kept(SHAPES_KEPT)


def shaped_page(
    where: Sequence[ColumnElement[bool]],
    build: Callable[[list[ColumnElement[bool]]], tuple[Select, Select]],
    per_page: int,
    *,
    shape: Hashable = (),
    cap: int | None = None,
    facts: LayoutFacts | None = None,
    params: dict[str, Any] | None = None,
) -> Page:
    """`paginate` of plain rows, the statement built once per shape of `where`.

    `build(where)` makes the rows' select (ordered) and what the count counts from `where` and
    from constants only: everything else it depends on goes into `shape`. It is called once per
    shape, with `where`'s values replaced by named parameters. `params`: values of parameters
    `build`'s statements have by name (statements built once with them)."""
    cap = COUNT_CAP if cap is None else cap
    key = and_(*where)._generate_cache_key() if where else None
    bound = key.bindparams if key is not None else []
    full_key = (key and key.key, shape, cap, facts.shape if facts is not None else None)
    shaped = _shapes.get(full_key)
    if shaped is None:
        shaped = _shapes.keep(full_key, _shaped(where, bound, build, cap, facts))
    params = dict(params or {})
    params.update((f"w{i}", parameter.effective_value) for i, parameter in enumerate(bound))
    if facts is not None:
        params.update(facts.params())
    page = int_arg("page", 1, low=1, high=MAX_PAGE)
    offset = (page - 1) * per_page
    params["page_limit"], params["page_offset"] = per_page + 1, offset
    found = list(read_rows(shaped.rows, params).all())
    if facts is not None and found:
        facts.take(found[0])
    has_next = len(found) > per_page
    found = found[:per_page]
    if not has_next and (found or page == 1):
        return Page(found, page, per_page, offset + len(found), False, has_next)
    total = found[0]._mapping[TOTAL_COLUMN] if found else read_rows(shaped.count, params).scalar()
    return Page(found, page, per_page, min(total, cap), total > cap, has_next)


def _shaped(where, bound: Sequence[BindParameter], build, cap: int, facts) -> _Shaped:
    query, counted = build(_named(where, bound))
    counting = capped_count(counted, cap)
    query = query.add_columns(counting.scalar_subquery().label(TOTAL_COLUMN))
    if facts is not None:
        query = query.add_columns(*facts.ride_along())
    query = query.limit(in_the_text("page_limit")).offset(in_the_text("page_offset"))
    return _Shaped(query, counting)


def _named(where, bound: Sequence[BindParameter]) -> list[ColumnElement[bool]]:
    """`where` with each bound value replaced by a required parameter named by its place."""
    place = {id(parameter): i for i, parameter in enumerate(bound)}

    def named(element, **_kw):
        if isinstance(element, BindParameter) and id(element) in place:
            return bindparam(
                f"w{place[id(element)]}",
                type_=element.type,
                expanding=element.expanding,
                literal_execute=element.literal_execute or is_constant(element.value),
                required=True,
            )
        return None

    return [replacement_traverse(clause, {}, named) for clause in where]


def without_total(row) -> dict:
    """A row of a `shaped_page` as a dict of its own columns (without the count and figures)."""
    return {
        key: value
        for key, value in row._mapping.items()
        if key != TOTAL_COLUMN and not key.startswith(FACT_PREFIX)
    }


def count_label(count: int, cap: int = PHONE_COUNT_CAP) -> str:
    """A capped count as shown: "99+" past the cap, "" for none (a tab then shows no badge)."""
    if not count:
        return ""
    return f"{cap}+" if count > cap else str(count)
