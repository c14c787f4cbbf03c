"""In Chromium: the rider's pool polls with the version it shows; while nothing changes the
answer is 204 and htmx keeps the very same cards; a task pushed meanwhile appears by itself, and
(once 开工 armed the sound) rings and buzzes the phone once."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.accounts.models import Role, User
from app.delivery.models import RiderProfile
from app.delivery.services import ship_with_assistant
from app.extensions import db
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


# Counts what the page plays and how it buzzes: the tones started by the Web Audio API and the
# patterns given to navigator.vibrate (a headless browser has no speaker nor motor to ask).
SOUND_SPY = """
window.__tones = 0;
window.__buzz = [];
Object.defineProperty(navigator, "vibrate", {
  value: function (pattern) { window.__buzz.push(pattern); return true; },
});
const RealContext = window.AudioContext;
window.AudioContext = class extends RealContext {
  createOscillator() {
    const osc = super.createOscillator();
    const start = osc.start.bind(osc);
    osc.start = (when) => { window.__tones += 1; return start(when); };
    return osc;
  }
};
"""


def test_the_start_tap_arms_the_sound_and_a_new_task_rings_and_buzzes(people, live_server):
    with live_server.app.app_context():
        rider_id = db.session.scalar(select(User.id).where(User.phone == "13800000006"))
        db.session.get(RiderProfile, rider_id).on_duty = False
        commit()
        db.session.remove()
    rider = people("rider")
    rider.context.add_init_script(SOUND_SPY)
    phone = rider.login("13800000006")
    expect(phone.locator("main")).to_contain_text("收工中")
    phone.get_by_role("button", name="开工").click()  # the tap that lets the page make sound
    expect(phone.locator("main")).to_contain_text("开工中")
    assert phone.evaluate("window.__tones") == 2  # the rider hears what a new task sounds like
    assert phone.evaluate("window.__buzz") == [[200, 100, 200]]
    assert phone.evaluate("document.querySelector('[data-sound-off]').hidden") is True
    phone.wait_for_timeout(2500)  # quiet polls (204): nothing rings
    assert phone.evaluate("window.__tones") == 2

    with live_server.app.app_context():
        store = make_store(name="响铃的小店", rider_commission_fen=700)
        owner = make_user(Role.STORE_STAFF, store=store)
        order = place_order(make_buyer(), make_product(store, "椰子饭", price_fen=2800))
        ship_with_assistant(order, actor_of(owner))  # pushed to the pool by the courier job
        commit()
        db.session.remove()
    expect(phone.locator("#pool")).to_contain_text("响铃的小店", timeout=5000)
    phone.wait_for_function("window.__tones >= 4")
    assert phone.evaluate("window.__buzz") == [[200, 100, 200], [200, 100, 200]]
    phone.wait_for_timeout(2500)  # the same task on the next polls rings no more
    assert phone.evaluate("window.__tones") == 4
    rider.shot("new-task-rang")
