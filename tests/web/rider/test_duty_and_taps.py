"""开工 / 收工, the pool's cards, five taps from the pool to 送达 with its confirmation, taps
remembered by their key, the position while on a task, and riders who may not work."""

from __future__ import annotations

import re
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from sqlalchemy import func, select

from app.accounts.models import Role
from app.clock import utcnow
from app.delivery.models import RiderProfile, RiderStatus, TaskStatus
from app.delivery.services import grab_task
from app.extensions import db
from app.jobs import commit
from app.ordering.models import OrderEvent
from app.ordering.states import OrderStatus
from tests.factories import actor_of, make_user
from tests.web.rider.test_rider import HX, grab, pool_card, tap


class Forms(HTMLParser):
    """Every form of a page: its action, its fields' values and its buttons' words."""

    def __init__(self, html: str):
        super().__init__()
        self.forms: list[dict] = []
        self._button: dict | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append({"action": attrs.get("action"), "fields": {}, "buttons": []})
        elif tag == "input" and self.forms and attrs.get("name"):
            self.forms[-1]["fields"][attrs["name"]] = attrs.get("value") or ""
        elif tag == "button" and self.forms:
            self._button = {"text": ""}

    def handle_data(self, data):
        if self._button is not None:
            self._button["text"] += data

    def handle_endtag(self, tag):
        if tag == "button" and self._button is not None:
            self.forms[-1]["buttons"].append(self._button["text"].strip())
            self._button = None


def form_with_button(html: str, words: str) -> dict:
    found = [f for f in Forms(html).forms if words in f["buttons"]]
    assert len(found) == 1, f"{len(found)} forms with a {words!r} button"
    return found[0]


def moves_to(task, status: str) -> int:
    return db.session.scalar(
        select(func.count()).where(
            OrderEvent.order_id == task.order_id,
            OrderEvent.machine == "delivery",
            OrderEvent.to_status == status,
        )
    )


def set_profile(user, **values) -> None:
    profile = db.session.get(RiderProfile, user.id)
    for name, value in values.items():
        setattr(profile, name, value)
    commit()


def status_of(task) -> str:
    db.session.expire_all()
    return db.session.get(type(task), task.id).status


# ---- 开工 / 收工 ------------------------------------------------------------------------------


def test_off_duty_the_pool_says_so_with_a_big_start_button_and_no_tasks(client, login, ship, rider):
    task = ship()
    set_profile(rider, on_duty=False)
    login(rider)
    page = client.get("/rider/").text
    assert "收工中" in page
    start = form_with_button(page, "开工")
    assert start["action"] == "/rider/duty" and start["fields"]["on"] == "1"
    assert f"pool-task-{task.id}" not in page and "every " not in page  # no cards, no polling


def test_going_on_duty_shows_the_pool(client, login, ship, rider):
    task = ship()
    set_profile(rider, on_duty=False)
    login(rider)
    answer = client.post("/rider/duty", data={"on": "1"})
    assert answer.status_code == 303 and answer.headers["Location"].endswith("/rider/")
    page = client.get("/rider/").text
    assert "开工中" in page and pool_card(page, task)
    assert db.session.get(RiderProfile, rider.id).on_duty is True


def test_with_htmx_going_on_duty_swaps_in_the_polling_pool(client, login, ship, rider):
    task = ship()
    set_profile(rider, on_duty=False)
    login(rider)
    block = client.post("/rider/duty", data={"on": "1"}, headers=HX).text
    assert block.strip().startswith('<section id="pool" hx-get="/rider/"') and "<html" not in block
    assert pool_card(block, task)


def test_going_off_duty_with_a_task_on_hand_is_refused_plainly(client, login, ship, rider):
    grab_task(ship(), actor_of(rider))
    commit()
    login(rider)
    answer = client.post("/rider/duty", data={"on": "0"}, headers=HX)
    assert answer.status_code == 409
    assert "还有 1 单在配送，全部送达后才能收工" in answer.text
    assert db.session.get(RiderProfile, rider.id).on_duty is True


def test_a_fuzzed_duty_form_is_a_422(client, login, rider):
    login(rider)
    assert client.post("/rider/duty", data={"on": "yes"}, headers=HX).status_code == 422


