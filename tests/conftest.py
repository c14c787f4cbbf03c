"""Test set-up: a real database per xdist worker (SQLite file or PostgreSQL), built by the
migrations once, emptied after every test; Redis on its own db index per worker.

Pick the backend with `--db=sqlite` (default) or `--db=postgres`. A service that is not
reachable fails the run: there is no silent skip.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import g
from flask_migrate import upgrade
from werkzeug.routing import Rule

from app import create_app
from app.accounts.levels import install_member_levels
from app.catalog.services import install_catalog_settings
from app.delivery.services import install_dispatch_settings
from app.extensions import db
from app.finance.settings import install_finance
from app.ordering.settings import install_order_settings
from app.stores.applications import install_merchant_settings

POSTGRES_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REDIS_BASE = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379")


def _share_url_builders() -> None:
    """Every test builds its own app, and Werkzeug compiles a URL builder (Python source, then
    `compile`) for each of the ~300 routes: about 100 ms an app. A builder depends only on the
    rule's text, its defaults and its parts, so the test apps share them."""
    compile_builder = Rule._compile_builder
    builders: dict[tuple, object] = {}

    def shared(rule: Rule, append_unknown: bool = True):
        defaults = repr(sorted((rule.defaults or {}).items()))
        key = (rule.rule, rule.subdomain, rule.host, defaults, tuple(rule._trace), append_unknown)
        builder = builders.get(key)
        if builder is None:
            builder = builders[key] = compile_builder(rule, append_unknown)
        return builder

    Rule._compile_builder = shared


_share_url_builders()


def pytest_addoption(parser):
    parser.addoption("--db", default="sqlite", choices=("sqlite", "postgres"))


def pytest_collection_modifyitems(config, items):
    """Every test that asks for `redis_url` (directly or through another fixture) needs the
    real Redis server: mark it `redis`, so `-m redis` / `-m "not redis"` select it."""
    for item in items:
        if "redis_url" in getattr(item, "fixturenames", ()) and not item.get_closest_marker(
            "redis"
        ):
            item.add_marker(pytest.mark.redis)


def pytest_runtest_setup(item):
    """A `postgres` test proves nothing on SQLite (it would pass whatever the code does), so
    running one there is an error, not a pass and not a skip: deselect it with -m "not postgres"."""
    if item.get_closest_marker("postgres") and item.config.getoption("--db") != "postgres":
        pytest.fail(
            f"{item.nodeid} is marked postgres: run it with --db=postgres, "
            'or leave it out with -m "not postgres"',
            pytrace=False,
        )


def _worker_index(worker_id: str) -> int:
    return int(worker_id[2:]) if worker_id.startswith("gw") else 0


@pytest.fixture(scope="session")
def backend(request) -> str:
    return request.config.getoption("--db")


@pytest.fixture(scope="session")
def database_url(backend, worker_id, testrun_uid, tmp_path_factory):
    """Create this worker's empty database and run every migration on it."""
    if backend == "sqlite":
        path = tmp_path_factory.mktemp("db") / "test.db"
        url = f"sqlite:///{path}"
    else:
        name = f"hs_test_{testrun_uid[:10]}_{worker_id}"  # unique per run: runs may overlap
        admin = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        except sa.exc.OperationalError as exc:
            pytest.fail(f"PostgreSQL is not reachable at {POSTGRES_URL}: {exc}")
        finally:
            admin.dispose()
        url = POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
    with app.app_context():
        upgrade()
        db.engine.dispose()
    yield url
    if backend == "postgres":
        admin = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def redis_url(worker_id) -> str:
    """A clean Redis db for this worker; fails the test if Redis is down."""
    from redis import Redis
    from redis.exceptions import RedisError

    url = f"{REDIS_BASE}/{1 + _worker_index(worker_id)}"
    try:
        Redis.from_url(url, socket_connect_timeout=2).flushdb()
    except RedisError as exc:
        pytest.fail(f"Redis is not reachable at {url}: {exc}")
    return url


def make_test_app(database_url: str, tmp_path: Path, **overrides):
    config = {
        "SQLALCHEMY_DATABASE_URI": database_url,
        "TESTING": True,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "PRINTER_ALLOW_LOOPBACK": True,  # PrinterListener; tests/web/store/test_printer_targets.py
        "REDIS_URL": "",
        "SECRET_KEY": "test",
        "UPLOAD_DIR": str(tmp_path / "uploads"),
        "SERVER_NAME": None,
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1",  # the real scrypt has its own test
    }
    config.update(overrides)
    return create_app(config)


def _empty_all_tables(app) -> None:
    with app.app_context():
        tables = [t.name for t in reversed(db.metadata.sorted_tables)]
        with db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                # DELETE and the sequences back to 1: about 5 ms, where TRUNCATE of 60 tables
                # costs 300 ms a test. The replica role skips the foreign keys' and the
                # ledger's append-only triggers for this transaction (the user is a superuser).
                conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
                conn.execute(sa.text("; ".join(f"DELETE FROM {table}" for table in tables)))
                sequences = conn.execute(
                    sa.text("SELECT sequencename FROM pg_sequences WHERE schemaname = 'public'")
                ).scalars()
                restart = ", ".join(f"setval('{name}', 1, false)" for name in sequences)
                if restart:
                    conn.execute(sa.text(f"SELECT {restart}"))
            else:
                for table in tables:
                    conn.execute(sa.text(f"DELETE FROM {table}"))
        db.session.remove()
        install_singletons()
        db.engine.dispose()


def install_singletons() -> None:
    """Rows the migration creates once (the next test finds the world as a fresh install)."""
    install_dispatch_settings().connected = True  # a fresh install whose 配送助手 is connected
    install_merchant_settings()
    install_catalog_settings()
    install_member_levels()
    install_order_settings()
    install_finance()
    db.session.commit()


@pytest.fixture
def app_factory(database_url, tmp_path):
    """Build an app on this worker's database; every table is emptied after the test."""
    apps = []

    def build(**overrides):
        app = make_test_app(database_url, tmp_path, **overrides)
        apps.append(app)
        return app

    yield build
    if apps:
        _empty_all_tables(apps[0])
        for app in apps[1:]:
            with app.app_context():
                db.engine.dispose()


def _fresh_g_per_request(app) -> None:
    """The test holds an app context open for its factories; Flask reuses it for each request,
    so without this `g` (and Flask-Login's cached user) would leak from one request to the next."""
    from flask import g

    @app.before_request
    def _clear_g():
        g.__dict__.clear()


@pytest.fixture
def app(app_factory):
    app = app_factory()
    _fresh_g_per_request(app)
    with app.app_context():
        yield app
        db.session.remove()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def login(client):
    """Log a user in through the real login form; returns the response."""

    def do_login(user, password: str = "pw123456", test_client=None):
        c = test_client or client
        return c.post("/login", data={"phone": user.phone, "password": password})

    return do_login


@pytest.fixture
def csrf_app(app_factory):
    """An app that checks CSRF tokens as production does (the other tests' apps do not)."""
    app = app_factory(WTF_CSRF_ENABLED=True)
    # The test holds an app context open for its factories and Flask reuses it for each request:
    # clear `g` (Flask-Login's cached user) before anything else, the CSRF check included.
    app.before_request_funcs.setdefault(None, []).insert(0, lambda: g.__dict__.clear())
    with app.app_context():
        yield app
        db.session.remove()
