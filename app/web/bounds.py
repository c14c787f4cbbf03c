"""Every number a person can send is bounded before it reaches the database.

PostgreSQL's INTEGER stops at 2**31 - 1: a larger id in a URL or a form must be a plain 404 or a
form error, never a 500 from the database. URL ids go through the `int` converter registered
here; query-string numbers through `int_arg`; form ids and quantities through `ID_RANGE` and
`QUANTITY_RANGE`.
"""

from __future__ import annotations

from flask import Flask, request
from werkzeug.routing import IntegerConverter
from wtforms.validators import NumberRange

from app.web.i18n import lazy_gettext as _l

MAX_ID = 2**31 - 1
MAX_QUANTITY = 9_999  # one cart line; a wholesale order of more is a phone call, not a form
MAX_PAGE = 10_000


class BoundedIntConverter(IntegerConverter):
    """`<int:…>` in every route: 1 … 2**31-1, anything else does not match (404)."""

    def __init__(self, map, *args, **kwargs) -> None:
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def int_arg(name: str, default: int, low: int = 0, high: int = MAX_ID) -> int:
    """A number from the query string, clamped into range; garbage reads as the default."""
    value = request.args.get(name, default, type=int)
    if value is None:
        return default
    return min(max(value, low), high)


ID_RANGE = NumberRange(min=1, max=MAX_ID, message=_l("编号无效"))
QUANTITY_RANGE = NumberRange(
    min=1, max=MAX_QUANTITY, message=_l("数量须在 %(min)s 到 %(max)s 之间")
)


def register_bounded_ids(app: Flask) -> None:
    """Must run before any blueprint is registered: rules compile their converters then."""
    app.url_map.converters["int"] = BoundedIntConverter