def test_an_off_duty_rider_cannot_grab_nor_open_a_pool_task(client, login, ship, rider):
    task = ship()
    set_profile(rider, on_duty=False)
    login(rider)
    answer = grab(client, task, HX)
    assert answer.status_code == 409 and "您已收工，请先开工再抢单" in answer.text
    assert client.get(f"/rider/tasks/{task.id}").status_code == 404
    assert status_of(task) == TaskStatus.WAITING


def test_a_full_rider_sees_why_and_cannot_grab(client, login, ship, rider):
    set_profile(rider, max_active=1)
    grab_task(ship(), actor_of(rider))
    task = ship()
    commit()
    login(rider)
    page = client.get("/rider/").text
    assert "已达接单上限 1 单，送达后可继续抢单" in page
    assert ">抢单</button>" not in pool_card(page, task)
    answer = grab(client, task, HX)
    assert answer.status_code == 409 and "达到上限 1 单" in answer.text
    assert status_of(task) == TaskStatus.WAITING


# ---- riders who may not work ------------------------------------------------------------------


@pytest.mark.parametrize(
    "status, words",
    [
        (RiderStatus.PENDING, "审核中"),
        (RiderStatus.DISABLED, "已停用"),
        (RiderStatus.REJECTED, "未通过审核"),
    ],
)
def test_a_rider_who_may_not_work_sees_why_and_no_pool(client, login, ship, rider, status, words):
    task = ship()
    set_profile(rider, status=status, review_note="证件照片不清楚")
    login(rider)
    for path in ("/rider/", "/rider/tasks", "/rider/me", f"/rider/tasks/{task.id}"):
        answer = client.get(path)
        assert answer.status_code == 403, path
        assert words in answer.text and "抢单池" not in answer.text
        assert "退出登录" in answer.text
    assert grab(client, task).status_code == 403
    assert status_of(task) == TaskStatus.WAITING
    if status == RiderStatus.REJECTED:
        assert "原因：证件照片不清楚" in client.get("/rider/").text


# ---- the pool's cards -------------------------------------------------------------------------


def test_a_card_shows_the_distances_and_the_slot(client, login, ship, rider, store):
    store.lat, store.lng = 20.0440, 110.3200
    task = ship()
    task.distance_m = 3400
    task.order.delivery_slot_at = utcnow() + timedelta(hours=1)
    commit()
    login(rider)
    card = pool_card(client.get("/rider/?lat=20.0530&lng=110.3200").text, task)
    assert re.search(r"取货</dt><dd><strong[^>]*>1\.0 公里</strong>", card)
    assert re.search(r"送达</dt><dd><strong[^>]*>3\.4 公里</strong>", card)
    assert "预约 今天" in card or "预约 明天" in card


def test_without_a_position_a_card_shows_no_pickup_distance(client, login, ship, rider, store):
    store.lat, store.lng = 20.0440, 110.3200
    task = ship()
    login(rider)
    for query in ("", "?lat=0&lng=0", "?lat=nan&lng=1", "?lat=200&lng=1", "?lat=x&lng=y"):
        card = pool_card(client.get(f"/rider/{query}").text, task)
        assert "取货</dt><dd><span>" in card, query
        assert "尽快送达" in card


def test_a_dada_task_never_shows_in_the_pool(client, login, ship, rider):
    task = ship()
    task.courier = "dada"
    commit()
    login(rider)
    assert f"pool-task-{task.id}" not in client.get("/rider/").text
    assert grab(client, task, HX).status_code == 409
    assert status_of(task) == TaskStatus.WAITING


# ---- five taps from the pool, 送达 confirmed ---------------------------------------------------


