"""Unbound extensions; `create_app` binds them. The naming convention keeps migrations stable."""

from __future__ import annotations

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from htmx_flask import Htmx
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
htmx = Htmx()


# Indexes only PostgreSQL has (declared with `.ddl_if(dialect="postgresql")`); Alembic's
# comparison does not read ddl_if, so on other backends it is told to look past them.
POSTGRES_ONLY_INDEXES = frozenset(
    {"ix_products_search_trgm", "ix_products_shelf_category", "ix_products_shelf"}
)


def migration_filter(dialect: str):
    """An Alembic `include_object` for this backend."""

    def include(obj, name, type_, reflected, compare_to) -> bool:
        return not (type_ == "index" and name in POSTGRES_ONLY_INDEXES and dialect != "postgresql")

    return include
