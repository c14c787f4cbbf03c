"""The rider portal over HTTP: the pool, grabbing, tapping through a delivery, my earnings."""

from __future__ import annotations

import re
import secrets
from datetime import timedelta

from app.accounts.models import Role
from app.delivery.models import TaskStatus
from app.delivery.services import advance_task, grab_task
from app.extensions import db
from app.jobs import commit
from app.ordering.states import OrderStatus
from tests.factories import actor_of, make_user

HX = {"HX-Request": "true"}
TAPS = ["arrived", "picked", "delivering", "delivered"]


def rider_client(app, login, user):
    other = app.test_client()
    login(user, test_client=other)
    return other


def new_key() -> str:
    return secrets.token_hex(16)


def tap(client, task, to, headers=None, key=None, confirm=True):
    """One status tap with its key (a fresh one unless given); 送达 with its confirmation."""
    data = {"to": to, "key": key or new_key()}
    if confirm and to == TaskStatus.DELIVERED:
        data["confirm"] = "yes"
    return client.post(f"/rider/tasks/{task.id}/status", data=data, headers=headers or {})


def grab(client, task, headers=None, key=None, **kwargs):
    return client.post(
        f"/rider/tasks/{task.id}/grab",
        data={"key": key or new_key()},
        headers=headers or {},
        **kwargs,
    )


def pool_card(page: str, task) -> str:
    """The pool's card of one task (the tab bar says 抢单 on every rider page)."""
    found = re.search(
        rf'<article class="card task-card[^"]*" id="pool-task-{task.id}"[^>]*>(.*?)</article>',
        page,
        re.S,
    )
    assert found, f"no pool card for task {task.id}"
    return found.group(1)


def figure(page: str, label: str) -> str:
    """The value shown next to a label of the 我的 page (the labels are there even at zero)."""
    found = re.search(rf"<span>{label}</span>\s*<strong[^>]*>([^<]*)</strong>", page)
    assert found, f"no figure labelled {label!r}"
    return found.group(1).strip()


def test_pool_shows_a_pushed_task_with_its_commission(client, login, ship, rider):
    task = ship()
    login(rider)
    card = pool_card(client.get("/rider/").get_data(as_text=True), task)
    assert "椰城小厨" in card
    assert re.search(r"配送佣金</span>\s*<span[^>]*>￥6\.00<", card)
    assert "共 2 件商品" in card and "￥64.00" in card
    assert f'action="/rider/tasks/{task.id}/grab"' in card and ">抢单</button>" in card


def test_the_pool_shows_twenty_tasks_a_page_newest_first(client, login, ship, rider):
    tasks = [ship() for _ in range(23)]
    login(rider)
    first = client.get("/rider/").get_data(as_text=True)
    second = client.get("/rider/?page=2").get_data(as_text=True)

    assert first.count('id="pool-task-') == 20 and "下一页" in first
    assert f'id="pool-task-{tasks[-1].id}"' in first
    assert second.count('id="pool-task-') == 3 and "上一页" in second
    assert f'id="pool-task-{tasks[0].id}"' in second
    assert 'hx-get="/rider/?page=2"' in second  # the poll keeps the rider on their page


def test_the_pool_poll_brings_in_a_task_pushed_after_the_page_loaded(client, login, ship, rider):
    login(rider)
    first = client.get("/rider/", headers=HX).get_data(as_text=True)
    assert "暂无待抢订单" in first
    ship()
    poll = client.get("/rider/", headers=HX).get_data(as_text=True)
    assert "<html" not in poll
    assert 'hx-trigger="every 5s"' in poll
    assert "椰城小厨" in poll


def test_grab_then_tap_through_every_status_completes_the_order(client, login, ship, rider):
    task = ship()
    login(rider)
    grabbed = grab(client, task)
    assert grabbed.status_code == 303
    assert grabbed.headers["Location"].endswith(f"/rider/tasks/{task.id}")
    for to in TAPS:
        assert tap(client, task, to).status_code == 303
    db.session.refresh(task)
    assert task.status == TaskStatus.DELIVERED
    db.session.refresh(task.order)
    assert task.order.status == OrderStatus.COMPLETED
    assert "已送达" in client.get(f"/rider/tasks/{task.id}").get_data(as_text=True)


def test_task_page_shows_one_button_for_the_next_status_and_tap_to_call(client, login, ship, rider):
    task = ship()
    login(rider)
    grab(client, task)
    page = client.get(f"/rider/tasks/{task.id}").get_data(as_text=True)
    assert 'name="to" value="arrived"' in page
    assert page.count('name="to"') == 1
    assert f'href="tel:{task.order.contact_phone}"' in page


def test_an_htmx_tap_returns_only_the_card_with_the_next_button(client, login, ship, rider):
    task = ship()
    login(rider)
    grab(client, task)
    answer = tap(client, task, "arrived", HX)
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert "<html" not in html and 'id="task-card"' in html
    assert "已到店" in html
    assert 'value="picked"' in html and "取单" in html


def test_a_repeated_tap_records_one_event(client, login, ship, rider):
    task = ship()
    login(rider)
    grab(client, task)
    tap(client, task, "arrived")
    again = tap(client, task, "arrived", HX)
    assert again.status_code == 200
    db.session.expire_all()
    arrived = [e for e in task.order.events if e.to_status == TaskStatus.ARRIVED]
    assert len(arrived) == 1


