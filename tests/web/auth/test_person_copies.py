"""On PostgreSQL a process keeps a copy of each person with their roles, stores and regions
(app/web/person.py): one narrow statement a request instead of building them, and anything the
copy holds that changes, in any process, shows on the very next request."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import create_engine, text

from app.accounts.models import Role
from app.extensions import db
from app.web.person import LOAD_USER, STAMPED_TABLES, people
from tests.factories import make_store, make_user
from tests.support.sent import statements_sent

pytestmark = pytest.mark.postgres


@pytest.fixture
def elsewhere(database_url):
    """Another process's connection: what it writes, this app's session never saw."""
    engine = create_engine(database_url)
    with engine.begin() as conn:
        yield conn
    engine.dispose()


@pytest.fixture
def owner(app, client, login):
    people.clear()
    store = make_store(name="椰城小厨")
    person = make_user(Role.STORE_STAFF, store=store, name="林老板")
    db.session.commit()
    assert login(person).status_code == 303
    ids = {"user": person.id, "store": store.id}
    db.session.expunge_all()  # the requests below load the person themselves
    return ids


def _statements(client, path: str) -> tuple[int, str, list[str]]:
    with statements_sent() as sent:
        page = client.get(path)
    db.session.expunge_all()
    return page.status_code, page.get_data(as_text=True), sent


def _person_loads(sent: list[str]) -> int:
    return sum("password_hash" in s for s in sent)


def test_the_second_request_reads_the_stamp_and_builds_no_person(owner, client):
    _statements(client, "/store/orders")
    status, page, sent = _statements(client, "/store/orders")
    assert status == 200 and "椰城小厨" in page
    assert _person_loads(sent) == 0
    assert sum("xmin" in s for s in sent) == 1


def test_a_store_renamed_in_another_process_shows_on_the_next_request(owner, client, elsewhere):
    _statements(client, "/store/orders")
    elsewhere.execute(
        text("UPDATE stores SET name = '椰城小厨·总店' WHERE id = :id"), {"id": owner["store"]}
    )
    elsewhere.commit()
    status, page, sent = _statements(client, "/store/orders")
    assert status == 200 and "椰城小厨·总店" in page
    assert _person_loads(sent) == 1  # the copy was renewed


def test_a_person_disabled_in_another_process_is_out_on_the_next_request(owner, client, elsewhere):
    _statements(client, "/store/orders")
    elsewhere.execute(text("UPDATE users SET active = false WHERE id = :id"), {"id": owner["user"]})
    elsewhere.commit()
    answer = client.get("/store/orders")
    assert answer.status_code == 302 and answer.headers["Location"].startswith("/login")


def test_a_role_revoked_in_another_process_is_gone_on_the_next_request(owner, client, elsewhere):
    """Revoking moves the session version on; a grant deleted behind the app's back (no version
    change) still changes the stamp: the copy is not used."""
    _statements(client, "/store/orders")
    elsewhere.execute(text("DELETE FROM role_grants WHERE user_id = :id"), {"id": owner["user"]})
    elsewhere.commit()
    assert client.get("/store/orders").status_code == 403


def test_a_role_granted_in_another_process_is_there_on_the_next_request(owner, client, elsewhere):
    _statements(client, "/store/orders")
    assert client.get("/platform/orders").status_code == 403
    elsewhere.execute(
        text("INSERT INTO role_grants (user_id, role) VALUES (:id, :role)"),
        {"id": owner["user"], "role": Role.SERVICE},
    )
    elsewhere.commit()
    assert client.get("/platform/orders").status_code == 200


def test_a_person_renamed_in_another_process_shows_on_the_next_request(owner, client, elsewhere):
    _statements(client, "/store/orders")
    elsewhere.execute(text("UPDATE users SET name = '林总' WHERE id = :id"), {"id": owner["user"]})
    elsewhere.commit()
    status, page, _ = _statements(client, "/store/orders")
    assert status == 200 and "林总" in page


def test_the_stamp_covers_every_table_the_person_is_loaded_from():
    """An eager load added to the person's statement later must join the stamp too."""
    tables = set(re.findall(r"(?:FROM|JOIN) (\w+)", str(LOAD_USER.compile())))
    assert tables == STAMPED_TABLES
