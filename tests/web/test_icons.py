"""Icons come from the pinned Lucide set: every one a template names exists, and each is drawn
inline (decorative icons hidden from screen readers)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.web.icons import UnknownIcon, icon

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
NAMED = re.compile(r"""icon\(\s*["']([^"']+)["']""")


def test_every_icon_a_template_names_is_in_the_pinned_set():
    names = {name for path in TEMPLATES.rglob("*.html") for name in NAMED.findall(path.read_text())}
    assert names, "the templates draw icons"
    for name in sorted(names):
        assert "<path" in icon(name) or "<circle" in icon(name) or "<rect" in icon(name), name


def test_an_icon_is_inline_svg_hidden_or_labelled():
    assert icon("store").startswith('<svg class="icon"')
    assert 'aria-hidden="true"' in icon("store")
    labelled = icon("printer", label="打印 <小票>")
    assert 'role="img" aria-label="打印 &lt;小票&gt;"' in labelled


@pytest.mark.parametrize("name", ["no-such-icon", "../package", "Store", ""])
def test_an_unknown_or_odd_name_is_refused(name):
    with pytest.raises(UnknownIcon):
        icon(name)


def test_the_sidebar_shows_icons(client, login):
    from app.accounts.models import Role
    from tests.factories import make_user

    login(make_user(Role.OPERATOR))
    page = client.get("/platform/orders").get_data(as_text=True)
    assert page.count('<svg class="icon"') >= 5