def test_from_the_pool_to_delivered_in_five_taps_plus_the_confirmation(client, login, ship, rider):
    """Only the forms the pages show are sent, as a phone without JavaScript would."""
    task = ship()
    login(rider)
    taps = 0

    def press(form: dict, **headers):
        nonlocal taps
        taps += form["fields"].get("confirm") != "yes"  # the confirmation is not a tap
        return client.post(form["action"], data=form["fields"], headers=headers)

    grabbed = press(form_with_button(client.get("/rider/").text, "抢单"), **HX)
    assert grabbed.status_code == 200 and "抢单成功" in grabbed.text
    arrived = press(form_with_button(grabbed.text, "到店"))  # right on the pool's card
    assert arrived.headers["Location"].endswith(f"/rider/tasks/{task.id}")
    page = client.get(arrived.headers["Location"]).text
    for button in ("取单", "配送"):
        page = client.get(press(form_with_button(page, button)).headers["Location"]).text
    assert status_of(task) == TaskStatus.DELIVERING
    asked = press(form_with_button(page, "送达"))
    assert asked.headers["Location"].endswith(f"/rider/tasks/{task.id}?confirm=delivered")
    assert status_of(task) == TaskStatus.DELIVERING  # 送达 alone moves nothing
    page = client.get(asked.headers["Location"]).text
    assert "确认已将订单送达顾客手中？" in page and "还没送到" in page
    press(form_with_button(page, "确认送达"))
    assert taps == 5
    assert status_of(task) == TaskStatus.DELIVERED
    db.session.refresh(task.order)
    assert task.order.status == OrderStatus.COMPLETED


def test_with_htmx_a_bare_delivered_tap_returns_the_card_asking_to_confirm(
    client, login, ship, rider
):
    task = ship()
    grab_task(task, actor_of(rider))
    commit()
    login(rider)
    for to in ("arrived", "picked", "delivering"):
        tap(client, task, to)
    card = tap(client, task, "delivered", HX, confirm=False).text
    assert 'id="task-card"' in card and "<html" not in card
    step = re.search(r'<div class="confirm-step" data-confirm-step([^>]*)>', card)
    assert step and "hidden" not in step.group(1)
    assert status_of(task) == TaskStatus.DELIVERING


def test_the_task_page_hides_the_confirmation_until_delivered_is_tapped(client, login, ship, rider):
    task = ship()
    grab_task(task, actor_of(rider))
    commit()
    login(rider)
    for to in ("arrived", "picked", "delivering"):
        tap(client, task, to)
    page = client.get(f"/rider/tasks/{task.id}").text
    assert re.search(r'<div class="confirm-step" data-confirm-step hidden>', page)
    delivered = form_with_button(page, "送达")
    assert "confirm" not in delivered["fields"]  # the confirming one is 确认送达


# ---- keys: replays, twins, fuzz ---------------------------------------------------------------


def test_a_tap_replayed_after_going_offline_moves_once_and_answers_the_same(
    client, login, ship, rider
):
    task = ship()
    login(rider)
    grab(client, task)
    first = tap(client, task, "arrived", HX, key="offline-arrived-1")
    tap(client, task, "picked", key="then-picked-0001")
    replay = tap(client, task, "arrived", HX, key="offline-arrived-1")
    assert first.status_code == replay.status_code == 200
    assert 'id="task-card"' in replay.text and "已取单" in replay.text
    assert moves_to(task, TaskStatus.ARRIVED) == 1 and status_of(task) == TaskStatus.PICKED
    plain = tap(client, task, "arrived", key="offline-arrived-1")  # the same, without htmx
    assert plain.status_code == 303 and plain.headers["Location"].endswith(f"/tasks/{task.id}")


def test_a_grab_replayed_with_its_key_answers_success_again(client, login, ship, rider):
    task = ship()
    login(rider)
    first = grab(client, task, HX, key="grab-once-0001")
    again = grab(client, task, HX, key="grab-once-0001")
    assert first.status_code == again.status_code == 200
    assert "抢单成功" in again.text
    assert moves_to(task, TaskStatus.ACCEPTED) == 1


def test_a_key_sent_again_for_another_move_is_refused(client, login, ship, rider):
    task = ship()
    login(rider)
    grab(client, task)
    tap(client, task, "arrived", key="one-tap-key-01")
    answer = tap(client, task, "picked", HX, key="one-tap-key-01")
    assert answer.status_code == 422
    assert "这个操作编号已用于另一次操作，请刷新页面后重试" in answer.text
    assert status_of(task) == TaskStatus.ARRIVED