def test_skipping_a_status_is_refused_with_a_message(client, login, ship, rider):
    task = ship()
    login(rider)
    grab(client, task)
    answer = tap(client, task, "delivered", HX)
    assert answer.status_code == 409
    assert "不能改为「已送达」" in answer.get_data(as_text=True)
    db.session.refresh(task)
    assert task.status == TaskStatus.ACCEPTED


def test_second_rider_is_told_already_taken_and_the_first_keeps_it(app, client, login, ship, rider):
    task = ship()
    second = make_user(Role.RIDER)
    login(rider)
    grab(client, task, HX)
    other = rider_client(app, login, second)
    lost = grab(other, task, HX)
    assert lost.status_code == 409
    assert "已被抢" in lost.get_data(as_text=True)
    assert f'id="pool-task-{task.id}"' in lost.get_data(as_text=True)  # swaps its own card
    db.session.refresh(task)
    assert task.rider_id == rider.id


def test_each_lost_grab_answers_for_its_own_task_in_the_riders_language(
    app, client, login, ship, rider
):
    """The 已被抢 card is drawn once per language (app/portals/rider/views.py `_taken_card`):
    every loss still names its own task, and a rider reading English reads it in English."""
    first, second = ship(), ship()
    for task in (first, second):
        grab_task(task, actor_of(make_user(Role.RIDER)))
    commit()
    login(rider)
    cards = [grab(client, task, HX).get_data(as_text=True) for task in (first, second)]
    client.post("/lang/en")
    english = grab(client, first, HX)
    for task, card in zip((first, second), cards, strict=True):
        assert "已被抢" in card and card.count(f'"pool-task-{task.id}"') == 1
        assert card.count(f'data-task-card="{task.id}"') == 1
    assert f"pool-task-{first.id}" not in cards[1]
    assert english.status_code == 409 and "Already taken" in english.get_data(as_text=True)
    assert f'id="pool-task-{first.id}"' in english.get_data(as_text=True)


def test_a_plain_grab_that_lost_goes_back_to_the_pool_saying_already_taken(
    app, client, login, ship, rider
):
    task = ship()
    grab_task(task, actor_of(make_user(Role.RIDER)))
    commit()
    login(rider)
    lost = grab(client, task, follow_redirects=True)
    assert lost.request.path == "/rider/"
    assert "已被抢" in lost.get_data(as_text=True)


def test_a_stale_grab_of_a_task_already_delivered_says_where_it_is_not_grabbed(
    client, login, ship, rider
):
    """抢单 from a card left open on another screen after the rider delivered that task: the
    answer shows the task as it is (已送达), not 抢单成功 with 请尽快到店取货, and moves nothing."""
    task = ship()
    login(rider)
    assert grab(client, task, HX).status_code == 200
    for to in TAPS:
        assert tap(client, task, to, headers=HX).status_code == 200
    db.session.refresh(task)
    assert task.status == TaskStatus.DELIVERED

    card = grab(client, task, HX).get_data(as_text=True)
    plain = grab(client, task, follow_redirects=True).get_data(as_text=True)

    assert "抢单成功" not in card and "请尽快到店取货" not in card
    assert "badge-delivered" in card and "已送达" in card
    assert "这一单已是您的配送" in plain and "抢单成功" not in plain
    db.session.refresh(task)
    assert task.status == TaskStatus.DELIVERED and task.rider_id == rider.id


def test_tapping_grab_twice_keeps_the_task_without_a_loss(client, login, ship, rider):
    task = ship()
    login(rider)
    grab(client, task, HX)
    again = grab(client, task, HX)
    assert again.status_code == 200
    assert "抢单成功" in again.get_data(as_text=True)


def test_a_rider_cannot_open_a_task_taken_by_another(app, client, login, ship, rider):
    task = ship()
    grab_task(task, actor_of(make_user(Role.RIDER)))
    commit()
    login(rider)
    assert client.get(f"/rider/tasks/{task.id}").status_code == 404
    assert tap(client, task, "arrived").status_code == 404


def test_my_deliveries_lists_active_and_finished_tasks(client, login, ship, rider):
    active, finished = ship(), ship()
    for task in (active, finished):
        grab_task(task, actor_of(rider))
    for to in TAPS:
        advance_task(finished, to, actor_of(rider))
    commit()
    login(rider)
    ongoing = client.get("/rider/tasks").get_data(as_text=True)
    done = client.get("/rider/tasks?tab=done").get_data(as_text=True)
    assert f'/rider/tasks/{active.id}"' in ongoing and f'/rider/tasks/{finished.id}"' not in ongoing
    assert f'/rider/tasks/{finished.id}"' in done and f'/rider/tasks/{active.id}"' not in done


def test_my_page_shows_the_ledger_figures_of_delivered_commission(client, login, ship, rider):
    yesterday, today = ship(), ship()
    for task in (yesterday, today):
        grab_task(task, actor_of(rider))
        for to in TAPS:
            advance_task(task, to, actor_of(rider))
    yesterday.delivered_at -= timedelta(days=1)
    commit()
    login(rider)
    page = client.get("/rider/me").get_data(as_text=True)
    # cash on delivery: 送达 completes the order, so both commissions settle at once
    assert figure(page, "待结算佣金") == "￥0.00"
    assert figure(page, "可提现") == "￥12.00"
    assert figure(page, "累计收入") == "￥12.00"  # both deliveries, yesterday's too
    assert figure(page, "已提现金额") == "￥0.00"
    assert figure(page, "今日送达") == "1 单"  # yesterday's is not today's


def test_a_store_user_cannot_use_the_rider_portal(client, login, store):
    login(make_user(Role.STORE_STAFF, store=store))
    assert client.get("/rider/").status_code == 403
