"""Who the session's person is, on every request, for the price of one narrow statement.

The session holds `<id>:<session version>` (User.get_id). Logging out, being disabled or losing
a role moves the version on, so an older cookie loads nobody. Every portal reads the person with
their grants and each grant's store or region (the guard, the layout, the role switcher), and
building those objects from a wide joined row was the biggest single cost of a small request.

On PostgreSQL each process keeps a detached copy of that graph per person, with a stamp: the
`xmin` of every row in it (the person's, each grant's, each grant's store and region). PostgreSQL
gives a row a new `xmin` whenever it is written, and a grant added or removed changes the list,
so the stamp read on each request (one statement, no objects built) differs as soon as anything
the copy holds has changed, in any process. Same stamp: the copy is merged into the request's
session without a query (`merge(load=False)`); else the person is loaded again and the copy
renewed. The same statement checks the version and `active`, so a disabled person or an old
session is out on the very next request, as before.

A portal whose every request reads one more small row about the person (the rider's standing,
a shop member's price level) has it read in that same statement (`read_alongside`): one round
trip and one statement fewer on each of its requests.

SQLite has no `xmin`: there the person is loaded on every request (development and tests), and
the portals read their rows themselves.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable
from dataclasses import dataclass, field

from flask import has_request_context, request
from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import Session, joinedload

from app.accounts.models import RoleGrant, User
from app.extensions import db
from app.kept import Kept

# The person, their roles, each role's store or region: the tables the stamp covers.
LOAD_USER = (
    select(User)
    .options(
        joinedload(User.grants).options(joinedload(RoleGrant.store), joinedload(RoleGrant.region))
    )
    .where(
        User.id == bindparam("user_id"),
        User.session_version == bindparam("version"),
        User.active,
    )
)
STAMPED_TABLES = frozenset({"users", "role_grants", "stores", "regions"})

STAMP_COLUMNS = """
    u.session_version, u.active, u.xmin::text || '|' || coalesce((
        SELECT string_agg(
            g.id || ':' || g.xmin::text || ':' || coalesce(s.xmin::text, '-')
                || ':' || coalesce(r.xmin::text, '-'),
            ',' ORDER BY g.id)
        FROM role_grants g
        LEFT JOIN stores s ON s.id = g.store_id
        LEFT JOIN regions r ON r.id = g.region_id
        WHERE g.user_id = u.id), '') AS stamp"""
STAMP_SQL = f"SELECT {STAMP_COLUMNS}\nFROM users u\nWHERE u.id = %(user_id)s"  # psycopg's style
STAMP_WIDTH = 3  # the stamp's own columns; a portal's row follows them


@dataclass(eq=False)
class Alongside:
    """A portal's own row, read in the person's statement on each of its requests instead of in
    a statement of its own (one round trip and one statement's execution less a request: the
    rider's standing, a shop member's price level). `statement` selects one row (or none) with
    the person's id bound as `user_id`; `params(user_id, view_args)` adds values of its own."""

    name: str
    statement: Select
    params: Callable[[int, dict], dict] | None = None
    _sql: str | None = None
    _defaults: dict = field(default_factory=dict)
    _row: type | None = None

    def sql(self, dialect) -> str:
        """The stamp's statement with this row beside it (LEFT JOIN LATERAL: no row, NULLs),
        compiled once; the code's constants written into the text as `sqltext` writes them."""
        if self._sql is None:
            unbound = [k for k, v in self.statement.compile().params.items() if v is None]
            compiled = self.statement.params(dict.fromkeys(unbound, 0)).compile(
                dialect=dialect, compile_kwargs={"render_postcompile": True}
            )  # (only the constants are written in; the placeholders' 0s are not sent)
            expanded = compiled.construct_expanded_state()
            self._defaults = {k: v for k, v in expanded.parameters.items() if k not in unbound}
            self._row = namedtuple("Row", list(self.statement.selected_columns.keys()), rename=True)
            self._sql = (
                f"SELECT {STAMP_COLUMNS}, alongside.*\nFROM users u\n"
                f"LEFT JOIN LATERAL ({compiled.string}) AS alongside ON true\n"
                "WHERE u.id = %(user_id)s"
            )
        return self._sql

    def values(self, user_id: int, view_args: dict) -> dict:
        extra = self.params(user_id, view_args) if self.params else {}
        return {**self._defaults, **extra, "user_id": user_id}

    def row_of(self, values: tuple):
        """The portal's row; None when its statement found none (every column NULL)."""
        if all(value is None for value in values):
            return None
        return self._row._make(values)


