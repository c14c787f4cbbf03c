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

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select

from app.extensions import db
from app.rows import read_rows
from app.sqltext import capped_count, in_the_text
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
    count_in_rows: bool = False,
    facts: LayoutFacts | None = None,
    params: dict | None = None,
) -> Page:
    """The rows of the page asked for by ?page= and what the pager needs to draw itself.

    `query` selects ORM objects, or with `as_rows=True` plain rows (a Core select of the shown
    columns); `counted`, when given, is what the capped count counts (the same WHERE without the
    columns and joins only the page needs); `cap` is where counting stops (COUNT_CAP unless
    given). With `count_in_rows` (rows only) the capped count rides along in the rows' statement
    as a scalar subquery, one round trip instead of two; each row then carries it as the extra
    column `TOTAL_COLUMN`. `facts` (rows only): the layout's figures ride along the same way
    (`without_total` gives a row's own columns). `params`: values of the statements' bound
    parameters (a statement built once with them)."""
    cap = COUNT_CAP if cap is None else cap
    page = int_arg("page", 1, low=1, high=MAX_PAGE)
    offset = (page - 1) * per_page
    counting = capped_count(query if counted is None else counted, cap)
    if count_in_rows and as_rows:
        query = query.add_columns(counting.scalar_subquery().label(TOTAL_COLUMN))
    params = dict(params or {})
    if facts is not None and as_rows:
        columns, fact_params = facts.ride_along()
        query = query.add_columns(*columns)
        params.update(fact_params)
    query = query.limit(in_the_text("page_limit", per_page + 1))
    query = query.offset(in_the_text("page_offset", offset))
    if as_rows:
        found = list(read_rows(query, params).all())
    else:
        found = list(db.session.execute(query, params).scalars().unique())
    if facts is not None and as_rows and found:
        facts.take(found[0])
    has_next = len(found) > per_page
    found = found[:per_page]
    if not has_next and (found or page == 1):  # the last page tells the total by itself
        return Page(found, page, per_page, offset + len(found), False, has_next)
    if count_in_rows and found:
        total = found[0]._mapping[TOTAL_COLUMN]
    else:
        total = read_rows(counting, params).scalar() or 0
    return Page(found, page, per_page, min(total, cap), total > cap, has_next)


def without_total(row) -> dict:
    """A row of a `count_in_rows` (or `facts`) page as a dict of its own columns."""
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
