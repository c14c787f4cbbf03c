"""Icons from the pinned Lucide set (npm `lucide-static`, installed by `make assets`), drawn
inline as SVG: no extra request, the icon takes the text colour, and the CSP stays strict."""

from __future__ import annotations

import re
from functools import cache

from markupsafe import Markup, escape

from app.config import BASE_DIR

ICON_DIR = BASE_DIR / "node_modules" / "lucide-static" / "icons"
_NAME = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")


class UnknownIcon(LookupError):
    """A template asked for an icon the pinned set does not have (or `make assets` was not run)."""


@cache
def _drawing(name: str) -> str:
    """The shapes inside one icon's <svg> element, whitespace folded."""
    if not _NAME.fullmatch(name):
        raise UnknownIcon(name)
    try:
        text = (ICON_DIR / f"{name}.svg").read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UnknownIcon(f"{name} (not in {ICON_DIR}; run `make assets`)") from None
    start = text.index(">", text.index("<svg")) + 1
    return " ".join(text[start : text.rindex("</svg>")].split())


def icon(name: str, label: str = "") -> Markup:
    """`{{ icon("store") }}`: decorative unless a label is given (then screen readers read it)."""
    aria = f' role="img" aria-label="{escape(label)}"' if label else ' aria-hidden="true"'
    return Markup(
        '<svg class="icon" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2"'
        f' stroke-linecap="round" stroke-linejoin="round"{aria}>{_drawing(name)}</svg>'
    )
