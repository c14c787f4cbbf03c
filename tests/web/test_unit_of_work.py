"""The request is the unit of work: a refused or failed request keeps nothing (outbox included),
a successful POST commits once and only then runs its jobs, and a GET never writes."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from flask import Flask, flash, redirect
from sqlalchemy import event, func, select

from app.errors import DomainError
from app.extensions import db
from app.jobs import defer, job
from app.jobs.models import OutboxJob, OutboxStatus
from app.messages import define
from app.ordering.models import Order
from app.portals import PORTAL_BLUEPRINTS
from app.stores.models import Store
from app.web.portals import PORTALS
from app.wholesale.models import Region, SlipPhoto
from tests.factories import (
    PASSWORD,
)
from tests.support.one_of_everything import build_one_of_everything

HX = {"HX-Request": "true"}
TEST_REFUSAL = define("test_refusal", "测试：这一步被拒绝了")
_names = itertools.count(1)

# What happened, in order, during one request: the view, each COMMIT, the deferred job.
JOURNAL: list[str] = []


@job("sms")
def note_region_seen(region_id: int) -> None:
    """A test-only job: records that it ran and whether the row it follows is committed, as a
    second connection (another process, a worker) would see it."""
    with db.engine.connect() as other:
        seen = other.scalar(select(func.count(Region.id)).where(Region.id == region_id))
    JOURNAL.append(f"job saw region: {bool(seen)}")


def _write_a_region_and_defer_a_job() -> Region:
    region = Region(name=f"测试区域{next(_names)}")
    db.session.add(region)
    db.session.flush()
    defer(note_region_seen, region.id)
    JOURNAL.append("view wrote")
    return region


def _register_probe_routes(app: Flask) -> None:
    """Test-only routes, added before the first request."""

    @app.post("/_test/write-then-refuse")
    def write_then_refuse():
        _write_a_region_and_defer_a_job()
        raise DomainError(TEST_REFUSAL())

    @app.post("/_test/write-then-crash")
    def write_then_crash():
        _write_a_region_and_defer_a_job()
        raise RuntimeError("a bug after the write")

    @app.post("/_test/write-then-form-error")
    def write_then_form_error():
        _write_a_region_and_defer_a_job()
        return "请填写名称", 422

    @app.post("/_test/write-then-see-other")
    def write_then_see_other():
        _write_a_region_and_defer_a_job()
        flash("已保存", "success")
        return redirect("/_test/done", code=303)

    @app.get("/_test/write-on-get")
    def write_on_get():
        db.session.add(Region(name=f"测试区域{next(_names)}"))
        db.session.flush()
        return "ok"


@pytest.fixture
def probe_app(app_factory):
    """An app (jobs in-process after commit, Flask answering 500 for a bug) with probe routes;
    no app context is held open, so each request has its own session like in production."""
    app = app_factory(PROPAGATE_EXCEPTIONS=False)
    _register_probe_routes(app)
    JOURNAL.clear()

    def on_commit(_conn):
        JOURNAL.append("commit")

    with app.app_context():
        assert app.config["JOBS_EAGER"]
        event.listen(db.engine, "commit", on_commit)
    yield app
    with app.app_context():
        event.remove(db.engine, "commit", on_commit)
    JOURNAL.clear()


def committed_counts(app: Flask) -> tuple[int, int]:
    """Regions and outbox rows as a fresh connection sees them (what was really committed)."""
    with app.app_context(), db.engine.connect() as conn:
        regions = conn.scalar(select(func.count(Region.id)))
        jobs = conn.scalar(select(func.count(OutboxJob.id)))
    return regions, jobs


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 409),  # a plain POST from nowhere: the error page
        ({"Referer": "http://localhost/store/printer"}, 303),  # back to the form, with a flash
        (HX, 409),  # the flash fragment for HTMX
    ],
    ids=["plain", "referer", "htmx"],
)
def test_a_refusal_after_a_write_keeps_neither_the_write_nor_the_outbox_row(
    probe_app, headers, status
):
    before = committed_counts(probe_app)
    client = probe_app.test_client()

    response = client.post("/_test/write-then-refuse", headers=headers)

    assert response.status_code == status
    if status == 303:  # a redirect is < 400, yet the refused work is still thrown away
        assert response.headers["Location"] == "/store/printer"  # this site only
        with client.session_transaction() as session:
            assert ("error", "测试：这一步被拒绝了") in session["_flashes"]
    else:
        assert "测试：这一步被拒绝了" in response.get_data(as_text=True)
    assert committed_counts(probe_app) == before
    assert JOURNAL == ["view wrote"]  # no commit, and the job never ran


def test_a_crash_after_a_write_answers_500_and_keeps_nothing(probe_app):
    before = committed_counts(probe_app)

    response = probe_app.test_client().post("/_test/write-then-crash")

    assert response.status_code == 500
    assert committed_counts(probe_app) == before
    assert JOURNAL == ["view wrote"]


def test_a_form_error_after_a_write_answers_422_and_keeps_nothing(probe_app):
    before = committed_counts(probe_app)

    response = probe_app.test_client().post("/_test/write-then-form-error")

    assert response.status_code == 422
    assert committed_counts(probe_app) == before
    assert JOURNAL == ["view wrote"]


def test_a_successful_post_commits_once_then_runs_its_job(probe_app):
    regions, jobs = committed_counts(probe_app)

    response = probe_app.test_client().post("/_test/write-then-see-other")

    assert response.status_code == 303
    assert committed_counts(probe_app) == (regions + 1, jobs + 1)
    # one commit of the request, then the job's claim of its outbox row, then the job (which
    # already sees the row from another connection), then the job's own commit marking it done
    assert JOURNAL == ["view wrote", "commit", "commit", "job saw region: True", "commit"]
    with probe_app.app_context():
        [row] = db.session.execute(select(OutboxJob)).scalars().all()
        assert row.task.endswith(":note_region_seen")
        assert row.status == OutboxStatus.DONE and row.attempts == 1


# ---- a GET never writes -------------------------------------------------------------------------

WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE)\b", re.IGNORECASE)


@contextmanager
def writes_recorded() -> Iterator[list[str]]:
    """Every INSERT / UPDATE / DELETE (and COMMIT) sent to the database inside the block."""
    writes: list[str] = []

    def on_execute(_conn, _cursor, statement, _params, _context, _many):
        if WRITE.match(statement):
            writes.append(" ".join(statement.split())[:200])

    def on_commit(_conn):
        writes.append("COMMIT")

    event.listen(db.engine, "before_cursor_execute", on_execute)
    event.listen(db.engine, "commit", on_commit)
    try:
        yield writes
    finally:
        event.remove(db.engine, "before_cursor_execute", on_execute)
        event.remove(db.engine, "commit", on_commit)


def test_the_write_counter_sees_a_write(probe_app):
    """The counter used below really counts: a request that flushes a row is caught."""
    client = probe_app.test_client()
    with probe_app.app_context(), writes_recorded() as writes:
        assert client.post("/_test/write-then-see-other").status_code == 303
    assert any(w.startswith("INSERT INTO regions") for w in writes)
    assert committed_counts(probe_app)[0] == 1


def test_a_get_that_writes_is_refused_and_writes_nothing(probe_app, caplog):
    """A GET reads without a transaction on PostgreSQL (no BEGIN/ROLLBACK round trips), where a
    write would be kept; so its connection refuses any write: the bug answers 500, the log names
    it, and nothing is written - on both databases."""
    client = probe_app.test_client()
    assert client.get("/_test/write-on-get").status_code == 500
    assert "GET /_test/write-on-get tried to write: INSERT INTO regions" in caplog.text
    assert committed_counts(probe_app)[0] == 0


def _urls(app: Flask, rule, ids: dict[str, list[int]]) -> list[str] | None:
    """Every URL of the rule with the world's ids filled in; None if an argument has no id."""
    names = sorted(rule.arguments)
    if any(name not in ids for name in names):
        return None
    adapter = app.url_map.bind("localhost")
    return [
        adapter.build(rule.endpoint, dict(zip(names, values, strict=True)))
        for values in itertools.product(*(ids[name] for name in names))
    ]


