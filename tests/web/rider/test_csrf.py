"""The rider's forms make no CSRF token of their own (app/portals/rider/forms.py): every POST of
the phone is still refused without the page's token, and moves nothing."""

from __future__ import annotations

import pytest

from app.accounts.models import Role
from app.delivery.models import DeliveryTask, TaskStatus
from app.delivery.services import ship_with_assistant
from app.extensions import db
from app.jobs import commit
from tests.factories import actor_of, make_buyer, make_product, make_store, make_user, place_order
from tests.web.rider.test_rider import HX, new_key
from tests.web.test_session_expired import logged_in, page_token


@pytest.fixture
def task_and_rider(csrf_app):
    store = make_store(name="椰城小厨", rider_commission_fen=600)
    owner = make_user(Role.STORE_STAFF, store=store)
    order = place_order(make_buyer(), make_product(store, "宫保鸡丁", price_fen=3200), 1)
    task = ship_with_assistant(order, actor_of(owner))
    rider = make_user(Role.RIDER)
    commit()
    return task.id, rider


def _task(task_id: int) -> DeliveryTask:
    db.session.expire_all()
    return db.session.get(DeliveryTask, task_id)


def test_a_grab_or_a_tap_without_the_pages_token_is_refused_and_moves_nothing(
    csrf_app, task_and_rider
):
    task_id, rider = task_and_rider
    phone = logged_in(csrf_app, rider)
    url = f"/rider/tasks/{task_id}"

    refused = phone.post(f"{url}/grab", data={"key": new_key()}, headers=HX)
    assert refused.status_code == 400
    assert _task(task_id).status == TaskStatus.WAITING and _task(task_id).rider_id is None
    forged = phone.post(f"{url}/grab", data={"key": new_key(), "csrf_token": "forged"})
    assert forged.status_code == 400 and _task(task_id).rider_id is None

    token = page_token(phone, "/rider/")
    won = phone.post(f"{url}/grab", data={"key": new_key(), "csrf_token": token}, headers=HX)
    assert won.status_code == 200 and "抢单成功" in won.get_data(as_text=True)
    assert _task(task_id).rider_id == rider.id

    tap = {"to": "arrived", "key": new_key()}
    assert phone.post(f"{url}/status", data=tap, headers=HX).status_code == 400
    assert _task(task_id).status == TaskStatus.ACCEPTED
    tapped = phone.post(f"{url}/status", data={**tap, "csrf_token": token}, headers=HX)
    assert tapped.status_code == 200 and _task(task_id).status == TaskStatus.ARRIVED