_alongside: dict[str, Alongside] = {}  # endpoint or blueprint name -> its row
NOT_READ = object()
ALONGSIDE_KEY = "haoshang.person_alongside"  # this request's (kept with the request, not on
# `g`: a test's app context can outlive several requests)


def read_alongside(where: str, name: str, statement: Select, params=None) -> None:
    """Read `statement`'s row with the person on every request of a blueprint (or of one
    endpoint, `where` with a dot, which wins over its blueprint's). PostgreSQL only: elsewhere
    `alongside` says NOT_READ and the portal runs the statement itself."""
    _alongside[where] = Alongside(name, statement, params)


def alongside(name: str):
    """The row `name` read with this request's person, None when there was none, NOT_READ when
    it was not read with the person (SQLite, a test's own session, no person yet)."""
    found = request.environ.get(ALONGSIDE_KEY)
    if found is None or found[0] != name:
        return NOT_READ
    return found[1]


def _alongside_of_request() -> Alongside | None:
    if not _alongside or not has_request_context():
        return None
    endpoint = request.endpoint or ""
    return _alongside.get(endpoint) or _alongside.get(endpoint.partition(".")[0])


KEPT = 2_000  # people per process; the least recently seen are dropped first


class People(Kept[tuple[str, User]]):
    """The per-process copies: user id -> (stamp, detached User with grants, stores, regions)."""

    def copy_of(self, user_id: int, stamp: str) -> User | None:
        found = self.get(user_id)
        return found[1] if found is not None and found[0] == stamp else None


people = People(KEPT)


def load_person(session_id: str) -> User | None:
    """The session's person and their roles, if the session is still valid."""
    user_id, _, version = session_id.partition(":")
    if not (user_id.isdecimal() and version.isdecimal()):
        return None
    values = {"user_id": int(user_id), "version": int(version)}
    session = db.session()
    if session.get_bind().dialect.name != "postgresql" or _in_the_session(session, values):
        return _load(session, values)
    along = _alongside_of_request()
    row = _stamp_of(session, values["user_id"], along)
    if row is None:
        return None
    session_version, active, stamp = row[:STAMP_WIDTH]
    if session_version != values["version"] or not active:
        return None
    if along is not None:
        request.environ[ALONGSIDE_KEY] = (along.name, along.row_of(row[STAMP_WIDTH:]))
    copy = people.copy_of(values["user_id"], stamp)
    if copy is None:
        copy = _detached_copy(session, values)
        if copy is None:  # changed between the two statements: the next request looks again
            return _load(session, values)
        people.keep(values["user_id"], (stamp, copy))
    return session.merge(copy, load=False)


def _stamp_of(session: Session, user_id: int, along: Alongside | None = None) -> tuple | None:
    """The stamp's row (and a portal's row beside it), sent by the driver itself on the
    request's connection (its transaction, or a GET's read-only connection): fixed text with an
    integer or two, where SQLAlchemy's execution layers cost twice the statement (0.45 ms
    against 0.22 on the bench machine, every request)."""
    connection = session.connection()
    driver = connection.connection.driver_connection
    if along is None:
        return driver.execute(STAMP_SQL, {"user_id": user_id}).fetchone()
    sql = along.sql(connection.dialect)
    return driver.execute(sql, along.values(user_id, request.view_args or {})).fetchone()


def _load(session: Session, values: dict) -> User | None:
    return session.execute(LOAD_USER, values).unique().scalar_one_or_none()


def _in_the_session(session: Session, values: dict) -> bool:
    """A person already in this session (a test holding its session across requests) is read
    as before: merging a copy over it could overwrite what that session changed."""
    return session.identity_map.get(session.identity_key(User, values["user_id"])) is not None


def _detached_copy(session: Session, values: dict) -> User | None:
    """The person loaded in a session of its own on the request's connection, then let go of:
    the copy keeps what was loaded, and no request's rollback or commit ever expires it."""
    with Session(bind=session.connection()) as own:
        copy = _load(own, values)
        own.expunge_all()
    return copy
