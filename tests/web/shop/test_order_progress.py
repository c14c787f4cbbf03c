"""The buyer's order page shows where the delivery is: the state (待达达配送 for a Dada task not
taken yet), the rider's name and phone, how far the rider is with "约 N 分钟送达", and how old
that position is. The block is polled, so each report of the rider's phone shows by itself."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.accounts.models import Address, Role
from app.clock import travel
from app.delivery.duty import record_position
from app.delivery.services import advance_task, grab_task, ship_with_assistant
from app.extensions import db
from app.jobs import commit
from tests.factories import actor_of, make_buyer, make_product, make_store, make_user, place_order

HX = {"HX-Request": "true"}
STORE = (20.0440, 110.3200)
BUYER = (20.0530, 110.3200)  # 1.0 km north of the store


@pytest.fixture
def buyer(app, login):
    user = make_buyer()
    address = db.session.execute(select(Address).filter_by(user_id=user.id)).scalar_one()
    address.lat, address.lng = BUYER
    commit()
    login(user)
    return user


@pytest.fixture
def task(buyer):
    store = make_store(name="椰城小厨", rider_commission_fen=600)
    owner = make_user(Role.STORE_STAFF, store=store)
    order = place_order(buyer, make_product(store, "宫保鸡丁"))
    store.lat, store.lng = STORE
    task = ship_with_assistant(order, actor_of(owner))
    commit()
    return task


@pytest.fixture
def rider(app):
    return make_user(Role.RIDER, name="赵骑手", phone="13800000006")


def progress_of(client, task, headers=None) -> str:
    page = client.get(f"/shop/orders/{task.order.no}", headers=headers or {}).text
    found = re.search(
        r'<div class="delivery-progress" id="delivery-progress">(.*?)\n</div>', page, re.S
    )
    assert found, "no delivery progress on the order page"
    return re.sub(r"\s+", " ", found.group(1))


def on_the_way(task, rider, at):
    me = actor_of(rider)
    grab_task(task, me)
    for to in ("arrived", "picked", "delivering"):
        advance_task(task, to, me)
    record_position(me, *at)
    commit()


def test_a_waiting_task_says_it_waits_for_a_rider(client, task):
    shown = progress_of(client, task)
    assert "配送状态：待接单" in shown and "骑手：" not in shown


def test_the_buyer_sees_the_rider_how_far_and_about_when(client, task, rider):
    on_the_way(task, rider, STORE)
    shown = progress_of(client, task)
    assert "配送状态：配送中" in shown and "骑手配送中" in shown
    assert "骑手：赵骑手" in shown and 'href="tel:13800000006"' in shown
    assert "约 5 分钟送达" in shown and "骑手距您约 1.0 公里" in shown
    assert "骑手位置刚刚更新" in shown


def test_before_pickup_the_distance_counts_the_way_through_the_store(client, task, rider):
    grab_task(task, actor_of(rider))
    task.distance_m = 1001
    record_position(actor_of(rider), 20.0350, 110.3200)  # 1.0 km south of the store
    commit()
    shown = progress_of(client, task)
    assert "骑手距您约 2.0 公里（含到店取货）" in shown and "约 9 分钟送达" in shown


def test_an_old_position_says_how_old_and_gives_no_eta(client, task, rider):
    on_the_way(task, rider, STORE)
    with travel(timedelta(minutes=15)):
        shown = progress_of(client, task)
    assert "骑手位置 15 分钟前更新" in shown and "暂时无法估算送达时间" in shown
    assert "分钟送达" not in shown


def test_the_polled_status_block_carries_the_progress(client, task, rider):
    on_the_way(task, rider, STORE)
    block = client.get(f"/shop/orders/{task.order.no}", headers=HX).text
    assert "<html" not in block and 'id="order-status"' in block and "every 5s" in block
    assert "约 5 分钟送达" in block


def test_a_dada_task_not_taken_yet_waits_for_dada(client, task):
    task.courier, task.courier_status = "dada", 1  # 待接单 at Dada
    commit()
    assert "配送状态：待达达配送" in progress_of(client, task)


def test_a_dada_rider_is_named_with_their_phone(client, task):
    task.courier, task.status, task.courier_status = "dada", "accepted", 2
    task.courier_rider_name, task.courier_rider_phone = "达达骑手王", "13900001111"
    commit()
    shown = progress_of(client, task)
    assert "骑手：达达骑手王 · 达达配送" in shown and 'href="tel:13900001111"' in shown
    assert "配送状态：达达骑手已接单，待取货" in shown


def test_another_buyers_order_is_404(app, task, login):
    other = app.test_client()
    login(make_buyer(), test_client=other)
    assert other.get(f"/shop/orders/{task.order.no}").status_code == 404
