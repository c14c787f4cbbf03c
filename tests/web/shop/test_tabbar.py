"""The storefront's tab bar is rendered once per language and marked tab, and still marks the
right tab on every page."""

from __future__ import annotations

import re

from app.jobs import commit
from tests.factories import make_buyer
from tests.web.test_i18n import english_catalog  # noqa: F401  (the compiled English catalog)

ACTIVE = re.compile(r'<a href="([^"]+)" class="active" aria-current="page">')


def _tabbar(html: str) -> str:
    return html.split('<nav class="tabbar"', 1)[1].split("</nav>", 1)[0]


def _active(html: str) -> list[str]:
    return ACTIVE.findall(_tabbar(html))


def test_each_page_marks_its_tab_and_each_language_reads_its_own(client, login):
    buyer = make_buyer()
    commit()
    login(buyer)

    for _ in range(2):  # the second round is served from the kept fragments
        assert _active(client.get("/shop/").get_data(as_text=True)) == ["/shop/"]
        assert _active(client.get("/shop/cart").get_data(as_text=True)) == ["/shop/cart"]
        assert _active(client.get("/shop/orders").get_data(as_text=True)) == ["/shop/orders"]
        assert _active(client.get("/shop/me").get_data(as_text=True)) == ["/shop/me"]
        assert _active(client.get("/shop/addresses").get_data(as_text=True)) == ["/shop/me"]
        assert _active(client.get("/shop/search").get_data(as_text=True)) == []

    client.post("/lang/en")
    english = _tabbar(client.get("/shop/cart").get_data(as_text=True))
    assert "购物车" not in english and 'href="/shop/cart" class="active"' in english
    client.post("/lang/zh_CN")
    assert "购物车" in _tabbar(client.get("/shop/cart").get_data(as_text=True))
