"""The application factory: a list of small register steps, nothing else."""

from __future__ import annotations

from flask import Flask
from flask_babel import gettext
from sqlalchemy import event

from app import (
    models,  # noqa: F401  (every table known to Alembic and the mapper)
    sqltext,  # noqa: F401  (PostgreSQL: a query's constants in its text, planned once)
    subscribers,  # noqa: F401  (every domain's reactions to other domains' events)
)
from app.cli import register_commands
from app.config import BASE_DIR, Config
from app.extensions import csrf, db, htmx, limiter, login_manager, migrate
from app.i18n_markers import N_
from app.payments.standins import start_development_standins
from app.portals import register_portals
from app.web.bounds import register_bounded_ids
from app.web.db_connections import register_db_connections
from app.web.errors import commit_failed, register_error_handlers
from app.web.fragments import register_fragments
from app.web.i18n import init_babel
from app.web.person import load_person
from app.web.security import init_security
from app.web.static_files import register_static_files
from app.web.template_helpers import register_template_helpers
from app.web.unit_of_work import register_unit_of_work

PAYMENT_STANDIN_KEYS = BASE_DIR / "instance" / "payment-standins"


def create_app(config: dict | None = None) -> Flask:
    app = Flask(
        __name__,
        template_folder=str(BASE_DIR / "templates"),
        static_folder=str(BASE_DIR / "static"),
        instance_path=str(BASE_DIR / "instance"),
    )
    app.config.from_object(Config)
    if config:
        app.config.update(config)
        if "REDIS_URL" in config and "JOBS_EAGER" not in config:
            app.config["JOBS_EAGER"] = not config["REDIS_URL"]
    for register in (
        register_security,
        register_static_files,
        register_extensions,
        register_login,
        register_i18n,
        register_templates,
        register_bounded_ids,
        register_portals,
        register_errors,
        register_cli,
        register_payment_standins,
    ):
        register(app)
    return app


def register_security(app: Flask) -> None:
    init_security(app)


def register_extensions(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(app, db, directory=str(BASE_DIR / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    limiter.init_app(app)
    htmx.init_app(app)
    register_db_connections(app)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        with app.app_context():
            event.listen(db.engine, "connect", _sqlite_pragmas)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    """WAL so readers never wait for the writer; a busy timeout so writers queue, not fail."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def register_login(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = N_("请先登录")
    login_manager.localize_callback = gettext  # translated when it is flashed
    login_manager.user_loader(load_person)


def register_i18n(app: Flask) -> None:
    init_babel(app)


def register_templates(app: Flask) -> None:
    register_template_helpers(app)
    register_fragments(app)


def register_errors(app: Flask) -> None:
    register_error_handlers(app)
    register_unit_of_work(app, commit_failed)


def register_cli(app: Flask) -> None:
    register_commands(app)


def register_payment_standins(app: Flask) -> None:
    """`make run`: the payment gateways' local stand-ins, so a person can pay in the browser."""
    if app.config.get("PAYMENT_STANDINS"):
        start_development_standins(app.config, PAYMENT_STANDIN_KEYS)
