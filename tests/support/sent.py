"""What the database is sent during a block: every statement, whichever layer sends it.

Most statements pass SQLAlchemy's `before_cursor_execute`; the person's stamp is sent by the
driver itself (app/web/person.py), so on PostgreSQL the statements are recorded where psycopg
executes them, on SQLite through SQLAlchemy."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from sqlalchemy import event

from app.extensions import db


@contextmanager
def statements_sent() -> Iterator[list[str]]:
    sent: list[str] = []
    if db.engine.dialect.name == "postgresql":
        execute = psycopg.Cursor.execute

        def on_execute(cursor, query, *args, **kwargs):
            sent.append(str(query))
            return execute(cursor, query, *args, **kwargs)

        psycopg.Cursor.execute = on_execute
        try:
            yield sent
        finally:
            psycopg.Cursor.execute = execute
        return

    def record(_conn, _cursor, statement, *_args):
        sent.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
