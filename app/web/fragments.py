"""Parts of a page that are the same for everyone who sees them, rendered once per process.

A portal's sidebar is a score of links, each an `url_for`, an icon and a translation: about a
millisecond on every page, for HTML that only changes with the language, the page it marks as
current and a few flags. A template wraps such a part in

    {% call fragment("store-sidebar", here, locale, offered) %} ... {% endcall %}

and every value the part depends on goes into the key: the first render is kept (per app, at
most MAX_FRAGMENTS of them) and later pages reuse it. Nothing personal may go inside: names,
counts and tokens stay outside the block.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable

from flask import Flask, current_app, request
from markupsafe import Markup

MAX_FRAGMENTS = 2_000  # (portals × pages × languages × flags): a bound, not a working size


def fragment(*key: Hashable, caller: Callable[[], str]) -> Markup:
    kept: dict = current_app.extensions["fragments"]
    full_key = (request.script_root, *key)
    html = kept.get(full_key)
    if html is None:
        html = Markup(caller())
        if len(kept) < MAX_FRAGMENTS:
            kept[full_key] = html
    return html


def register_fragments(app: Flask) -> None:
    app.extensions["fragments"] = {}
    app.add_template_global(fragment, "fragment")
