"""订单看板: tasks by state with filters, each rider's load, alarms highlighted, and a poll that
answers 204 while nothing changed (htmx keeps the page as it is)."""

from __future__ import annotations

import re
from datetime import timedelta

from app.clock import travel
from app.deadlines import sweep
from app.delivery.dispatch import assign_task
from app.delivery.models import DispatchMode
from app.jobs import commit
from tests.factories import actor_of
from tests.unit.delivery.dispatch_world import build, make_rider
from tests.web.dispatch.conftest import HX


def rows(page: str) -> list[str]:
    body = re.search(r"<tbody>(.*?)</tbody>", page, re.S).group(1)
    return re.findall(r'<tr id="task-\d+".*?</tr>', body, re.S)


def version(page: str) -> str:
    return re.search(r'hx-vals=\'\{"seen": "([0-9a-f]+)"\}\'', page).group(1)


def test_an_empty_board_says_where_tasks_come_from(desk):
    page = desk.get("/dispatch/board").get_data(as_text=True)
    assert "还没有配送单。商家发货时选择「配送助手」后，配送单会出现在这里。" in page
    assert "还没有骑手：到「骑手」页面添加骑手，或审核骑手的注册" in page


def test_tabs_split_the_tasks_by_state_with_counts(desk, world):
    waiting, taken = world.ship(), world.ship()
    rider = make_rider("赵骑手")
    assign_task(taken, rider.id, actor_of(world.dispatcher))
    commit()

    page = desk.get("/dispatch/board").get_data(as_text=True)
    [row] = rows(page)
    assert waiting.order.no in row and "待接单" in row and "分配" in row
    assert re.search(r'tab=active"[^>]*>配送中 <span class="count">1</span>', page)
    assert re.search(r'>待接单 <span class="count">1</span>', page)

    page = desk.get("/dispatch/board?tab=active").get_data(as_text=True)
    [row] = rows(page)
    assert taken.order.no in row and "赵骑手" in row and "改派" in row
    assert taken.order.contact_phone in row  # the buyer's phone in full: they deliver there
    assert taken.order.address in row


def test_each_riders_load_shows_against_their_cap(desk, world):
    busy = make_rider("赵骑手", cap=1)
    make_rider("孙骑手", on_duty=False)
    assign_task(world.ship(), busy.id, actor_of(world.dispatcher))
    commit()
    page = desk.get("/dispatch/board").get_data(as_text=True)
    assert re.search(r'class="rider-load full">\s*<a[^>]*>赵骑手</a>\s*<strong>1/1</strong>', page)
    assert re.search(
        r'class="rider-load off-duty">\s*<a[^>]*>孙骑手</a>\s*<strong>0/3</strong>', page
    )


def test_filters_by_store_rider_and_day(desk, world):
    other = build(name="府城粉店")
    mine, theirs = world.ship(), other.ship()
    rider = make_rider("赵骑手")
    assign_task(theirs, rider.id, actor_of(world.dispatcher))
    commit()

    page = desk.get(f"/dispatch/board?tab=all&store={world.store.id}").get_data(as_text=True)
    assert [mine.order.no in r for r in rows(page)] == [True]
    page = desk.get(f"/dispatch/board?tab=all&rider={rider.id}").get_data(as_text=True)
    assert [theirs.order.no in r for r in rows(page)] == [True]
    yesterday = (mine.created_at - timedelta(days=1)).date().isoformat()
    page = desk.get(f"/dispatch/board?tab=all&day={yesterday}").get_data(as_text=True)
    assert rows(page) == [] and "清除筛选条件" in page


def test_broken_filters_are_ignored_not_a_500(desk, world):
    world.ship()
    for query in ("store=abc", f"rider={2**40}", "day=2026-13-40", "tab=<script>", "page=-5"):
        answer = desk.get(f"/dispatch/board?{query}")
        assert answer.status_code in (200, 422), query
        assert "<script>" not in answer.get_data(as_text=True)


def test_a_task_nobody_took_in_time_is_highlighted(desk, world):
    task = world.ship(DispatchMode.GRAB)
    with travel(timedelta(minutes=11)):
        sweep()
    page = desk.get("/dispatch/board").get_data(as_text=True)
    [row] = rows(page)
    assert 'class="row-alarm"' in row and "超时未接单" in row
    assert re.search(r'tab=alarm"[^>]*class="[^"]*tab-alarm', page) or "tab-alarm" in page
    page = desk.get("/dispatch/board?tab=alarm").get_data(as_text=True)
    assert task.order.no in page
    overview = desk.get("/dispatch/").get_data(as_text=True)
    assert "kpi-alarm" in overview and "1 单超时无人接单" in overview


def test_the_poll_answers_204_until_something_changes(desk, world):
    task = world.ship()
    page = desk.get("/dispatch/board").get_data(as_text=True)
    seen = version(page)
    assert 'hx-trigger="every 10s"' in page

    again = desk.get(f"/dispatch/board?seen={seen}", headers=HX)
    assert again.status_code == 204 and again.get_data() == b""

    assign_task(task, make_rider("赵骑手").id, actor_of(world.dispatcher))
    commit()
    changed = desk.get(f"/dispatch/board?seen={seen}", headers=HX)
    assert changed.status_code == 200
    assert '<div id="board"' in changed.get_data(as_text=True)
    assert version(changed.get_data(as_text=True)) != seen


def test_the_poll_keeps_the_filters(desk, world):
    world.ship()
    page = desk.get(f"/dispatch/board?tab=all&store={world.store.id}").get_data(as_text=True)
    poll = re.search(r'<div id="board" hx-get="([^"]+)"', page).group(1)
    assert "tab=all" in poll and f"store={world.store.id}" in poll
