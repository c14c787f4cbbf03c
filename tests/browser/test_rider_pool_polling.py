"""In Chromium: the rider's pool polls with the version it shows; while nothing changes the
answer is 204 and htmx keeps the very same cards; a task pushed meanwhile appears by itself."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from app.accounts.models import Role
from app.delivery.services import ship_with_assistant
from app.jobs import commit
from tests.factories import actor_of, make_buyer, make_product, make_store, make_user, place_order

pytestmark = pytest.mark.browser


@pytest.fixture
def app_factory(app_factory):
    """The live server's app, polling every second."""

    def build(**overrides):
        return app_factory(RIDER_POLL_SECONDS=1, **overrides)

    return build


def test_an_unchanged_pool_keeps_its_cards_and_a_new_task_still_shows(people, live_server):
    rider = people("rider")
    phone = rider.login("13800000006")
    polls: list[tuple[str, int]] = []
    phone.on(
        "response",
        lambda answer: "seen=" in answer.url and polls.append((answer.url, answer.status)),
    )
    pool = phone.locator("#pool")
    expect(pool).to_be_visible()
    phone.evaluate("document.getElementById('pool').dataset.kept = 'yes'")  # marks this element
    phone.wait_for_timeout(3500)
    assert len(polls) >= 2 and {status for _url, status in polls} == {204}, polls
    expect(phone.locator("#pool[data-kept=yes]")).to_have_count(1)  # never swapped

    with live_server.app.app_context():
        store = make_store(name="新开的小店", rider_commission_fen=700)
        owner = make_user(Role.STORE_STAFF, store=store)
        order = place_order(make_buyer(), make_product(store, "椰子饭", price_fen=2800))
        ship_with_assistant(order, actor_of(owner))  # pushed to the pool by the courier job
        commit()
    expect(pool).to_contain_text("新开的小店", timeout=5000)
    expect(phone.locator("#pool[data-kept=yes]")).to_have_count(0)  # the block came anew
    assert 200 in {status for _url, status in polls}
    rider.shot("pool-with-a-pushed-task")
