"""What the buyer and the store read about a delivery on its way: the state, who carries it, how
far the rider is and about when they arrive (15 km/h), and how old that position is."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.accounts.models import Address, Role
from app.clock import travel, utcnow
from app.delivery.duty import record_position
from app.delivery.models import RiderProfile, TaskStatus
from app.delivery.progress import delivery_progress, eta_minutes
from app.delivery.services import advance_task, grab_task, ship_with_assistant
from app.extensions import db
from app.jobs import commit
from tests.factories import actor_of, make_buyer, make_product, make_store, make_user, place_order

STORE = (20.0440, 110.3200)
BUYER = (20.0530, 110.3200)  # 1.0 km north of the store
SOUTH_OF_STORE = (20.0350, 110.3200)  # 1.0 km south of it


@pytest.fixture
def task(app):
    store = make_store(rider_commission_fen=600)
    owner = make_user(Role.STORE_STAFF, store=store)
    buyer = make_buyer()
    store.lat, store.lng = STORE
    address = db.session.execute(select(Address).filter_by(user_id=buyer.id)).scalar_one()
    address.lat, address.lng = BUYER  # the order copies the address's position at checkout
    order = place_order(buyer, make_product(store, "宫保鸡丁"))
    task = ship_with_assistant(order, actor_of(owner))
    task.distance_m = 1001
    commit()
    return task


@pytest.fixture
def rider(app):
    return make_user(Role.RIDER, name="赵骑手", phone="13800000006")


def at(rider, point):
    record_position(actor_of(rider), *point)
    commit()


@pytest.mark.parametrize("metres, minutes", [(0, 1), (250, 1), (1000, 4), (2500, 10), (5001, 21)])
def test_the_eta_is_the_distance_at_15_kmh_rounded_up(metres, minutes):
    assert eta_minutes(metres) == minutes


def test_a_waiting_task_says_so_with_nobody_named(task):
    progress = delivery_progress(task.order)
    assert progress.state_label == "待接单" and progress.label == "等待骑手"
    assert progress.rider_name == "" and progress.distance_m is None


def test_before_pickup_the_way_goes_through_the_store(task, rider):
    grab_task(task, actor_of(rider))
    commit()
    at(rider, SOUTH_OF_STORE)
    progress = delivery_progress(task.order)
    assert (progress.rider_name, progress.rider_phone) == ("赵骑手", "13800000006")
    assert progress.via_store
    assert 1980 <= progress.distance_m <= 2020  # 1 km to the store, then the task's 1,001 m
    assert progress.eta_minutes == 9  # 2.0 km at 15 km/h: 8 minutes and a bit
    assert progress.position_age_minutes == 0


def test_after_pickup_the_distance_is_straight_to_the_buyer(task, rider):
    me = actor_of(rider)
    grab_task(task, me)
    for to in (TaskStatus.ARRIVED, TaskStatus.PICKED, TaskStatus.DELIVERING):
        advance_task(task, to, me)
    commit()
    at(rider, STORE)
    progress = delivery_progress(task.order)
    assert progress.label == "骑手配送中" and not progress.via_store
    assert 980 <= progress.distance_m <= 1020
    assert progress.eta_minutes == 5  # 1.0 km at 15 km/h: 4 minutes and a bit


def test_an_old_position_gives_its_age_and_no_eta(task, rider):
    grab_task(task, actor_of(rider))
    commit()
    at(rider, SOUTH_OF_STORE)
    with travel(timedelta(minutes=12)):
        progress = delivery_progress(task.order)
        assert progress.position_age_minutes == 12
        assert progress.eta_minutes is None and progress.distance_m is not None


def test_a_position_from_before_this_task_is_not_shown(task, rider):
    grab_task(task, actor_of(rider))
    commit()
    profile = db.session.get(RiderProfile, rider.id)
    profile.lat, profile.lng = SOUTH_OF_STORE
    profile.position_at = utcnow() - timedelta(hours=1)  # reported on an earlier task
    commit()
    progress = delivery_progress(task.order)
    assert progress.rider_name == "赵骑手" and progress.position_at is None
    assert progress.distance_m is None


def test_a_delivered_task_shows_no_position(task, rider):
    me = actor_of(rider)
    grab_task(task, me)
    at(rider, STORE)
    for to in (TaskStatus.ARRIVED, TaskStatus.PICKED, TaskStatus.DELIVERING, TaskStatus.DELIVERED):
        advance_task(task, to, me)
    commit()
    progress = delivery_progress(task.order)
    assert progress.label == "已送达" and progress.distance_m is None


def test_a_dada_task_waits_for_dada_then_names_its_rider(task):
    """Read through the courier interface: Dada's own words, its rider, no position of ours."""
    task.courier, task.courier_status = "dada", 1  # 待接单 at Dada
    commit()
    progress = delivery_progress(task.order)
    assert progress.state_label == "待达达配送" and progress.courier_label == "达达配送"
    assert not progress.own_rider and progress.label == ""
    task.status, task.courier_status = TaskStatus.ACCEPTED, 2  # a Dada rider took it
    task.courier_rider_name, task.courier_rider_phone = "达达骑手王", "13900001111"
    commit()
    progress = delivery_progress(task.order)
    assert (progress.rider_name, progress.rider_phone) == ("达达骑手王", "13900001111")
    assert progress.state_label == "达达骑手已接单，待取货" and progress.distance_m is None


def test_an_order_without_a_task_has_no_progress(app):
    store = make_store()
    order = place_order(make_buyer(), make_product(store))
    assert delivery_progress(order) is None
