"""Parts of a page that are the same for everyone who sees them, rendered once per process.

A portal's sidebar is a score of links, each an `url_for`, an icon and a translation: about a
millisecond on every page, for HTML that only changes with the language, the page it marks as
current and a few flags. A template wraps such a part in

    {% call fragment("store-sidebar", here, locale, offered) %} ... {% endcall %}

and every value the part depends on goes into the key: the first render is kept (per app, the
MAX_FRAGMENTS used last) and later pages reuse it. Nothing personal may go inside: names and
tokens stay outside the block; a count shown inside is part of the key.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable

from flask import Flask, current_app, request
from markupsafe import Markup

from app.kept import Kept

MAX_FRAGMENTS = 2_000  # the ones used last are kept (a filter bar's variants come and go)


def fragment(*key: Hashable, caller: Callable[[], str]) -> Markup:
    kept: Kept[Markup] = current_app.extensions["fragments"]
    full_key = (request.script_root, *key)
    html = kept.get(full_key)
    if html is None:
        html = Markup(caller())
        kept.keep(full_key, html)
    return html


def register_fragments(app: Flask) -> None:
    app.extensions["fragments"] = Kept(MAX_FRAGMENTS)
    app.add_template_global(fragment, "fragment")
