"""Chinese first; English when the person switches (kept in the session)."""

from __future__ import annotations

from flask import Flask, current_app, request, session
from flask_babel import gettext

from app.config import BASE_DIR
from app.extensions import babel


def select_locale() -> str:
    chosen = session.get("lang")
    if chosen in current_app.config["LANGUAGES"]:
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"] if request else "zh_CN"


def init_babel(app: Flask) -> None:
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(BASE_DIR / "app" / "translations"))
    babel.init_app(app, locale_selector=select_locale)


def translate(msgid: str | None) -> str:
    """A Chinese string kept as data (a label, a domain message) in the person's language.

    Strings missing from the catalog (say a message formatted with a product name) come back
    unchanged, in Chinese. An empty string stays empty: gettext("") would be the catalog header.
    """
    return gettext(msgid) if msgid else ""
