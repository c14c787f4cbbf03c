"""Chinese first; English when the person switches (kept in the session).

Templates call gettext a few hundred times per list page. Flask-Babel finds the request's
catalog anew on every call (several context lookups each time), so the callables installed in
Jinja here look it up once per request and keep it on `g`; the catalog itself is still
Flask-Babel's (same locale selector, same compiled `.mo` files).
"""

from __future__ import annotations

from functools import cache

from babel import Locale
from flask import Flask, current_app, g, has_app_context, has_request_context, session
from flask_babel import get_locale, get_translations
from flask_babel.speaklater import LazyString
from markupsafe import Markup

from app.config import BASE_DIR
from app.extensions import babel


def select_locale() -> Locale:
    """The language the person chose (kept in the session); outside a request (jobs, the CLI)
    the default, Chinese."""
    chosen = session.get("lang") if has_request_context() else None
    if chosen in current_app.config["LANGUAGES"]:
        return parsed_locale(chosen)
    return parsed_locale(current_app.config["BABEL_DEFAULT_LOCALE"])


@cache
def parsed_locale(name: str) -> Locale:
    """Babel's Locale for a configured language, parsed once per process (parsing it cost a
    request 0.4 ms); Flask-Babel takes a Locale as it is."""
    return Locale.parse(name)


def catalog():
    """This request's translations (Flask-Babel's), looked up once."""
    found = g.get("_catalog")
    if found is None:
        found = g._catalog = get_translations()
    return found


def locale_name() -> str:
    """This request's language ("zh_CN", "en"), looked up once."""
    found = g.get("_locale_name")
    if found is None:
        found = g._locale_name = str(get_locale() or "zh_CN")
    return found


def _lookup(msgid: str, **variables) -> str:
    text = catalog().ugettext(msgid) if has_app_context() else msgid
    return text % variables if variables else text


def lazy_gettext(msgid: str, **variables) -> LazyString:
    """Flask-Babel's `lazy_gettext` (form labels, choices), resolved through this request's
    catalog: Flask-Babel's own looks the catalog up again for every label of every form."""
    return LazyString(_lookup, msgid, **variables)


def pgettext(context: str, msgid: str) -> str:
    return catalog().upgettext(context, msgid)


def init_babel(app: Flask) -> None:
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(BASE_DIR / "app" / "translations"))
    babel.init_app(app, locale_selector=select_locale)
    # Jinja's newstyle gettext escapes and formats the result itself: plain lookups here.
    app.jinja_env.install_gettext_callables(
        lambda s: catalog().ugettext(s),
        lambda s, p, n: catalog().ungettext(s, p, n),
        newstyle=True,
        pgettext=pgettext,
        npgettext=lambda c, s, p, n: catalog().unpgettext(c, s, p, n),
    )
    # Jinja's newstyle wrappers pass the template context through two calls and format every
    # string, variables or not: a few microseconds each, a hundred and more times a page. These
    # behave the same for HTML templates (every template here is): the translation is markup,
    # the variables are escaped into it, "%%" reads "%".
    app.jinja_env.globals.update(_=template_gettext, gettext=template_gettext)
    app.jinja_env.globals["ngettext"] = template_ngettext


def template_gettext(msgid: str, /, **variables) -> Markup:
    text = catalog().ugettext(msgid)
    return _formatted(text, variables) if variables or "%" in text else Markup(text)


def template_ngettext(singular: str, plural: str, num: int, /, **variables) -> Markup:
    variables.setdefault("num", num)
    return _formatted(catalog().ungettext(singular, plural, num), variables)


def _formatted(text: str, variables: dict) -> Markup:
    """The translation with its variables: escaped into the markup, except numbers, which have
    nothing to escape ("共 3 件商品" on each of twenty cards: plain formatting, a third of the
    cost of Markup's escaping one)."""
    if all(type(value) is int for value in variables.values()):
        return Markup(text % variables)
    return Markup(text) % variables


def translate(msgid: str | None) -> str:
    """A Chinese string kept as data (a label, a domain message) in the person's language.

    Strings missing from the catalog (say a message formatted with a product name) come back
    unchanged, in Chinese. An empty string stays empty: gettext("") would be the catalog header.
    """
    return catalog().ugettext(msgid) if msgid else ""
