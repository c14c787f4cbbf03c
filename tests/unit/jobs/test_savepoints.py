"""A savepoint released inside a request is not a commit (SQLAlchemy fires `after_commit` for it
too): the jobs deferred before it wait for the real commit, and a rollback after it drops them."""

from __future__ import annotations

from sqlalchemy import func, select

from app.extensions import db
from app.jobs import commit
from app.jobs.outbox import take_committed
from app.notifications.models import SmsMessage
from app.notifications.providers import LogProvider
from app.notifications.services import queue_sms


def test_a_released_savepoint_hands_over_nothing_and_a_rollback_sends_nothing(app):
    queue_sms("13900000001", "verify_code", code="123456")
    with db.session.begin_nested():
        pass  # e.g. points posted in a savepoint by a subscriber of the same request

    assert take_committed() == []  # nothing is durable yet, so nothing may run
    db.session.rollback()
    commit()

    assert db.session.scalar(select(func.count(SmsMessage.id))) == 0
    assert not [sent for sent in LogProvider.inbox if "13900000001" in str(sent)]