@pytest.mark.parametrize(
    "key",
    ["", "short", "x" * 65, "k" * 5000, "<script>alert(1)</script>", "键" * 20, None],
    ids=["empty", "short", "65", "5000", "markup", "unicode", "missing"],
)
def test_a_fuzzed_key_is_a_clear_422_and_moves_nothing(client, login, ship, rider, key):
    task = ship()
    login(rider)
    data = {} if key is None else {"key": key}
    answer = client.post(f"/rider/tasks/{task.id}/grab", data=data, headers=HX)
    assert answer.status_code == 422
    assert "操作编号无效，请刷新页面后重试" in answer.text
    assert status_of(task) == TaskStatus.WAITING
    grab(client, task)
    data["to"] = "arrived"
    answer = client.post(f"/rider/tasks/{task.id}/status", data=data, headers=HX)
    assert answer.status_code == 422
    assert "操作编号无效，请刷新页面后重试" in answer.text
    assert status_of(task) == TaskStatus.ACCEPTED


def test_another_riders_task_is_404_whatever_the_key(app, client, login, ship, rider):
    task = ship()
    other = make_user(Role.RIDER)
    grab_task(task, actor_of(other))
    commit()
    login(rider)
    assert client.get(f"/rider/tasks/{task.id}").status_code == 404
    assert tap(client, task, "arrived", key="stolen-key-0001").status_code == 404
    assert tap(client, task, "delivered", key="stolen-key-0002").status_code == 404
    assert status_of(task) == TaskStatus.ACCEPTED


# ---- the position while on a task -------------------------------------------------------------


def test_the_position_is_stored_while_a_task_is_on_hand(client, login, ship, rider):
    grab_task(ship(), actor_of(rider))
    commit()
    login(rider)
    answer = client.post("/rider/position", data={"lat": "20.044", "lng": "110.32"})
    assert answer.status_code == 204
    db.session.expire_all()
    profile = db.session.get(RiderProfile, rider.id)
    assert (profile.lat, profile.lng) == (20.044, 110.32) and profile.position_at is not None


def test_a_task_page_asks_for_the_position_only_while_on_the_task(client, login, ship, rider):
    task = ship()
    login(rider)
    assert "data-track" not in client.get(f"/rider/tasks/{task.id}").text  # in the pool
    grab(client, task)
    assert 'data-track="/rider/position"' in client.get(f"/rider/tasks/{task.id}").text


@pytest.mark.parametrize(
    "lat, lng",
    [("91", "110"), ("20", "181"), ("0", "0"), ("nan", "110"), ("inf", "1"), ("x", "y")],
)
def test_absurd_coordinates_are_refused_plainly(client, login, ship, rider, lat, lng):
    grab_task(ship(), actor_of(rider))
    commit()
    login(rider)
    answer = client.post("/rider/position", data={"lat": lat, "lng": lng}, headers=HX)
    assert answer.status_code == 422 and "定位数据无效" in answer.text
    db.session.expire_all()
    assert db.session.get(RiderProfile, rider.id).lat is None


def test_a_rider_with_nothing_on_hand_is_not_tracked(client, login, rider):
    login(rider)
    answer = client.post("/rider/position", data={"lat": "20.04", "lng": "110.32"}, headers=HX)
    assert answer.status_code == 409 and "没有进行中的配送" in answer.text


def test_only_riders_send_a_position(client, login, store):
    login(make_user(Role.STORE_STAFF, store=store))
    assert client.post("/rider/position", data={"lat": "20", "lng": "110"}).status_code == 403


def test_the_position_form_wants_both_numbers(client, login, ship, rider):
    grab_task(ship(), actor_of(rider))
    commit()
    login(rider)
    assert client.post("/rider/position", data={"lat": "20"}).status_code == 422


def test_my_deliveries_cards_are_whole_links(client, login, ship, rider):
    task = ship()
    grab_task(task, actor_of(rider))
    commit()
    login(rider)
    page = client.get("/rider/tasks").text
    card = re.search(rf'<a class="card block task-row" href="/rider/tasks/{task.id}"', page)
    assert card, "the card is one link"
    assert 'data-track="/rider/position"' in page


def test_with_htmx_a_task_page_is_only_its_card(client, login, ship, rider):
    """What the phone's script fetches to redraw a card after a refused tap."""
    task = ship()
    grab_task(task, actor_of(rider))
    commit()
    login(rider)
    card = client.get(f"/rider/tasks/{task.id}", headers=HX).text
    assert "<html" not in card and card.strip().startswith('<section class="card task-card"')
    assert f'data-refresh="/rider/tasks/{task.id}"' in card and "已接单" in card
