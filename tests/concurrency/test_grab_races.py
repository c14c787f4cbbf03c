"""Riders racing over HTTP on PostgreSQL (SQLite's single writer would queue them and prove
nothing): 32 riders grab one fresh task at once and exactly one wins; one rider grabbing several
tasks at once never passes their cap; a tap replayed by many copies at once moves once.
"""

from __future__ import annotations

import secrets
import threading
from collections import Counter

import pytest
from sqlalchemy import func, select

from app.accounts.models import Role
from app.delivery.models import DeliveryTask, RiderProfile, TaskStatus, TaskTap
from app.delivery.services import grab_task, ship_with_assistant
from app.extensions import db
from app.jobs import commit
from app.ordering.models import OrderEvent
from tests.factories import PASSWORD, actor_of, make_buyer, make_product, make_store, make_user
from tests.factories import place_order as place

pytestmark = pytest.mark.postgres

RIDERS = 32
HX = {"HX-Request": "true"}


@pytest.fixture
def racing(app_factory):
    """An app whose engine pool fits every rider's request at once."""
    return app_factory(SQLALCHEMY_ENGINE_OPTIONS={"pool_size": RIDERS + 4, "max_overflow": 8})


def cookie_of(app, user) -> str:
    client = app.test_client()
    answer = client.post("/login", data={"phone": user.phone, "password": PASSWORD})
    assert answer.status_code == 303
    return client.get_cookie("session").value


def fire(app, requests: list[tuple[str, str, dict]]) -> list[tuple[int, str]]:
    """Send every (cookie, url, form) from its own thread, released together."""
    barrier = threading.Barrier(len(requests))
    answers: list[tuple[int, str]] = []
    lock = threading.Lock()

    def send(cookie: str, url: str, form: dict) -> None:
        client = app.test_client()
        client.set_cookie("session", cookie)
        barrier.wait()
        response = client.post(url, data=form, headers=HX)
        with lock:
            answers.append((response.status_code, response.get_data(as_text=True)))

    threads = [threading.Thread(target=send, args=request) for request in requests]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(answers) == len(requests), "a request never answered"
    return answers


def shipped_tasks(n: int) -> list[int]:
    store = make_store(rider_commission_fen=600)
    owner = make_user(Role.STORE_STAFF, store=store)
    product = make_product(store, "宫保鸡丁")
    ids = []
    for _ in range(n):
        ids.append(ship_with_assistant(place(make_buyer(), product), actor_of(owner)).id)
        commit()
    return ids


def test_32_riders_grab_one_task_and_exactly_one_wins(racing):
    with racing.app_context():
        [task_id] = shipped_tasks(1)
        riders = [make_user(Role.RIDER) for _ in range(RIDERS)]
        commit()
        cookies = {rider.id: cookie_of(racing, rider) for rider in riders}
        db.session.remove()

    url = f"/rider/tasks/{task_id}/grab"
    answers = fire(racing, [(c, url, {"key": secrets.token_hex(16)}) for c in cookies.values()])

    outcomes = Counter(status for status, _ in answers)
    assert outcomes == Counter({200: 1, 409: RIDERS - 1}), outcomes
    assert sum("抢单成功" in body for _, body in answers) == 1
    assert sum("已被抢" in body for _, body in answers) == RIDERS - 1
    with racing.app_context():
        task = db.session.get(DeliveryTask, task_id)
        assert task.status == TaskStatus.ACCEPTED and task.rider_id in cookies
        accepted = db.session.scalar(
            select(func.count()).where(
                OrderEvent.order_id == task.order_id, OrderEvent.to_status == "accepted"
            )
        )
        assert accepted == 1
        assert db.session.scalar(select(func.count(TaskTap.id))) == 1  # the winner's key only
        db.session.remove()


def test_a_rider_grabbing_five_tasks_at_once_stops_at_the_cap(racing):
    with racing.app_context():
        task_ids = shipped_tasks(5)
        rider = make_user(Role.RIDER)
        db.session.get(RiderProfile, rider.id).max_active = 2
        commit()
        cookie = cookie_of(racing, rider)
        rider_id = rider.id
        db.session.remove()

    answers = fire(
        racing,
        [(cookie, f"/rider/tasks/{t}/grab", {"key": secrets.token_hex(16)}) for t in task_ids],
    )

    assert Counter(status for status, _ in answers) == Counter({200: 2, 409: 3})
    assert sum("达到上限 2 单" in body for _, body in answers) == 3
    with racing.app_context():
        mine = db.session.scalar(select(func.count()).where(DeliveryTask.rider_id == rider_id))
        assert mine == 2
        db.session.remove()


def test_one_tap_arriving_eight_times_at_once_moves_once_and_answers_the_same(racing):
    """The phone's queue sent 到店 again and again while the network flapped: same key."""
    with racing.app_context():
        [task_id] = shipped_tasks(1)
        rider = make_user(Role.RIDER)
        commit()
        grab_task(db.session.get(DeliveryTask, task_id), actor_of(rider))
        commit()
        cookie = cookie_of(racing, rider)
        order_id = db.session.get(DeliveryTask, task_id).order_id
        db.session.remove()

    form = {"to": "arrived", "key": "flapping-network-tap-1"}
    answers = fire(racing, [(cookie, f"/rider/tasks/{task_id}/status", form)] * 8)

    assert {status for status, _ in answers} == {200}
    assert all("<h2>已到店</h2>" in body for _, body in answers)  # the card as it is now
    with racing.app_context():
        arrived = db.session.scalar(
            select(func.count()).where(
                OrderEvent.order_id == order_id, OrderEvent.to_status == "arrived"
            )
        )
        assert arrived == 1
        db.session.remove()
