"""Every mutating route, submitted several times at the same moment from one session (a double
tap, a retry on a flaky network): exactly one effect, the same answer for every twin, never 500.

PostgreSQL only: SQLite's single writer queues the twins one after another, so a race that
would double an effect cannot happen there and the test would prove nothing.
"""

from __future__ import annotations

import io
import threading
from dataclasses import dataclass

import pytest
from flask import Flask
from sqlalchemy import func, select

from app.accounts.models import Role
from app.catalog.models import Sku
from app.delivery.models import DeliveryTask, DispatchMode, TaskStatus
from app.delivery.services import dispatch_settings, grab_task, ship_with_assistant
from app.extensions import db
from app.jobs import commit
from app.notifications.models import SmsMessage
from app.ordering.models import CartItem, Checkout, Order, OrderEvent
from app.ordering.services import accept_order
from app.ordering.states import OrderStatus
from app.wholesale.models import Fulfilment, SlipPhoto
from app.wholesale.services import ship_other_way
from tests.factories import (
    PASSWORD,
    actor_of,
    make_buyer,
    make_product,
    make_store,
    make_user,
    place_order,
    store_actor,
)
from tests.support.wholesale_world import build_world, confirmed, order_of, png_file, shipped_to

pytestmark = pytest.mark.postgres

TWINS = 3


@dataclass
class Answer:
    status: int
    location: str


