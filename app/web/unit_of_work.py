"""The request is the unit of work: views and services only flush; here the request commits once,
after the view returned without error, and then hands its outbox rows to the queues.

A refused or failed request (an error handler ran, a form answered 4xx, an exception escaped)
rolls everything back, outbox rows included, unless the view said its 4xx answer still keeps its
writes (`keep_work_whatever_the_answer`: a refused payment callback's inbox row). A GET commits nothing (and a test proves it issues no write).
"""

from __future__ import annotations

import logging

from flask import Flask, Response, g, request
from sqlalchemy.exc import SQLAlchemyError

from app.extensions import db
from app.jobs import commit
from app.web.db_connections import reading_only

log = logging.getLogger(__name__)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def keep_work_whatever_the_answer() -> None:
    """This request's writes are kept even if it answers 4xx: a gateway callback refused with
    the failure the vendor expects must still leave its raw notification in the inbox."""
    g.keep_work = True


def discard_work() -> None:
    """Roll back what this request wrote, whatever status it answers with (error handlers)."""
    db.session.rollback()
    g.work_discarded = True


def register_unit_of_work(app: Flask, on_commit_failure) -> None:
    """`on_commit_failure()` answers when the commit itself fails (a constraint at flush time)."""

    @app.after_request
    def end_unit_of_work(response: Response) -> Response:
        if request.method in SAFE_METHODS or reading_only():
            return response  # nothing to commit; the read-only connection goes back at teardown
        refused = response.status_code >= 400 and not g.get("keep_work")
        if g.get("work_discarded") or refused:
            db.session.rollback()
            return response
        try:
            commit()
        except SQLAlchemyError:
            log.exception("commit failed for %s %s", request.method, request.path)
            db.session.rollback()
            return on_commit_failure()
        return response

    @app.teardown_request
    def roll_back_on_exception(exc: BaseException | None) -> None:
        if exc is not None:
            db.session.rollback()
