"""INSERT … ON CONFLICT in the dialect of the session's database (PostgreSQL or SQLite).

Races over a unique key are settled by the database in one statement: two requests adding the
same cart line, or two units of work scheduling the same deadline, never meet a unique-constraint
error (which would answer 500).
"""

from __future__ import annotations

from sqlalchemy.dialects import postgresql, sqlite

from app.extensions import db

_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def upsert_into(model):
    """An INSERT that supports `.on_conflict_do_update` / `_do_nothing` on this database."""
    return _INSERTS[db.session.get_bind().dialect.name](model)
