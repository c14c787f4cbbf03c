"""A pool card not the rider's own is rendered once per process and kept (app/web/fragments.py
with slots): every rider's page still carries its own CSRF token and its own grab keys, a card
whose task changed reads the change, and each language keeps its own cards."""

from __future__ import annotations

import re

from sqlalchemy import update

from app.accounts.models import Role
from app.delivery.models import DeliveryTask
from app.delivery.services import ship_with_assistant
from app.extensions import db
from app.jobs import commit
from tests.factories import actor_of, make_buyer, make_product, make_store, make_user, place_order
from tests.web.test_session_expired import logged_in

GRAB_FORM = re.compile(
    r'action="/rider/tasks/(\d+)/grab".*?name="csrf_token" value="([^"]+)".*?'
    r'name="key" value="([^"]+)"',
    re.S,
)


def _pool(csrf_app, count: int = 2):
    store = make_store(name="椰城小厨", rider_commission_fen=600)
    owner = make_user(Role.STORE_STAFF, store=store)
    product = make_product(store, "宫保鸡丁", price_fen=3200)
    tasks = [
        ship_with_assistant(place_order(make_buyer(), product, 1), actor_of(owner))
        for _ in range(count)
    ]
    riders = [make_user(Role.RIDER, name=f"骑手{n}") for n in range(2)]
    commit()
    return [task.id for task in tasks], riders


def _header_token(page: str) -> str:
    return re.search(r'"X-CSRFToken": "([^"]+)"', page)[1]


def test_each_riders_cards_carry_their_own_token_and_keys_and_a_grab_with_them_wins(csrf_app):
    task_ids, riders = _pool(csrf_app)
    phones = [logged_in(csrf_app, rider) for rider in riders]
    pages = [phone.get("/rider/").get_data(as_text=True) for phone in phones]
    forms = [GRAB_FORM.findall(page) for page in pages]
    for page, found in zip(pages, forms, strict=True):
        assert sorted(int(task) for task, _t, _k in found) == sorted(task_ids)
        assert {token for _task, token, _k in found} == {_header_token(page)}
    prefixes = [{key.rsplit("-", 1)[0] for _task, _t, key in found} for found in forms]
    assert len(prefixes[0]) == len(prefixes[1]) == 1 and prefixes[0] != prefixes[1]

    task, token, key = forms[1][0]  # the second rider's page was drawn from kept cards
    won = phones[1].post(f"/rider/tasks/{task}/grab", data={"csrf_token": token, "key": key})
    assert won.status_code in (200, 303)
    db.session.expire_all()
    assert db.session.get(DeliveryTask, int(task)).rider_id == riders[1].id


def test_a_card_whose_task_changed_reads_the_change(csrf_app):
    task_ids, riders = _pool(csrf_app, count=1)
    phone = logged_in(csrf_app, riders[0])
    assert "￥6.00" in phone.get("/rider/").get_data(as_text=True)
    db.session.execute(
        update(DeliveryTask).where(DeliveryTask.id == task_ids[0]).values(commission_fen=850)
    )
    commit()
    page = phone.get("/rider/").get_data(as_text=True)
    assert "￥8.50" in page and "￥6.00" not in page


def test_each_language_keeps_its_own_cards(csrf_app):
    _task_ids, riders = _pool(csrf_app, count=1)
    chinese, english = (logged_in(csrf_app, rider) for rider in riders)
    assert "抢单" in chinese.get("/rider/").get_data(as_text=True)
    page = english.get("/rider/").get_data(as_text=True)
    english.post("/lang/en", data={"csrf_token": _header_token(page), "next": "/rider/"})
    page = english.get("/rider/").get_data(as_text=True)
    assert "Grab" in page and "配送佣金" not in page
    assert "配送佣金" in chinese.get("/rider/").get_data(as_text=True)
