"""A list's statement is built once per shape of its WHERE and kept (`shaped_page` in
app/web/paging.py): the next person's page, another filter value, another page must each be
answered with their own values, never with the values of the request that built it."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import StatementError

from app.accounts.models import Role
from app.jobs import commit
from app.ordering.states import OrderStatus
from app.web import paging
from tests.factories import make_buyer, make_product, make_store, make_user, place_order


@pytest.fixture
def two_shops(app):
    buyer = make_buyer()
    shops = {}
    for name, dish in (("东门店", "椰子鸡"), ("西门店", "清补凉")):
        store = make_store(name=name)
        paid = place_order(buyer, make_product(store, dish))
        waiting = place_order(buyer, make_product(store, dish + "套餐"), accept=False)
        shops[name] = (make_user(Role.STORE_STAFF, store=store), paid, waiting)
    commit()
    return shops


def _built(monkeypatch) -> list:
    calls = []
    build = paging._shaped

    def counted(*args):
        calls.append(args)
        return build(*args)

    monkeypatch.setattr(paging, "_shaped", counted)
    paging._shapes.clear()
    return calls


def test_each_owner_sees_their_own_orders_from_the_one_kept_statement(
    app, client, login, two_shops, monkeypatch
):
    built = _built(monkeypatch)
    for name, (owner, paid, waiting) in two_shops.items():
        other = next(n for n in two_shops if n != name)
        _owner, theirs_paid, theirs_waiting = two_shops[other]
        login(owner, test_client=(c := app.test_client()))
        page = c.get("/store/orders").get_data(as_text=True)
        assert paid.no in page and waiting.no in page
        assert theirs_paid.no not in page and theirs_waiting.no not in page
        assert "共 2 个订单" in page
    assert len(built) == 1  # the second owner's page ran the first one's statement


def test_a_filter_value_answers_with_its_own_orders(app, client, login, two_shops, monkeypatch):
    built = _built(monkeypatch)
    owner, paid, waiting = two_shops["东门店"]
    login(owner)
    page = client.get(f"/store/orders?status={paid.status}").get_data(as_text=True)
    assert paid.no in page and waiting.no not in page
    page = client.get(f"/store/orders?status={waiting.status}").get_data(as_text=True)
    assert waiting.no in page and paid.no not in page
    page = client.get(f"/store/orders?status={OrderStatus.CLOSED}").get_data(as_text=True)
    assert "没有符合条件的订单" in page
    assert len(built) == 1


def test_a_page_past_the_end_still_says_how_many_orders_there_are(client, login, two_shops):
    owner, _paid, _waiting = two_shops["西门店"]
    login(owner)
    page = client.get("/store/orders?page=7").get_data(as_text=True)
    assert "没有符合条件的订单" in page and "共 2 个订单" in page


def test_a_kept_statement_never_runs_with_an_earlier_requests_values(
    app, client, login, two_shops, monkeypatch
):
    """The kept statement's WHERE holds required parameters, not the first request's store:
    run without this request's values, it is refused rather than answering for that store."""
    _built(monkeypatch)
    owner, _paid, _waiting = two_shops["东门店"]
    login(owner)
    assert client.get("/store/orders").status_code == 200
    [kept] = paging._shapes._kept.values()
    with app.test_request_context("/"), pytest.raises(StatementError, match="w0"):
        paging.read_rows(kept.rows, {"page_limit": 21, "page_offset": 0}).all()
