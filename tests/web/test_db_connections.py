"""A request spends no database round trip on bookkeeping: no liveness ping, and a GET reads
without BEGIN/ROLLBACK on PostgreSQL; a connection the server closed is replaced unseen."""

from __future__ import annotations

import time

import psycopg
import pytest
from sqlalchemy import create_engine, text

from app.accounts.models import Role
from app.extensions import db
from app.jobs import commit
from tests.factories import PASSWORD, make_store, make_user

pytestmark = pytest.mark.postgres

# the other backends of this test's database: the app's pooled connections
OTHERS = "FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"


@pytest.fixture
def owner_client(app, login, client):
    owner = make_user(Role.STORE_STAFF, store=make_store(name="连接测试店"))
    commit()
    assert login(owner, PASSWORD).status_code == 303
    return client


def _sent_during(client, path: str, monkeypatch) -> tuple[int, list[str]]:
    """The status of GET path and what the driver sent the server for it: every statement
    (a pool's ping included) and every transaction command (BEGIN, ROLLBACK, COMMIT)."""
    sent: list[str] = []
    execute, command = psycopg.Cursor.execute, psycopg.Connection._exec_command

    def on_execute(cursor, query, *args, **kwargs):
        sent.append(" ".join(str(query).split())[:60])
        return execute(cursor, query, *args, **kwargs)

    def on_command(conn, cmd, *args, **kwargs):
        sent.append(bytes(cmd).decode() if not isinstance(cmd, str) else cmd)
        return command(conn, cmd, *args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(psycopg.Cursor, "execute", on_execute)
        patch.setattr(psycopg.Connection, "_exec_command", on_command)
        status = client.get(path).status_code
    return status, sent


def test_a_get_sends_its_queries_and_nothing_else(owner_client, monkeypatch):
    status, sent = _sent_during(owner_client, "/store/printer", monkeypatch)
    assert status == 200
    assert len(sent) >= 2  # the person, the page's counts
    # no ping, no BEGIN, no ROLLBACK: only the page's own SELECTs
    assert all(s.startswith("SELECT") and s != "SELECT 1" for s in sent), sent


def test_a_post_is_still_one_transaction(owner_client, monkeypatch):
    sent: list[str] = []
    command = psycopg.Connection._exec_command

    def on_command(conn, cmd, *args, **kwargs):
        sent.append(bytes(cmd).decode() if not isinstance(cmd, str) else cmd)
        return command(conn, cmd, *args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(psycopg.Connection, "_exec_command", on_command)
        answer = owner_client.post("/logout")
    assert answer.status_code in (302, 303)
    assert sent == ["BEGIN", "COMMIT"]  # the POST's unit of work, committed once
    assert owner_client.get("/store/printer").status_code in (302, 303)  # and it took effect


def test_a_connection_the_server_closed_is_replaced_before_the_request_uses_it(owner_client):
    assert owner_client.get("/store/printer").status_code == 200
    # the server ends every pooled connection of this database (a restart, an idle timeout)
    admin = create_engine(db.engine.url).connect()  # not one of the app's connections
    try:
        ended = admin.execute(text(f"SELECT count(pg_terminate_backend(pid)) {OTHERS}")).scalar()
        admin.commit()
        # pg_terminate_backend only signals: wait until those backends have said goodbye, as
        # after a restart or an idle timeout (a connection cut while a request is on its way
        # to it is the case the module docstring says costs that request)
        deadline = time.monotonic() + 10
        while (left := admin.execute(text(f"SELECT count(*) {OTHERS}")).scalar()) and (
            time.monotonic() < deadline
        ):
            admin.commit()  # pg_stat_activity is a snapshot per transaction
            time.sleep(0.02)
    finally:
        admin.close()
        admin.engine.dispose()
    assert ended >= 1
    assert left == 0, "the terminated backends did not exit within 10 s"
    # no ping is sent, yet the next pages load: the dead connections are noticed at checkout
    for _ in range(3):
        answer = owner_client.get("/store/printer")
        assert answer.status_code == 200, answer.get_data(as_text=True)[:300]


def test_connections_plan_with_ssd_page_costs(app):
    """The driver's 待送达 at 100,000 orders read every fulfilment of the driver with the
    server's default of 4 (bench); the app's connections plan with its own setting."""
    assert app.config["POSTGRES_RANDOM_PAGE_COST"] == "1.1"
    with app.app_context():
        assert db.session.scalar(text("SHOW random_page_cost")) == "1.1"
        db.session.rollback()


def test_an_empty_page_cost_leaves_the_servers_setting(app_factory, database_url):
    other = app_factory(POSTGRES_RANDOM_PAGE_COST="")
    server_default = create_engine(database_url)
    with server_default.connect() as conn:
        expected = conn.scalar(text("SHOW random_page_cost"))
    server_default.dispose()
    with other.app_context():
        assert db.session.scalar(text("SHOW random_page_cost")) == expected != "1.1"
        db.session.rollback()
