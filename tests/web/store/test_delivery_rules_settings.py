"""同城配送规则 on 店铺设置: a same-city store sets its radius, fee tiers, 起送价, preparation
time and delivery slots; every bad value is refused beside its field and nothing is saved."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.accounts.models import Role
from app.errors import Forbidden, InvalidInput
from app.extensions import db
from app.jobs import commit
from app.stores.delivery_settings import DeliveryRules, update_delivery_rules
from app.stores.models import Store, StoreEvent, StoreKind
from tests.factories import actor_of, make_store, make_user

HX = {"HX-Request": "true"}
URL = "/store/settings/delivery"
PREVIEW = "/store/settings/delivery/preview"

# 椰城小厨: 5 km, ≤3 km ¥3, ≤5 km ¥5, ¥1 per km beyond, 起送价 ¥20, 20 minutes, slots
RULES = {
    "radius_km": "5",
    "tiers-0-km": "3",
    "tiers-0-fee": "3",
    "tiers-1-km": "5",
    "tiers-1-fee": "5.00",
    "tiers-2-km": "",
    "tiers-2-fee": "",
    "beyond_km_fee": "1",
    "delivery_fee": "4",
    "min_order": "20",
    "prep_minutes": "20",
    "delivery_slots": "y",
}


def rules(**changes) -> dict:
    data = {**RULES, **changes}
    return {key: value for key, value in data.items() if value is not None}


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def errors_after(html: str, marker: str) -> list[str]:
    """The field errors shown right after `marker` (an input, or the tier table), before the
    next field's label."""
    start = html.index(marker) + len(marker)
    end = html.find("<label", start)
    return re.findall(r'<p class="field-error">([^<]*)</p>', html[start : end if end > 0 else None])


def fresh(store) -> Store:
    db.session.expire_all()
    return db.session.get(Store, store.id)


def saved_rules(store) -> tuple:
    s = fresh(store)
    return (
        s.delivery_radius_m,
        s.delivery_fee_tiers,
        s.delivery_fee_fen,
        s.delivery_beyond_km_fen,
        s.min_order_fen,
        s.prep_minutes,
        s.delivery_slots,
    )


DEFAULTS = (None, [], 0, 0, 0, 30, False)


def events(store) -> list[StoreEvent]:
    return list(
        db.session.execute(select(StoreEvent).where(StoreEvent.store_id == store.id)).scalars()
    )


@pytest.fixture
def store(app):
    store = make_store(name="椰城小厨", opens_at="09:00", closes_at="21:00")
    commit()
    return store


@pytest.fixture
def owner(store, login):
    user = make_user(Role.STORE_STAFF, store=store, name="王老板")
    commit()
    login(user)
    return user


def test_the_rules_are_saved_and_shown_again(client, store, owner):
    first = client.get("/store/settings").text
    assert "同城配送规则" in first
    assert len(re.findall(r'name="tiers-\d+-km"', first)) == 3  # three empty tier rows
    assert "例：不分距离，免配送费" in text_of(first)

    response = client.post(URL, data=rules())
    assert response.status_code == 303
    assert saved_rules(store) == (5000, [[3000, 300], [5000, 500]], 400, 100, 2000, 20, True)

    page = client.get("/store/settings").text
    assert "同城配送规则已保存" in page
    assert 'name="radius_km" placeholder="不限" type="text" value="5"' in page
    assert 'name="tiers-0-km" placeholder="3" type="text" value="3"' in page
    assert 'name="tiers-1-fee" placeholder="3.00" type="text" value="5.00"' in page
    assert 'name="tiers-2-km" placeholder="3" type="text" value=""' in page  # one more row
    assert 'name="min_order" placeholder="0.00" type="text" value="20.00"' in page
    assert 'name="prep_minutes" placeholder="30" type="text" value="20"' in page
    assert re.search(r'<input checked[^>]*name="delivery_slots"', page)
    # the examples: 6.2 km is past the 5 km radius
    assert "例：2 km ￥3.00 · 4 km ￥5.00 · 6.2 km 超出范围不配送" in text_of(page)
    assert "09:00-21:00" in text_of(page)  # the slots follow the store's hours
    # one line on the store's timeline names what changed
    (event,) = events(store)
    assert event.kind == "profile" and event.actor_name == "王老板"
    assert set(event.reason.split(",")) == {
        "delivery_radius",
        "delivery_fees",
        "min_order",
        "prep_minutes",
        "delivery_slots",
    }
    assert "配送范围、配送费、起送价、备货时间、预约配送" in text_of(page)

    # the same rules sent again change nothing and write no line
    assert client.post(URL, data=rules()).status_code == 303
    assert len(events(store)) == 1
    # blank radius = no limit; no tiers = the flat fee
    cleared = rules(
        radius_km="", **{"tiers-0-km": "", "tiers-0-fee": "", "tiers-1-km": "", "tiers-1-fee": ""}
    )
    assert client.post(URL, data=cleared).status_code == 303
    assert saved_rules(store)[:3] == (None, [], 400)
    assert "例：不分距离，每单 ￥4.00" in text_of(client.get("/store/settings").text)


