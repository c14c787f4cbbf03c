"""On PostgreSQL a list's statement carries its page size and the code's constants in its text
(app/sqltext.py), so a prepared statement is planned once instead of on every request; what a
person types and whose rows they are stay parameters, and a statement compiled once still
answers each request with its own values."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import event

from app.accounts.models import Role
from app.extensions import db
from app.ordering.states import OrderStatus
from tests.factories import make_buyer, make_product, make_store, make_user, place_order

pytestmark = pytest.mark.postgres


@pytest.fixture
def shop(app):
    store = make_store(name="计划一次店")
    buyer = make_buyer()
    accepted = place_order(buyer, make_product(store, "椰子鸡"))
    waiting = place_order(buyer, make_product(store, "清补凉"), accept=False)
    owner = make_user(Role.STORE_STAFF, store=store)
    return store, owner, accepted, waiting


def _list_statements(client, path: str) -> tuple[str, list[tuple[str, dict]]]:
    seen: list[tuple[str, dict]] = []

    def record(_conn, _cursor, statement, parameters, *_args):
        seen.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        page = client.get(path)
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert page.status_code == 200
    lists = [(s, p) for s, p in seen if "FROM orders" in s and "ORDER BY" in s]
    return page.get_data(as_text=True), lists


def test_the_page_size_and_constants_are_in_the_text_and_the_store_is_a_parameter(
    client, login, shop
):
    store, owner, _accepted, _waiting = shop
    login(owner)
    _page, [(statement, parameters)] = _list_statements(client, "/store/orders")
    assert "LIMIT 21" in statement and "OFFSET 0" in statement
    assert "LIMIT 1001" in statement  # the capped count
    badge = re.search(r"aftersales\.status IN \(('\w+'), ('\w+')\)", statement)  # 售后's badge
    assert badge and {badge[1], badge[2]} == {"'requested'", "'returning'"}
    assert store.id in parameters.values()  # whose orders: a parameter, never text


def test_what_a_person_types_stays_a_parameter(client, login, shop):
    _store, owner, _accepted, _waiting = shop
    login(owner)
    typed = "O'Brien%"
    page, [(statement, parameters)] = _list_statements(
        client, "/store/orders?q=O%27Brien%25&status=pending_accept"
    )
    assert "Brien" not in statement
    assert any("Brien" in str(value) for value in parameters.values())
    assert typed.replace("'", "&#39;") in page  # kept in the search box, nothing broke
    assert "没有符合条件的订单" in page


def test_a_statement_compiled_once_answers_each_request_with_its_own_constants(client, login, shop):
    """The rider's pool and the sales tabs compare columns to constants of the code; a tab's
    constant is rendered at execution, so tabs sharing one compiled statement never mix."""
    _store, owner, accepted, waiting = shop
    login(owner)
    for _ in range(3):  # in turn, on the same compiled statement
        for status, shown, hidden in (
            (OrderStatus.PENDING_ACCEPT, waiting, accepted),
            (accepted.status, accepted, waiting),
        ):
            page, _ = _list_statements(client, f"/store/orders?status={status}")
            assert shown.no in page and hidden.no not in page
