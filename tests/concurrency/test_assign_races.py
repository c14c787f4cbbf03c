"""Dispatchers racing on PostgreSQL: two of them give two tasks to a rider with one free slot at
the same moment (the lock on the rider's profile lets exactly one through); one dispatcher's
double submit assigns once; a dispatcher assigning while a rider grabs has one winner.

PostgreSQL only: SQLite's single writer queues the requests one after another, so the race the
lock settles cannot happen there and the test would prove nothing.
"""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from sqlalchemy import func, select

from app.accounts.models import User
from app.delivery.connection import assistant_settings
from app.delivery.dispatch import assign_task
from app.delivery.models import ACTIVE, DeliveryTask, DispatchMode
from app.delivery.services import grab_task
from app.extensions import db
from app.jobs import commit
from app.ordering.models import OrderEvent
from tests.factories import PASSWORD, actor_of, make_user
from tests.support.racing import together
from tests.unit.delivery.dispatch_world import build, make_rider

pytestmark = pytest.mark.postgres


@pytest.fixture
def racing(app_factory):
    app = app_factory(SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 10, "max_overflow": 4})
    with app.app_context():
        yield app
        db.session.remove()


def on_hands(rider_id: int) -> int:
    db.session.expire_all()
    return db.session.scalar(
        select(func.count(DeliveryTask.id)).where(
            DeliveryTask.rider_id == rider_id, DeliveryTask.status.in_(ACTIVE)
        )
    )


def test_two_dispatchers_fill_the_last_free_slot_once(racing):
    world = build()
    second_dispatcher = make_user("dispatcher", name="孙调度")
    first_task, second_task = world.ship(), world.ship()
    rider = make_rider("赵骑手", cap=1)
    commit()
    ids = (first_task.id, second_task.id)
    people = (world.dispatcher.id, second_dispatcher.id)
    rider_id = rider.id
    db.session.remove()

    def assigner(task_id: int, dispatcher_id: int):
        def work() -> None:
            dispatcher = db.session.get(User, dispatcher_id)
            assign_task(db.session.get(DeliveryTask, task_id), rider_id, actor_of(dispatcher))

        return work

    outcomes = together(racing, *(assigner(t, d) for t, d in zip(ids, people, strict=True)))

    assert outcomes == Counter({"won": 1, "骑手 赵骑手 已有 1 单在配送，达到上限 1 单": 1})
    assert on_hands(rider_id) == 1
    waiting = db.session.scalar(
        select(func.count(DeliveryTask.id)).where(
            DeliveryTask.id.in_(ids), DeliveryTask.rider_id.is_(None)
        )
    )
    assert waiting == 1


def test_a_dispatchers_double_submit_assigns_once(racing):
    world = build()
    task = world.ship()
    rider = make_rider("赵骑手", cap=1)
    commit()
    task_id, order_id, rider_id = task.id, task.order_id, rider.id
    phone = world.dispatcher.phone
    db.session.remove()
    browsers = []
    for _ in range(3):
        browser = racing.test_client()
        assert (
            browser.post("/login", data={"phone": phone, "password": PASSWORD}).status_code == 303
        )
        browsers.append(browser)
    barrier = threading.Barrier(3)
    answers: list[tuple[int, str]] = []
    lock = threading.Lock()

    def submit(browser) -> None:
        barrier.wait()
        answer = browser.post(f"/dispatch/tasks/{task_id}/assign", data={"rider_id": rider_id})
        with lock:
            answers.append((answer.status_code, answer.headers.get("Location", "")))

    threads = [threading.Thread(target=submit, args=(b,)) for b in browsers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert len(set(answers)) == 1 and answers[0] == (303, f"/dispatch/tasks/{task_id}")
    db.session.expire_all()
    assigned = db.session.scalar(
        select(func.count(OrderEvent.id)).where(
            OrderEvent.order_id == order_id, OrderEvent.to_status == "accepted"
        )
    )
    assert assigned == 1 and on_hands(rider_id) == 1


def test_a_dispatcher_and_a_grabbing_rider_have_one_winner(racing):
    world = build()
    task = world.ship(DispatchMode.GRAB)
    task.announced_at = task.created_at  # in the pool
    assistant_settings().mode = DispatchMode.ASSIGN  # and the dispatcher may hand it out
    grabber, chosen = make_rider("赵骑手"), make_rider("孙骑手")
    commit()
    task_id, dispatcher_id = task.id, world.dispatcher.id
    grabber_id, chosen_id = grabber.id, chosen.id
    db.session.remove()

    def grab() -> None:
        rider = db.session.get(User, grabber_id)
        grab_task(db.session.get(DeliveryTask, task_id), actor_of(rider))

    def give() -> None:
        dispatcher = db.session.get(User, dispatcher_id)
        assign_task(db.session.get(DeliveryTask, task_id), chosen_id, actor_of(dispatcher))

    outcomes = together(racing, grab, give)

    db.session.expire_all()
    task = db.session.get(DeliveryTask, task_id)
    events = list(
        db.session.execute(
            select(OrderEvent.note).where(
                OrderEvent.order_id == task.order_id, OrderEvent.to_status == "accepted"
            )
        ).scalars()
    )
    if outcomes["won"] == 1:  # they met: one winner, the other told who has it
        [lost] = [reason for reason in outcomes if reason != "won"]
        assert lost in ("已被抢", "该配送单已由骑手 赵骑手 接单，请刷新后再试")
        assert len(events) == 1
    else:  # the dispatcher read the task after the grab: a reassignment, on the timeline
        assert outcomes == Counter({"won": 2})
        assert task.rider_id == chosen_id and events[-1]["code"] == "task_reassigned"
    assert on_hands(grabber_id) + on_hands(chosen_id) == 1