@pytest.mark.parametrize(
    ("changes", "marker", "message"),
    [
        ({"delivery_fee": "-3"}, 'name="delivery_fee"', "配送费须在 0 到 1,000 元之间"),
        (
            {"beyond_km_fee": "-1"},
            'name="beyond_km_fee"',
            "超出部分每公里加收须在 0 到 1,000 元之间",
        ),
        (
            {"tiers-1-fee": "-5"},
            "</table>",
            "配送费阶梯须按距离从近到远填写，距离和费用都不能为负",
        ),
        (
            {"tiers-0-km": "5", "tiers-1-km": "3"},
            "</table>",
            "配送费阶梯须按距离从近到远填写，距离和费用都不能为负",
        ),
        ({"tiers-1-fee": ""}, "</table>", "第 2 档请同时填写距离和配送费"),
        (
            {"tiers-0-km": "3.25"},
            "</table>",
            "第 1 档的距离请填写公里数，最多一位小数，如 3 或 2.5",
        ),
        ({"radius_km": "abc"}, 'name="radius_km"', "配送范围请填写公里数，最多一位小数"),
        ({"radius_km": "0"}, 'name="radius_km"', "配送范围须在 0.1 到 100 公里之间，不限请留空"),
        (
            {"min_order": "20.125"},
            'name="min_order"',
            "请填写金额（元），最多两位小数，如 3 或 2.50",
        ),
        ({"min_order": "二十"}, 'name="min_order"', "请填写金额（元），最多两位小数"),
        ({"prep_minutes": "999"}, 'name="prep_minutes"', "备货时间须在 0 到 240 分钟之间"),
        ({"prep_minutes": ""}, 'name="prep_minutes"', "备货时间须在 0 到 240 分钟之间"),
    ],
)
def test_a_bad_value_is_refused_beside_its_field_and_nothing_is_saved(
    client, store, owner, changes, marker, message
):
    response = client.post(URL, data=rules(**changes), headers=HX)
    assert response.status_code == 422
    html = response.text
    assert html.lstrip().startswith('<form id="delivery-form"')  # the form block, to swap in
    assert any(message in error for error in errors_after(html, marker)), errors_after(html, marker)
    assert "请修改下面标出的内容后再保存" in html
    # what was typed stays in the form
    for name, value in changes.items():
        assert f'name="{name}"' in html and (value == "" or f'value="{value}"' in html)
    assert saved_rules(store) == DEFAULTS
    assert events(store) == []


def test_a_plain_post_with_a_bad_value_answers_the_whole_page(client, store, owner):
    response = client.post(URL, data=rules(prep_minutes="999"))
    assert response.status_code == 422
    assert "店铺记录" in response.text and "备货时间须在 0 到 240 分钟之间" in response.text
    assert saved_rules(store) == DEFAULTS


def test_the_preview_shows_the_fee_at_sample_distances_and_saves_nothing(client, store, owner):
    unlimited = rules(radius_km="")
    response = client.post(PREVIEW, data=unlimited, headers=HX)
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<p id="delivery-preview"')
    assert text_of(response.text) == "例：2 km ￥3.00 · 4 km ￥5.00 · 6.2 km ￥7.00"

    within_five = client.post(PREVIEW, data=rules(), headers=HX).text
    assert "6.2 km 超出范围不配送" in text_of(within_five)

    no_tiers = rules(**{"tiers-0-km": "", "tiers-0-fee": "", "tiers-1-km": "", "tiers-1-fee": ""})
    assert "例：不分距离，每单 ￥4.00" in client.post(PREVIEW, data=no_tiers, headers=HX).text

    out_of_order = rules(**{"tiers-0-km": "5", "tiers-1-km": "3"})
    unreadable = client.post(PREVIEW, data=out_of_order, headers=HX)
    assert unreadable.status_code == 200
    assert "改正标出的距离和金额后，这里显示收费示例" in unreadable.text
    # the other fields do not stop the examples while the person is still typing
    typing = client.post(PREVIEW, data=rules(radius_km="", prep_minutes=""), headers=HX).text
    assert "6.2 km ￥7.00" in text_of(typing)

    assert saved_rules(store) == DEFAULTS
    assert events(store) == []


def test_a_refused_save_still_shows_the_examples_of_the_fees_sent(client, store, owner):
    html = client.post(URL, data=rules(radius_km="", min_order="20.125"), headers=HX).text
    assert "例：2 km ￥3.00 · 4 km ￥5.00 · 6.2 km ￥7.00" in text_of(html)


def test_a_wholesale_store_has_no_delivery_rules(client, app, login):
    wholesale = make_store(StoreKind.WHOLESALE, name="椰风批发")
    login(make_user(Role.STORE_STAFF, store=wholesale))
    commit()
    page = client.get("/store/settings").text
    assert "收款与配送" in page
    assert "同城配送规则" not in page and 'id="delivery-form"' not in page
    assert client.post(URL, data=rules()).status_code == 404
    assert client.post(PREVIEW, data=rules(), headers=HX).status_code == 404
    assert saved_rules(wholesale) == DEFAULTS
    with pytest.raises(InvalidInput, match="只有同城店铺可以设置同城配送规则"):
        update_delivery_rules(
            wholesale, actor_of(make_user(Role.STORE_STAFF, store=wholesale)), DeliveryRules()
        )


def test_the_page_only_ever_changes_the_actors_own_store(client, store, owner):
    other = make_store(name="海甸岛糖水铺")
    commit()
    response = client.post(
        f"{URL}?store_id={other.id}", data=rules(store_id=str(other.id), id=str(other.id))
    )
    assert response.status_code == 303
    assert saved_rules(other) == DEFAULTS and events(other) == []
    assert saved_rules(store)[0] == 5000
    # there is no address with a store id to try
    assert client.post(f"{URL}/{other.id}", data=rules()).status_code == 404
    # and the service refuses another store's staff outright
    with pytest.raises(Forbidden, match="只能修改自己店铺的资料"):
        update_delivery_rules(fresh(other), actor_of(owner), DeliveryRules(prep_minutes=10))
    assert saved_rules(other) == DEFAULTS
