"""Postings and entries are never changed or removed: the ORM refuses it at flush, and on
PostgreSQL a trigger refuses it even to raw SQL."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy import delete, select, text, update

from app.extensions import db
from app.finance.ledger import AppendOnly
from app.finance.models import Entry, Posting
from app.finance.reports import check
from app.jobs import commit
from tests.factories import make_buyer, make_product
from tests.support.money import ledger_counts, owned_store, paid_order
from tests.unit.payments import standin_fixtures

wechat = standin_fixtures.wechat  # fixture


@pytest.fixture
def posted(app, wechat):
    store, _ = owned_store()
    product = make_product(store, price_fen=2000)
    commit()
    paid_order(wechat, make_buyer(), product)
    counts = ledger_counts()
    assert counts[0] >= 2 and counts[1] >= 3
    return counts


def _first(model):
    return db.session.execute(select(model).order_by(model.id).limit(1)).scalar_one()


def test_changing_an_entry_through_the_orm_is_refused(posted):
    entry = _first(Entry)
    entry.amount_fen += 1
    with pytest.raises(AppendOnly):
        db.session.flush()
    db.session.rollback()
    assert ledger_counts() == posted and check() == ([], [])


def test_deleting_an_entry_through_the_orm_is_refused(posted):
    db.session.delete(_first(Entry))
    with pytest.raises(AppendOnly):
        db.session.flush()
    db.session.rollback()
    assert ledger_counts() == posted


def test_changing_or_deleting_a_posting_through_the_orm_is_refused(posted):
    posting = _first(Posting)
    posting.remark = "改一下"
    with pytest.raises(AppendOnly):
        commit()
    db.session.rollback()
    db.session.delete(_first(Posting))
    with pytest.raises(AppendOnly):
        commit()
    db.session.rollback()
    assert ledger_counts() == posted
    assert _first(Posting).remark == ""


def test_a_bulk_orm_update_or_delete_of_entries_is_refused(posted):
    with pytest.raises(AppendOnly):
        db.session.execute(update(Entry).values(amount_fen=0))
    db.session.rollback()
    with pytest.raises(AppendOnly):
        db.session.execute(delete(Posting))
    db.session.rollback()
    assert ledger_counts() == posted


@pytest.mark.postgres
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE ledger_entries SET amount_fen = amount_fen + 100",
        "DELETE FROM ledger_entries",
        "UPDATE ledger_postings SET remark = 'x'",
        "DELETE FROM ledger_postings",
    ],
)
def test_postgresql_refuses_raw_sql_that_changes_the_ledger(posted, statement):
    with pytest.raises(sa.exc.DBAPIError, match="append-only"):
        db.session.execute(text(statement))
    db.session.rollback()
    assert ledger_counts() == posted and check() == ([], [])
