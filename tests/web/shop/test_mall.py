"""The mall's merchant list: open stores only, each with its stars, spend, hours, category and
distance; sorted by join time, name or distance from the buyer's address or phone."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from app.accounts.models import Address, Role
from app.extensions import db
from app.geo import Point, distance_km
from app.jobs import commit
from app.stores.mall import MallStore
from app.stores.models import BusinessStatus, Store, StoreKind
from tests.factories import make_store, make_user
from tests.support.sent import statements_sent

HAIDIAN = Point(20.0600, 110.3330)  # the buyer's default address, 海口 海甸岛
XIUYING = Point(20.0080, 110.2930)  # 海口 秀英区, about 7 km away
SANYA = Point(18.2530, 109.5120)  # about 220 km away
NEXT_DOOR = Point(20.0620, 110.3350)  # about 300 m away


def store_at(name: str, point: Point | None, **fields) -> Store:
    lat, lng = point if point else (None, None)
    return make_store(name=name, lat=lat, lng=lng, **fields)


@pytest.fixture
def world(app):
    """Four open stores, joined in this order, one without coordinates."""
    start = datetime(2026, 1, 1)
    stores = {
        "三亚海鲜": store_at("三亚海鲜", SANYA, created_at=start),
        "没定位的店": store_at("没定位的店", None, created_at=start + timedelta(days=1)),
        "秀英粉店": store_at("秀英粉店", XIUYING, created_at=start + timedelta(days=2)),
        "隔壁奶茶": store_at("隔壁奶茶", NEXT_DOOR, created_at=start + timedelta(days=3)),
    }
    commit()
    return stores


def address_for(user, point: Point | None, default: bool = True, text: str = "海口") -> Address:
    lat, lng = point if point else (None, None)
    address = Address(
        user_id=user.id,
        contact_name=user.name,
        contact_phone=user.phone,
        text=text,
        lat=lat,
        lng=lng,
        is_default=default,
    )
    db.session.add(address)
    db.session.flush()
    commit()
    return address


@pytest.fixture
def buyer(app, login):
    user = make_user(Role.BUYER)
    address_for(user, HAIDIAN, text="海南省海口市美兰区海甸岛人民大道 58 号")
    login(user)
    return user


def order_on(page: str, names) -> list[str]:
    return sorted(names, key=page.index)


# --- sorting --------------------------------------------------------------------------------


def test_distance_puts_the_nearest_first_and_stores_without_coordinates_last(client, buyer, world):
    page = client.get("/shop/?sort=distance").get_data(as_text=True)

    assert order_on(page, world) == ["隔壁奶茶", "秀英粉店", "三亚海鲜", "没定位的店"]
    assert "距离从收货地址算起：海南省海口市美兰区海甸岛人民大道 58 号" in page
    next_door = MallStore(world["隔壁奶茶"], distance_km(HAIDIAN, NEXT_DOOR)).distance_text
    assert next_door.endswith(" m") and next_door in page
    assert f"{distance_km(HAIDIAN, XIUYING):.1f} km" in page
    assert f"{distance_km(HAIDIAN, SANYA):.0f} km" in page


def test_distances_show_in_every_order_when_the_buyer_has_an_origin(client, buyer, world):
    page = client.get("/shop/?sort=name").get_data(as_text=True)

    assert f"{distance_km(HAIDIAN, XIUYING):.1f} km" in page


def test_the_phones_location_is_the_origin_even_for_a_visitor(client, world):
    page = client.get(f"/shop/?sort=distance&lat={SANYA.lat}&lng={SANYA.lng}").get_data(
        as_text=True
    )

    assert order_on(page, world) == ["三亚海鲜", "秀英粉店", "隔壁奶茶", "没定位的店"]
    assert "距离从当前位置算起" in page
    # the sort links keep the origin
    assert f"sort=name&amp;lat={SANYA.lat:.6f}&amp;lng={SANYA.lng:.6f}" in page


def test_the_buyer_may_measure_from_another_of_their_addresses(client, buyer, world):
    sanya = address_for(buyer, SANYA, default=False, text="海南省三亚市吉阳区大东海")

    page = client.get(f"/shop/?sort=distance&address={sanya.id}").get_data(as_text=True)

    assert order_on(page, world)[0] == "三亚海鲜"
    assert "距离从收货地址算起：海南省三亚市吉阳区大东海" in page
    assert "切换地址" in page  # more than one address: a switch


def test_someone_elses_address_is_ignored(client, buyer, world):
    other = make_user(Role.BUYER)
    theirs = address_for(other, SANYA, text="别人家在三亚")

    page = client.get(f"/shop/?sort=distance&address={theirs.id}").get_data(as_text=True)

    assert order_on(page, world)[0] == "隔壁奶茶"  # from the buyer's own default
    assert "别人家在三亚" not in page


@pytest.mark.parametrize(
    "query",
    [
        "lat=40.7&lng=-74.0",
        "lat=nan&lng=nan",
        "lat=1e400&lng=110",
        "lat=abc&lng=110",
        "lat=20.06",
        "address=99999999999999999999",
        "address=-1",
    ],
)
def test_odd_origins_are_ignored(client, world, query):
    response = client.get(f"/shop/?sort=distance&{query}")

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert order_on(page, world) == ["三亚海鲜", "没定位的店", "秀英粉店", "隔壁奶茶"]
    assert "登录并添加收货地址，或允许使用当前位置，即可按距离排序" in page


def test_a_visitor_choosing_distance_is_told_how(client, world):
    page = client.get("/shop/?sort=distance").get_data(as_text=True)

    assert "登录并添加收货地址，或允许使用当前位置，即可按距离排序" in page
    assert order_on(page, world) == ["三亚海鲜", "没定位的店", "秀英粉店", "隔壁奶茶"]
    assert " km<" not in page


def test_a_buyer_without_a_located_address_is_told_how(client, login, world):
    user = make_user(Role.BUYER)
    address_for(user, None)
    login(user)

    page = client.get("/shop/?sort=distance").get_data(as_text=True)

    assert "所选收货地址未能定位，请编辑地址或使用当前位置" in page


def test_a_buyer_without_addresses_is_offered_to_add_one(client, login, world):
    login(make_user(Role.BUYER))

    page = client.get("/shop/?sort=distance").get_data(as_text=True)

    assert "添加收货地址，或允许使用当前位置，即可按距离排序" in page
    assert 'href="/shop/addresses/new?next=/shop/?sort%3Ddistance"' in page


def test_name_sorts_by_name(client, app):
    for name in ("C 小馆", "A 小馆", "B 小馆"):
        make_store(name=name)
    commit()

    page = client.get("/shop/?sort=name").get_data(as_text=True)

    assert order_on(page, ["A 小馆", "B 小馆", "C 小馆"]) == ["A 小馆", "B 小馆", "C 小馆"]


def test_new_puts_the_latest_first_and_default_the_earliest(client, world):
    newest = client.get("/shop/?sort=new").get_data(as_text=True)
    default = client.get("/shop/").get_data(as_text=True)
    unknown = client.get("/shop/?sort=<script>").get_data(as_text=True)

    assert order_on(newest, world) == ["隔壁奶茶", "秀英粉店", "没定位的店", "三亚海鲜"]
    assert order_on(default, world) == ["三亚海鲜", "没定位的店", "秀英粉店", "隔壁奶茶"]
    assert order_on(unknown, world) == order_on(default, world)
    assert 'class="active" aria-current="true">最新入驻' in newest


# --- what is listed -------------------------------------------------------------------------


def test_only_open_stores_that_are_not_deleted_are_listed(client, app):
    make_store(name="营业的店")
    make_store(name="休息的店", business_status=BusinessStatus.RESTING)
    make_store(name="打烊的店", business_status=BusinessStatus.CLOSED_TODAY)
    make_store(name="关闭的店", business_status=BusinessStatus.SHUT)
    make_store(name="删除的店", deleted_at=datetime(2026, 1, 1))
    commit()

    for sort in ("default", "distance", "name", "new"):
        page = client.get(f"/shop/?sort={sort}&lat=20.06&lng=110.33").get_data(as_text=True)
        assert "营业的店" in page
        for hidden in ("休息的店", "打烊的店", "关闭的店", "删除的店"):
            assert hidden not in page, (sort, hidden)


def test_a_card_shows_stars_spend_hours_and_category(client, app):
    make_store(
        name="椰城小厨",
        category="美食",
        rating=4,
        avg_spend_fen=3500,
        opens_at="08:00",
        closes_at="22:00",
    )
    make_store(name="海南批发供应", kind=StoreKind.WHOLESALE, category="批发")
    commit()

    page = client.get("/shop/").get_data(as_text=True)

    assert "★★★★☆" in page and 'aria-label="4 星"' in page
    assert "人均 ￥35.00" in page
    assert "营业时间 08:00-22:00" in page
    assert "美食" in page
    assert "全天营业" in page  # the wholesale store keeps the default hours
    assert '<span class="badge">批发</span>' in page
    assert 'aria-hidden="true">椰</span>' in page  # no logo yet: its first character


def test_an_empty_mall_says_so(client, app):
    assert "暂时没有营业中的商家" in client.get("/shop/").get_data(as_text=True)


def test_the_list_costs_one_query_for_the_stores(client, buyer, world):
    with statements_sent() as statements:
        assert client.get("/shop/?sort=distance").status_code == 200

    assert len([s for s in statements if "FROM stores" in s]) == 1
    assert len([s for s in statements if "FROM addresses" in s]) == 1


@pytest.mark.parametrize(
    ("km", "text"),
    [
        (None, ""),
        (0.0, "10 m"),
        (0.004, "10 m"),
        (0.85, "850 m"),
        (0.9996, "1.0 km"),
        (1.234, "1.2 km"),
        (99.94, "99.9 km"),
        (216.4, "216 km"),
    ],
)
def test_distance_text(km, text):
    assert MallStore(Store(name="x"), km).distance_text == text
