"""A list page's filters carried in links (the pager, forms that come back to the list)."""

from __future__ import annotations

from flask_wtf import FlaskForm

MAX_ARG = 64  # a filter value longer than any real one is not carried (Location stays short)


def filter_args(form: FlaskForm) -> dict[str, str]:
    """The filters the person sent that passed validation, as query-string arguments: a bad or
    overlong value is dropped, never echoed back into a link or a redirect."""
    return {
        name: field.raw_data[0]
        for name, field in form._fields.items()
        if field.raw_data
        and field.raw_data[0]
        and not field.errors
        and len(field.raw_data[0]) <= MAX_ARG
    }
