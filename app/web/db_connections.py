"""How a request uses its database connection: no round trip that does not carry a query.

On this kind of machine one PostgreSQL round trip costs 0.2–0.3 ms of app time, more than
rendering twenty table rows. Two were spent on every request for nothing:

- **The liveness ping.** `pool_pre_ping` sends `SELECT 1` each time a request takes a pooled
  connection. Instead, a connection is checked without talking to the server: an idle
  connection's socket has nothing to read unless the server wrote to it, and a server that
  restarts or terminates a backend writes its goodbye and closes the socket. Readable while idle
  therefore means gone, and the pool opens a fresh connection before the request uses it. (A
  silent network cut is not seen this way; the first statement then fails and SQLAlchemy
  invalidates the whole pool, so one request per worker answers 500 - the same as pre-ping
  offers against a cut that happens mid-request.)
- **BEGIN … ROLLBACK around reads.** A GET commits nothing (the unit of work), so on PostgreSQL
  it runs its statements in autocommit: each SELECT is its own snapshot, exactly what READ
  COMMITTED gives inside a transaction, without the BEGIN and ROLLBACK round trips.

Autocommit would also keep a write that a GET made by mistake, where a transaction threw it
away; so a GET's connection refuses INSERT, UPDATE and DELETE outright (on SQLite too, where
it keeps its transaction): the bug answers 500 in the first test that meets it instead of
writing. The read-only connection is handed back when the request ends.

A POST that is mostly refused after a look (a grab: 31 of 32 riders find the task taken) can
start the same way (`reads_first`): it reads on the read-only connection and, only once it
knows it will write, calls `start_writing`; from there it is the usual unit of work, and its
refusals never paid for BEGIN, a lock or the end of a transaction.
"""

from __future__ import annotations

import re
import select

from flask import Flask, current_app, request
from sqlalchemy import event
from sqlalchemy.exc import DisconnectionError, SQLAlchemyError

from app.extensions import db

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
READS_ONLY = "haoshang_reads_only"  # an execution option of a GET's connection
WRITE = re.compile(r"\s*(INSERT|UPDATE|DELETE|MERGE)\b", re.IGNORECASE)
ENVIRON_KEY = "haoshang.reads_only"


def reads_in_a_transaction(view):
    """For a GET that streams rows through a server-side cursor (`yield_per` exports): on
    PostgreSQL such a cursor lives only inside a transaction, so this view reads in one."""
    view.reads_in_a_transaction = True
    return view


def reads_first(view):
    """For a POST that most often only reads and refuses (a grab lost to another rider): it
    starts on a GET's read-only connection, without BEGIN; once the view knows it will write it
    calls `start_writing`, and from then on it is an ordinary unit of work."""
    view.reads_first = True
    return view


def start_writing() -> None:
    """A `reads_first` view will write: its read-only connection goes back (nothing was begun,
    nothing is sent) and the next statement begins the request's transaction. What the session
    had loaded is expired: read again inside the transaction, as a unit of work must."""
    if request.environ.pop(ENVIRON_KEY, False):
        db.session.rollback()


def reading_only() -> bool:
    """This request is still on its read-only connection (a GET, or a `reads_first` view that
    has not called `start_writing`): it has nothing to commit or roll back."""
    return bool(request.environ.get(ENVIRON_KEY))


def _view_says(flag: str) -> bool:
    view = current_app.view_functions.get(request.endpoint or "")
    return bool(getattr(view, flag, False))


class WriteInARead(RuntimeError):
    """A GET (HEAD, OPTIONS) tried to write: a bug in the view or a service it called."""


def _check_socket(dbapi_connection, _record, _proxy) -> None:
    """Pool checkout: a PostgreSQL connection whose idle socket is readable was closed by the
    server (restart, `pg_terminate_backend`, idle timeout); the pool replaces it."""
    try:
        fd = dbapi_connection.fileno()
    except Exception as exc:  # closed locally already: no descriptor (psycopg's own error)
        raise DisconnectionError("the connection is closed") from exc
    poller = select.poll()
    poller.register(fd, select.POLLIN | select.POLLPRI)
    if poller.poll(0):
        raise DisconnectionError("the server closed the connection while it was idle")


def _planner_settings(random_page_cost: float):
    """A new PostgreSQL connection plans with this app's page costs (config.py says why)."""

    def apply(dbapi_connection, _record) -> None:
        autocommit = dbapi_connection.autocommit
        dbapi_connection.autocommit = True  # a SET outside any transaction stays for the session
        try:
            dbapi_connection.execute(
                "SELECT set_config('random_page_cost', %s, false)", (str(random_page_cost),)
            )
        finally:
            dbapi_connection.autocommit = autocommit

    return apply


def _refuse_writes(conn, _cursor, statement, _params, _context, _many) -> None:
    if conn.get_execution_options().get(READS_ONLY) and WRITE.match(statement):
        raise WriteInARead(f"{request.method} {request.path} tried to write: {statement[:80]}")


def register_db_connections(app: Flask) -> None:
    with app.app_context():
        engine = db.engine
    postgres = engine.dialect.name == "postgresql"
    if postgres:
        event.listen(engine, "checkout", _check_socket)
        page_cost = app.config.get("POSTGRES_RANDOM_PAGE_COST")
        if page_cost:
            event.listen(engine, "connect", _planner_settings(float(page_cost)))
    event.listen(engine, "before_cursor_execute", _refuse_writes)
    options = {READS_ONLY: True, **({"isolation_level": "AUTOCOMMIT"} if postgres else {})}
    streaming = {READS_ONLY: True}

    @app.before_request
    def reads_only() -> None:
        # (a test that holds its session open across requests may already be in a transaction)
        reads = request.method in SAFE_METHODS or _view_says("reads_first")
        if reads and not db.session().in_transaction():
            try:
                db.session.connection(
                    execution_options=streaming if _view_says("reads_in_a_transaction") else options
                )
            except SQLAlchemyError:
                # the database is down: the view answers as it does then (/healthz says so)
                db.session.rollback()
                return
            request.environ[ENVIRON_KEY] = True

    @app.teardown_request
    def hand_back(_exc: BaseException | None) -> None:
        if request.environ.pop(ENVIRON_KEY, False):
            db.session.rollback()  # in autocommit nothing is sent; the connection goes back