def fire_together(app: Flask, user, method: str, url: str, data) -> list[Answer]:
    """Log in once, then send the same request from TWINS threads sharing that session.

    `data` is the form, or a function making it afresh for each twin (files are read once)."""
    login = app.test_client()
    assert login.post("/login", data={"phone": user.phone, "password": PASSWORD}).status_code == 303
    cookie = login.get_cookie("session")
    barrier = threading.Barrier(TWINS)
    answers: list[Answer] = []
    lock = threading.Lock()

    def twin() -> None:
        browser = app.test_client()
        browser.set_cookie("session", cookie.value)
        barrier.wait()
        response = browser.open(url, method=method, data=data() if callable(data) else data)
        with lock:
            answers.append(Answer(response.status_code, response.headers.get("Location", "")))

    threads = [threading.Thread(target=twin) for _ in range(TWINS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return answers


def same_answer_for_all(answers: list[Answer]) -> Answer:
    assert len(answers) == TWINS
    assert all(answer.status < 500 for answer in answers), answers
    assert len({(a.status, a.location) for a in answers}) == 1, answers  # as the winner's
    return answers[0]


@pytest.fixture
def racing(app_factory):
    app = app_factory(SQLALCHEMY_ENGINE_OPTIONS={"pool_size": TWINS + 4, "max_overflow": 4})
    with app.app_context():
        yield app
        db.session.remove()


def count(query) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(query.subquery()))


def moves_to(order, status: str) -> int:
    """How many timeline rows record the order (or its task) arriving at `status`."""
    return count(
        select(OrderEvent.id).where(OrderEvent.order_id == order.id, OrderEvent.to_status == status)
    )


def events_of(order) -> int:
    return count(select(OrderEvent.id).where(OrderEvent.order_id == order.id))


# ---- the buyer ------------------------------------------------------------------------------


def test_checkout_pressed_three_times_places_the_orders_once(racing):
    buyer = make_buyer()
    product = make_product(make_store(), stock=10)
    commit()
    client = racing.test_client()
    client.post("/login", data={"phone": buyer.phone, "password": PASSWORD})
    client.post("/shop/cart/add", data={"sku_id": product.skus[0].id, "quantity": 2})
    form = client.get("/shop/checkout").get_data(as_text=True)
    key = form.split('name="checkout_key" value="')[1].split('"')[0]
    address_id = form.split('name="address_id" value="')[1].split('"')[0]

    answers = fire_together(
        racing,
        buyer,
        "POST",
        "/shop/checkout",
        {"address_id": address_id, "payment_method": "cod", "checkout_key": key},
    )

    assert same_answer_for_all(answers).status == 303
    assert count(select(Order.id).where(Order.buyer_id == buyer.id)) == 1
    assert count(select(Checkout.id)) == 1
    assert db.session.get(Sku, product.skus[0].id).stock == 8  # taken once, not three times


def test_two_tabs_checking_out_one_cart_place_its_orders_once(racing):
    buyer = make_buyer()
    product = make_product(make_store(), stock=10)
    commit()
    client = racing.test_client()
    client.post("/login", data={"phone": buyer.phone, "password": PASSWORD})
    client.post("/shop/cart/add", data={"sku_id": product.skus[0].id, "quantity": 2})
    address_id = (
        client.get("/shop/checkout").get_data(as_text=True).split('name="address_id" value="')[1]
    ).split('"')[0]

    # Each tab drew its own form, so each has its own key (none here): the cart is the claim.
    answers = fire_together(
        racing, buyer, "POST", "/shop/checkout", {"address_id": address_id, "payment_method": "cod"}
    )

    statuses = sorted(answer.status for answer in answers)
    # one tab places the orders; the others are told plainly (the cart changed, or is empty
    # by the time they read it)
    assert statuses[0] == 303 and all(status in (409, 422) for status in statuses[1:])
    assert count(select(Order.id).where(Order.buyer_id == buyer.id)) == 1
    assert db.session.get(Sku, product.skus[0].id).stock == 8


def test_add_to_cart_at_the_same_moment_never_fails(racing):
    buyer = make_buyer()
    product = make_product(make_store(), stock=100)
    commit()
    answers = fire_together(
        racing, buyer, "POST", "/shop/cart/add", {"sku_id": product.skus[0].id, "quantity": 1}
    )
    same_answer_for_all(answers)
    lines = db.session.execute(select(CartItem).where(CartItem.user_id == buyer.id)).scalars()
    [line] = list(lines)  # one line, never a unique-constraint 500
    assert line.quantity == TWINS  # adding is additive: each press added one (the button
    # disables itself while a press is on its way, so a real double tap sends one)


def test_confirming_receipt_twice_completes_once(racing):
    world = build_world()
    order = order_of(world)
    manager = actor_of(world.manager)
    confirmed(world, order)
    ship_other_way(order, "express", "顺丰 SF1", manager)
    commit()
    before = events_of(order)
    answers = fire_together(
        racing, world.buyer, "POST", f"/shop/orders/{order.no}/receive", {"confirm": "yes"}
    )
    same_answer_for_all(answers)
    assert events_of(order) == before + 1
    assert db.session.get(Order, order.id).status == OrderStatus.COMPLETED


# ---- the store ------------------------------------------------------------------------------


@pytest.fixture
def store_world(racing):
    store = make_store()
    owner = make_user(Role.STORE_STAFF, store=store)
    order = place_order(make_buyer(), make_product(store), accept=False)
    commit()
    return store, owner, order


def test_accepting_three_times_accepts_once(store_world, racing):
    store, owner, order = store_world
    answers = fire_together(racing, owner, "POST", f"/store/orders/{order.id}/accept", {})
    same_answer_for_all(answers)
    assert events_of(order) == 2  # placed, accepted
    assert db.session.get(Order, order.id).status == OrderStatus.AWAITING_SHIPMENT


def test_rejecting_three_times_rejects_once(store_world, racing):
    store, owner, order = store_world
    answers = fire_together(
        racing, owner, "POST", f"/store/orders/{order.id}/reject", {"reason": "售罄"}
    )
    same_answer_for_all(answers)
    assert events_of(order) == 2
    assert db.session.get(Order, order.id).status == OrderStatus.CLOSED


def test_shipping_three_times_makes_one_delivery_task(store_world, racing):
    store, owner, order = store_world
    accept_order(order, store_actor(store.id))
    commit()
    answers = fire_together(
        racing, owner, "POST", f"/store/orders/{order.id}/ship", {"method": "assistant"}
    )
    same_answer_for_all(answers)
    assert count(select(DeliveryTask.id).where(DeliveryTask.order_id == order.id)) == 1
    statuses = db.session.execute(
        select(OrderEvent.to_status).where(OrderEvent.order_id == order.id).order_by(OrderEvent.id)
    ).scalars()
    assert list(statuses) == [  # placed, accepted, shipped once, the task waits once
        OrderStatus.PENDING_ACCEPT,
        OrderStatus.AWAITING_SHIPMENT,
        OrderStatus.SHIPPED,
        TaskStatus.WAITING,
    ]


# ---- the wholesale manager ---------------------------------------------------------------


def test_confirming_three_times_confirms_once_without_a_500(racing):
    world = build_world()
    order = order_of(world)
    answers = fire_together(racing, world.manager, "POST", f"/sales/orders/{order.id}/confirm", {})
    same_answer_for_all(answers)
    assert events_of(order) == 2
    assert count(select(Fulfilment.order_id).where(Fulfilment.order_id == order.id)) == 1


def test_assigning_the_driver_three_times_ships_and_texts_once(racing):
    world = build_world()
    order = confirmed(world, order_of(world))
    answers = fire_together(
        racing,
        world.manager,
        "POST",
        f"/sales/orders/{order.id}/driver",
        {"driver_id": world.driver.id},
    )
    same_answer_for_all(answers)
    assert events_of(order) == 3
    assert count(select(SmsMessage.id).where(SmsMessage.phone == world.driver.phone)) == 1


def test_shipping_by_express_three_times_ships_once(racing):
    world = build_world()
    order = confirmed(world, order_of(world))
    answers = fire_together(
        racing,
        world.manager,
        "POST",
        f"/sales/orders/{order.id}/ship",
        {"method": "express", "remark": "顺丰 SF1"},
    )
    same_answer_for_all(answers)
    assert events_of(order) == 3


# ---- the rider ------------------------------------------------------------------------------


@pytest.fixture
def pooled(racing):
    store = make_store()
    order = place_order(make_buyer(), make_product(store))
    task = ship_with_assistant(order, store_actor(store.id))
    task.announced_at = task.created_at
    rider = make_user(Role.RIDER)
    commit()
    return order, task, rider


def test_a_rider_grabbing_three_times_gets_the_task_once_and_no_loss(pooled, racing):
    order, task, rider = pooled
    answers = fire_together(
        racing, rider, "POST", f"/rider/tasks/{task.id}/grab", {"key": "twin-grab-key-1"}
    )
    answer = same_answer_for_all(answers)
    assert answer.location.endswith(f"/rider/tasks/{task.id}")  # 抢单成功, for every twin
    assert moves_to(order, TaskStatus.ACCEPTED) == 1


def test_a_status_tap_sent_three_times_moves_once(pooled, racing):
    order, task, rider = pooled
    grab_task(task, actor_of(rider))
    commit()
    answers = fire_together(
        racing,
        rider,
        "POST",
        f"/rider/tasks/{task.id}/status",
        {"to": TaskStatus.ARRIVED, "key": "twin-tap-key-01"},
    )
    same_answer_for_all(answers)
    assert moves_to(order, TaskStatus.ARRIVED) == 1


# ---- the platform ---------------------------------------------------------------------------


def test_staff_closing_three_times_closes_once_and_returns_stock_once(racing):
    store = make_store()
    product = make_product(store, stock=10)
    order = place_order(make_buyer(), product, quantity=3)
    service = make_user(Role.SERVICE)
    commit()
    answers = fire_together(
        racing,
        service,
        "POST",
        f"/platform/orders/{order.id}/status",
        {"to": OrderStatus.CLOSED, "remark": "客户取消", "confirm_close": "y"},
    )
    same_answer_for_all(answers)
    assert db.session.get(Sku, product.skus[0].id).stock == 10  # back once, not 16
    assert moves_to(order, OrderStatus.CLOSED) == 1


def test_staff_confirming_a_wholesale_order_three_times_confirms_once(racing):
    world = build_world()
    order = order_of(world)
    service = make_user(Role.SERVICE)
    commit()
    answers = fire_together(racing, service, "POST", f"/platform/orders/{order.id}/confirm", {})
    same_answer_for_all(answers)
    assert events_of(order) == 2


def test_a_dispatcher_assigning_a_rider_three_times_assigns_once(racing):
    settings = dispatch_settings()
    settings.mode = DispatchMode.ASSIGN
    store = make_store()
    order = place_order(make_buyer(), make_product(store))
    task = ship_with_assistant(order, store_actor(store.id))
    rider = make_user(Role.RIDER)
    dispatcher = make_user(Role.DISPATCHER)
    commit()
    answers = fire_together(
        racing, dispatcher, "POST", f"/dispatch/tasks/{task.id}/assign", {"rider_id": rider.id}
    )
    same_answer_for_all(answers)
    assert moves_to(order, TaskStatus.ACCEPTED) == 1


def test_switching_the_dispatch_mode_three_times_is_one_switch(racing):
    dispatcher = make_user(Role.DISPATCHER)
    commit()
    answers = fire_together(
        racing, dispatcher, "POST", "/dispatch/settings/mode", {"mode": "assign"}
    )
    same_answer_for_all(answers)
    assert dispatch_settings().mode == DispatchMode.ASSIGN


# ---- the driver -----------------------------------------------------------------------------


def test_the_same_slip_photo_sent_three_times_is_kept_once_and_completes_once(racing):
    world = build_world()
    order = shipped_to(world, order_of(world))
    stream, name = png_file()
    photo = stream.getvalue()

    answers = fire_together(
        racing,
        world.driver,
        "POST",
        f"/driver/orders/{order.id}/slips",
        lambda: {"photos": (io.BytesIO(photo), name)},
    )

    same_answer_for_all(answers)
    assert count(select(SlipPhoto.id).where(SlipPhoto.order_id == order.id)) == 1
    assert moves_to(order, OrderStatus.COMPLETED) == 1
