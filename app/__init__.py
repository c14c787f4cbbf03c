"""The application factory: a list of small register steps, nothing else."""

from __future__ import annotations

from flask import Flask

from app.config import BASE_DIR, Config


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
        register_extensions,
        register_models,
        register_i18n,
        register_templates,
        register_blueprints,
        register_errors,
        register_cli,
    ):
        register(app)
    return app


def register_extensions(app: Flask) -> None:
    from flask_babel import gettext

    from app.extensions import csrf, db, htmx, limiter, login_manager, migrate
    from app.i18n_markers import N_

    db.init_app(app)
    migrate.init_app(app, db, directory=str(BASE_DIR / "migrations"), render_as_batch=True)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = N_("请先登录")
    login_manager.localize_callback = gettext  # translated when it is flashed
    csrf.init_app(app)
    limiter.init_app(app)
    htmx.init_app(app)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        _sqlite_pragmas(app)


def _sqlite_pragmas(app: Flask) -> None:
    """WAL so readers never wait for the writer; a busy timeout so writers queue, not fail."""
    from sqlalchemy import event

    from app.extensions import db

    with app.app_context():
        engine = db.engine

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


def register_models(app: Flask) -> None:
    from sqlalchemy import select
    from sqlalchemy.orm import joinedload

    from app import models  # noqa: F401  (every table known to Alembic and the mapper)
    from app.accounts.models import User
    from app.extensions import db, login_manager

    @login_manager.user_loader
    def load_user(user_id: str) -> User | None:
        """The person and their roles in one query (every portal guard reads the grants)."""
        query = select(User).options(joinedload(User.grants)).where(User.id == int(user_id))
        return db.session.execute(query).unique().scalar_one_or_none()


def register_i18n(app: Flask) -> None:
    from app.web.i18n import init_babel

    init_babel(app)


def register_templates(app: Flask) -> None:
    from app.web.template_helpers import register_template_helpers

    register_template_helpers(app)


def register_blueprints(app: Flask) -> None:
    from app.portals.auth.views import bp as auth_bp
    from app.portals.driver.views import bp as driver_bp
    from app.portals.media.views import bp as media_bp
    from app.portals.platform.views import bp as platform_bp
    from app.portals.rider.views import bp as rider_bp
    from app.portals.sales.views import bp as sales_bp
    from app.portals.shop.views import bp as shop_bp
    from app.portals.store.views import bp as store_bp
    from app.web.health import bp as health_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(health_bp)
    app.register_blueprint(media_bp)
    app.register_blueprint(platform_bp, url_prefix="/platform")
    app.register_blueprint(store_bp, url_prefix="/store")
    app.register_blueprint(sales_bp, url_prefix="/sales")
    app.register_blueprint(driver_bp, url_prefix="/driver")
    app.register_blueprint(rider_bp, url_prefix="/rider")
    app.register_blueprint(shop_bp, url_prefix="/shop")


def register_errors(app: Flask) -> None:
    from app.web.errors import register_error_handlers

    register_error_handlers(app)


def register_cli(app: Flask) -> None:
    from app.cli import register_commands

    register_commands(app)
