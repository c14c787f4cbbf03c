"""What the database is sent during a block: every statement, whichever layer sends it.

Most statements pass SQLAlchemy's `before_cursor_execute`; the person's stamp is sent by the
driver itself (app/web/person.py), so on PostgreSQL the statements are recorded where psycopg
executes them, on SQLite through SQLAlchemy. With `read_only`, each statement also says whether
it ran on a GET's read-only connection (`.read_only`: on PostgreSQL outside any transaction, in
autocommit; on SQLite with the read-only execution option)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from sqlalchemy import event

from app.extensions import db
from app.web.db_connections import READS_ONLY


class Sent(str):
    read_only: bool = False


def _sent(statement, read_only: bool) -> Sent:
    sent = Sent(statement)
    sent.read_only = read_only
    return sent


@contextmanager
def statements_sent(read_only: bool = False) -> Iterator[list[str]]:
    sent: list[str] = []
    if db.engine.dialect.name == "postgresql":
        execute = psycopg.Cursor.execute

        def on_execute(cursor, query, *args, **kwargs):
            sent.append(_sent(str(query), read_only and cursor.connection.autocommit))
            return execute(cursor, query, *args, **kwargs)

        psycopg.Cursor.execute = on_execute
        try:
            yield sent
        finally:
            psycopg.Cursor.execute = execute
        return

    def record(conn, _cursor, statement, *_args):
        sent.append(
            _sent(statement, read_only and bool(conn.get_execution_options().get(READS_ONLY)))
        )

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
