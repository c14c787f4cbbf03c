"""Capped counts (app/sqltext.py): a count stops one past its cap, and two counts riding in one
statement (a list's "1000+" and a tab's "99+") each keep their own cap."""

from __future__ import annotations

from sqlalchemy import Column, Integer, MetaData, Table, create_engine, insert, select

from app.sqltext import capped_count

metadata = MetaData()
rows = Table("rows", metadata, Column("id", Integer, primary_key=True))


def test_two_capped_counts_in_one_statement_keep_their_own_caps():
    engine = create_engine("sqlite://")
    metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(insert(rows), [{"id": n} for n in range(1, 151)])
        ids = select(rows.c.id)
        badge = capped_count(ids, 99).scalar_subquery()
        listed = capped_count(ids, 1000).scalar_subquery()
        few = capped_count(ids.where(rows.c.id <= 7), 99).scalar_subquery()
        assert conn.execute(select(badge, listed, few)).one() == (100, 150, 7)
