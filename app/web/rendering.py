"""Render the whole page, or for an HTMX request only the named block of the same template."""

from __future__ import annotations

from flask import flash, redirect, render_template, request
from jinja2_fragments.flask import render_block


def render_page_or_block(
    template: str,
    block: str | None = None,
    status: int = 200,
    block_template: str | None = None,
    **context,
):
    """`block_template`: where the block lives when the page includes it from a component
    shared by several portals (default: the page itself)."""
    htmx = request.htmx
    if block and htmx and not htmx.boosted and not htmx.history_restore_request:
        return render_block(block_template or template, block, **context), status
    return render_template(template, **context), status


def see_other(url: str, message: str | None = None, category: str = "success"):
    """The end of every successful plain POST: flash, then 303 to a page to GET."""
    if message:
        flash(message, category)
    if request.htmx:  # let htmx load the page instead of swapping it into a fragment
        return "", 200, {"HX-Redirect": url}
    return redirect(url, code=303)