def test_no_get_on_any_portal_page_writes_to_the_database(app, login):
    people = build_one_of_everything()
    assert db.session.scalar(select(func.count(SlipPhoto.id))) == 1
    assert db.session.scalar(select(func.count(Store.id))) == 2
    db.session.expire_all()

    rules = [
        rule
        for rule in app.url_map.iter_rules()
        if "GET" in rule.methods and rule.endpoint.split(".")[0] in [*PORTAL_BLUEPRINTS, "media"]
    ]
    visited: set[str] = set()
    skipped: set[str] = set()
    answers: dict[str, int] = {}
    writes_by_url: dict[str, list[str]] = {}
    for blueprint, entrants in people.items():
        for person, ids in entrants:
            if blueprint in PORTALS:
                assert {g.role for g in person.grants} & set(PORTALS[blueprint].roles)
            client = app.test_client()
            assert login(person, PASSWORD, test_client=client).status_code == 303
            db.session.expire_all()
            for rule in rules:
                if rule.endpoint.split(".")[0] != blueprint:
                    continue
                urls = _urls(app, rule, ids)
                if urls is None:
                    skipped.add(rule.endpoint)
                    continue
                for url, headers in itertools.product(urls, ({}, HX)):
                    with writes_recorded() as writes:
                        response = client.get(url, headers=headers)
                        response.get_data()  # a streamed export writes as it goes
                        response.close()
                    key = f"{person.name} GET {url}{' (htmx)' if headers else ''}"
                    answers[key] = response.status_code
                    if writes:
                        writes_by_url[key] = writes
                visited.add(rule.endpoint)

    skipped -= visited  # another entrant of the portal filled it (e.g. a second store's owner)
    assert skipped == set(), f"rules with an argument the world cannot fill: {sorted(skipped)}"
    assert visited == {rule.endpoint for rule in rules} - skipped
    assert len(visited) >= 20
    assert writes_by_url == {}
    # every page really rendered (or redirected) for its person: the ids are in their scope
    assert {key: status for key, status in answers.items() if status >= 400} == {}
    assert db.session.scalar(select(func.count(Order.id))) == 6
