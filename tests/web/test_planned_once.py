"""On PostgreSQL a list's statement carries its page size and the code's constants in its text
(app/sqltext.py), so a prepared statement is planned once instead of on every request; what a
person types and whose rows they are stay parameters, and a statement compiled once still
answers each request with its own values."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import event, select

from app.accounts.models import Role
from app.extensions import db
from app.ordering.models import Order
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


def test_a_typed_status_filter_alternating_on_one_statement_shows_the_right_orders(
    client, login, shop
):
    """The store's status filter (a value typed into the query string: a parameter) switched
    back and forth: each page lists only the orders of the status asked for."""
    _store, owner, accepted, waiting = shop
    login(owner)
    for _ in range(3):
        for status, shown, hidden in (
            (OrderStatus.PENDING_ACCEPT, waiting, accepted),
            (accepted.status, accepted, waiting),
        ):
            page, _ = _list_statements(client, f"/store/orders?status={status}")
            assert shown.no in page and hidden.no not in page


def test_one_compiled_statement_renders_each_executions_own_constant(app, shop):
    """An `Enum` constant written into the text is rendered per execution: the same query shape
    (one entry in SQLAlchemy's compiled cache) asked with one status, then the other, then the
    first again, finds each time the orders of the status it was given."""
    _store, _owner, accepted, waiting = shop
    other = OrderStatus(accepted.status)
    waiting_no, accepted_no = waiting.no, accepted.no
    texts: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        if statement.startswith("SELECT orders.no"):
            texts.append(statement)

    def numbers(status: OrderStatus) -> set[str]:
        return set(db.session.scalars(select(Order.no).where(Order.status == status)))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        for _ in range(3):
            assert numbers(OrderStatus.PENDING_ACCEPT) == {waiting_no}
            assert numbers(other) == {accepted_no}
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert f"orders.status = '{OrderStatus.PENDING_ACCEPT}'" in texts[0]
    assert f"orders.status = '{other}'" in texts[1] and len(texts) == 6
