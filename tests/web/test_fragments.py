"""A sidebar rendered once per process is still the right one for each page, language and count."""

from __future__ import annotations

import re

from app.accounts.models import Role
from app.jobs import commit
from app.web.fragments import fragment
from tests.factories import PASSWORD, make_store, make_user
from tests.web.test_i18n import english_catalog  # noqa: F401  (the compiled English catalog)

ACTIVE = re.compile(r'<a href="([^"]+)" class="active" aria-current="page">')


def _active_links(html: str) -> list[str]:
    sidebar = html.split("<nav>", 1)[1].split("</nav>", 1)[0]
    return ACTIVE.findall(sidebar)


def test_each_page_marks_its_own_link_and_each_language_reads_its_own(app, client, login):
    owner = make_user(Role.STORE_STAFF, store=make_store(name="片段测试店"))
    commit()
    assert login(owner, PASSWORD).status_code == 303

    for _ in range(2):  # the second round is served from the kept fragments
        orders = client.get("/store/orders").get_data(as_text=True)
        printer = client.get("/store/printer").get_data(as_text=True)
        assert _active_links(orders) == ["/store/orders"]
        assert _active_links(printer) == ["/store/printer"]
        assert "订单管理" in printer and "打印机" in printer

    client.post("/lang/en")
    english = client.get("/store/printer").get_data(as_text=True)
    assert _active_links(english) == ["/store/printer"]
    assert "订单管理" not in english.split("<nav>", 1)[1].split("</nav>", 1)[0]
    client.post("/lang/zh_CN")
    assert "订单管理" in client.get("/store/printer").get_data(as_text=True)


def test_a_fragment_is_rendered_once_per_key(app):
    rendered: list[str] = []

    def body(text: str):
        def caller() -> str:
            rendered.append(text)
            return f"<b>{text}</b>"

        return caller

    with app.test_request_context("/"):
        first = fragment("probe", 1, caller=body("one"))
        again = fragment("probe", 1, caller=body("changed"))
        other = fragment("probe", 2, caller=body("two"))
    assert (str(first), str(again), str(other)) == ("<b>one</b>", "<b>one</b>", "<b>two</b>")
    assert rendered == ["one", "two"]
