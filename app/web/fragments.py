"""Parts of a page that are the same for everyone who sees them, rendered once per process.

A portal's sidebar is a score of links, each an `url_for`, an icon and a translation: about a
millisecond on every page, for HTML that only changes with the language, the page it marks as
current and a few flags. A template wraps such a part in

    {% call fragment("store-sidebar", here, locale, offered) %} ... {% endcall %}

and every value the part depends on goes into the key: the first render is kept (per app, the
MAX_FRAGMENTS used last) and later pages reuse it. Nothing personal may go inside: names and
tokens stay outside the block; a count shown inside is part of the key.

A part that holds a token (a form's CSRF field) takes it as a *slot*: the block is rendered with a
marker in its place and each page puts its own value there, escaped:

    {% call(slot) fragment("rider-card", locale, task, csrf=csrf_field()) %}
      <form ...>{{ slot.csrf }} ...</form>
    {% endcall %}

(`keep=False` renders the block anew, slots and all: a card whose own parts change per page.)
"""

from __future__ import annotations

from collections.abc import Callable, Hashable

from flask import Flask, current_app, request
from markupsafe import Markup, escape

from app.kept import Kept
from app.web.i18n import locale_name

MAX_FRAGMENTS = 5_000  # the ones used last are kept (filter bars' variants, pool cards)
SLOT = "\x00slot:{}\x00"  # where a slot's value goes in a kept fragment


class _Slots:
    def __getattr__(self, name: str) -> Markup:
        return Markup(SLOT.format(name))


def fragment(*key: Hashable, caller: Callable[..., str], keep: bool = True, **slots) -> Markup:
    kept: Kept[Markup] = current_app.extensions["fragments"]
    full_key = (request.script_root, locale_name(), *key, *slots)  # always its language
    html = kept.get(full_key) if keep else None
    if html is None:
        html = Markup(caller(_Slots()) if slots else caller())
        if keep:
            kept.keep(full_key, html)
    for name, value in slots.items():
        html = Markup(str.replace(html, SLOT.format(name), escape(value)))
    return html


def register_fragments(app: Flask) -> None:
    app.extensions["fragments"] = Kept(MAX_FRAGMENTS)
    app.add_template_global(fragment, "fragment")
