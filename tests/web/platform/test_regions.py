"""Regions over HTTP: operators add regions, their sales managers and drivers (with plates);
removing someone ends their sessions; customer service only reads; other ids are 404."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from app.accounts.models import Role, RoleGrant, User
from app.extensions import db
from app.jobs import commit
from app.wholesale.models import Region
from app.wholesale.services import assign_driver, confirm_order
from tests.factories import actor_of, make_buyer, make_region, make_user
from tests.support.wholesale_world import build_world, client_of, order_of, shipped_to

HX = {"HX-Request": "true"}


@pytest.fixture
def operator(app):
    user = make_user(Role.OPERATOR, name="张运营", phone="13800000010")
    db.session.commit()
    return user


@pytest.fixture
def service(app):
    user = make_user(Role.SERVICE, name="李客服", phone="13800000011")
    db.session.commit()
    return user


@pytest.fixture
def haikou(app):
    region = make_region("海口")
    db.session.commit()
    return region


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def row_of(page: str, text: str) -> str:
    rows = [row for row in re.findall(r"<tr>(.*?)</tr>", page, re.S) if text in row]
    assert len(rows) == 1, f"{len(rows)} table rows hold {text!r}"
    return text_of(rows[0])


def counts() -> tuple[int, int, int]:
    db.session.expire_all()
    return (
        db.session.scalar(select(func.count(User.id))),
        db.session.scalar(select(func.count(RoleGrant.id))),
        db.session.scalar(select(func.count(Region.id))),
    )


def person(phone: str) -> User | None:
    db.session.expire_all()
    return db.session.execute(select(User).where(User.phone == phone)).scalar_one_or_none()


def flashes(client, url: str) -> str:
    return text_of(client.get(url).get_data(as_text=True))


def add_driver(client, region, **data):
    form = {"phone": "13911110000", "name": "吴师傅", "plate_no": "琼A·D5678"}
    form.update(data)
    return client.post(f"/platform/regions/{region.id}/drivers", data=form)


# ---- regions ------------------------------------------------------------------------------------


def test_the_region_list_counts_managers_drivers_and_members(client, login, service):
    haikou = make_region("海口")
    make_region("三亚")
    make_user(Role.SALES_MANAGER, region=haikou, name="陈经理")
    make_user(Role.DRIVER, region=haikou, name="刘师傅", plate_no="琼A·D1234")
    make_user(Role.DRIVER, region=haikou, name="吴师傅", plate_no="琼A·D5678")
    make_buyer(haikou)
    db.session.commit()
    login(service)
    page = client.get("/platform/regions").get_data(as_text=True)
    assert row_of(page, "海口").split() == ["海口", "陈经理", "2", "1"]
    assert "新订单短信发给客服" in row_of(page, "三亚")


def test_an_empty_list_says_what_to_do(client, login, operator):
    login(operator)
    assert "先在下方添加一个区域" in flashes(client, "/platform/regions")


def test_an_operator_adds_a_region_and_a_duplicate_name_is_refused(client, login, operator):
    login(operator)
    answer = client.post("/platform/regions", data={"name": " 琼海 "})
    region = db.session.execute(select(Region).where(Region.name == "琼海")).scalar_one()
    assert answer.status_code == 303
    assert answer.headers["Location"] == f"/platform/regions/{region.id}"
    assert "已添加区域「琼海」" in flashes(client, answer.headers["Location"])

    again = client.post("/platform/regions", data={"name": "琼海"}, headers=HX)
    assert again.status_code == 409
    assert "已有名为「琼海」的区域" in again.get_data(as_text=True)
    assert counts()[2] == 1


@pytest.mark.parametrize(
    "name, message",
    [
        ("", "请填写区域名称"),
        ("   ", "请填写区域名称"),
        ("海" * 51, "区域名称不能超过 50 个字"),
        ("海口\x00", "不能含控制字符或不可见字符"),
        ("海口\u200b", "不能含控制字符或不可见字符"),
    ],
)
def test_a_bad_region_name_is_a_422_and_nothing_is_written(client, login, operator, name, message):
    login(operator)
    answer = client.post("/platform/regions", data={"name": name}, headers=HX)
    assert answer.status_code == 422
    html = answer.get_data(as_text=True)
    assert html.lstrip().startswith('<section class="panel" id="add-region">')
    assert message in text_of(html)
    assert counts()[2] == 0


def test_renaming_a_region(client, login, operator, haikou):
    make_region("三亚")
    db.session.commit()
    login(operator)
    assert (
        client.post(f"/platform/regions/{haikou.id}/name", data={"name": "海口市"}).status_code
        == 303
    )
    assert "海口市" in flashes(client, "/platform/regions")
    taken = client.post(f"/platform/regions/{haikou.id}/name", data={"name": "三亚"})
    assert taken.status_code == 409 and "已有名为「三亚」的区域" in taken.get_data(as_text=True)
    # the same name again is no change, not a clash with itself
    assert (
        client.post(f"/platform/regions/{haikou.id}/name", data={"name": "海口市"}).status_code
        == 303
    )


def test_only_an_empty_region_is_deleted_and_the_page_says_what_blocks_it(
    client, login, operator, haikou
):
    manager = make_user(Role.SALES_MANAGER, region=haikou, name="陈经理")
    db.session.commit()
    login(operator)
    page = flashes(client, f"/platform/regions/{haikou.id}")
    assert "移出所有业务经理和司机" in page
    refused = client.post(f"/platform/regions/{haikou.id}/delete")
    assert refused.status_code == 409
    assert "还有业务经理 1 人、司机 0 人、会员 0 人" in refused.get_data(as_text=True)

    grant = manager.grants[0]
    assert client.post(f"/platform/regions/{haikou.id}/people/{grant.id}/remove").status_code == 303
    assert client.post(f"/platform/regions/{haikou.id}/delete").status_code == 303
    assert counts()[2] == 0
    assert "已删除区域「海口」" in flashes(client, "/platform/regions")


def test_a_region_with_orders_is_never_deleted(app, client, login, operator):
    world = build_world()
    order_of(world)
    login(operator)
    refused = client.post(f"/platform/regions/{world.haikou.id}/delete")
    assert refused.status_code == 409
    assert "已有 1 个订单，不能删除" in refused.get_data(as_text=True)
    assert db.session.get(Region, world.haikou.id) is not None


# ---- managers and drivers ---------------------------------------------------------------------


def test_an_operator_adds_a_driver_and_the_plate_is_written_the_usual_way(
    client, login, operator, haikou
):
    login(operator)
    answer = add_driver(client, haikou, plate_no=" 琼a d5678 ")
    assert answer.status_code == 303
    page = flashes(client, f"/platform/regions/{haikou.id}")
    assert "已添加司机 吴师傅" in page and "短信验证码" in page
    driver = person("13911110000")
    assert driver.plate_no == "琼A·D5678" and driver.password_hash is None
    assert [(g.role, g.region_id) for g in driver.grants] == [(Role.DRIVER, haikou.id)]
    assert 'value="琼A·D5678"' in client.get(f"/platform/regions/{haikou.id}").get_data(
        as_text=True
    )


@pytest.mark.parametrize(
    "plate, written",
    [
        ("琼AD1234", "琼A·D1234"),
        ("琼A12345", "琼A·12345"),
        ("琼A·D12345", "琼A·D12345"),  # new energy: six
        ("粤b-12345", "粤B·12345"),
    ],
)
def test_plates_are_normalised(client, login, operator, haikou, plate, written):
    login(operator)
    assert add_driver(client, haikou, plate_no=plate).status_code == 303
    assert person("13911110000").plate_no == written


@pytest.mark.parametrize(
    "plate",
    ["", "D1234", "琼A1234", "琼A1234567", "XA·D1234", "琼1·D1234", "琼A·D12\x0034", "琼" * 500],
)
def test_a_bad_plate_is_refused_with_the_example_and_nothing_is_written(
    client, login, operator, haikou, plate
):
    login(operator)
    before = counts()
    answer = add_driver(client, haikou, plate_no=plate)
    assert answer.status_code == 422
    html = text_of(answer.get_data(as_text=True))
    assert "车牌号格式不正确，例如 琼A·D1234" in html or "请填写车牌号" in html
    assert counts() == before


@pytest.mark.parametrize(
    "field, value",
    [
        ("phone", "12345"),
        ("phone", "1391111000０"),
        ("phone", "139\t11110000"),
        ("name", "吴" * 51),
        ("name", "吴\x1b[31m"),
        ("name", ""),
    ],
)
def test_fuzzed_phones_and_names_are_a_clear_422(client, login, operator, haikou, field, value):
    login(operator)
    before = counts()
    manager = client.post(
        f"/platform/regions/{haikou.id}/managers",
        data={"phone": "13922220000", "name": "陈经理", field: value},
        headers=HX,
    )
    assert manager.status_code == 422
    assert (
        manager.get_data(as_text=True)
        .lstrip()
        .startswith('<section class="panel" id="add-manager">')
    )
    assert add_driver(client, haikou, **{field: value}).status_code == 422
    assert counts() == before


def test_editing_a_plate(client, login, operator, haikou):
    driver = make_user(Role.DRIVER, region=haikou, name="刘师傅", plate_no="琼A·D1234")
    db.session.commit()
    grant_id = driver.grants[0].id
    login(operator)
    url = f"/platform/regions/{haikou.id}/people/{grant_id}/plate"
    assert client.post(url, data={"plate_no": "琼BD9999"}).status_code == 303
    assert "刘师傅 的车牌号已改为 琼B·D9999" in flashes(client, f"/platform/regions/{haikou.id}")
    bad = client.post(url, data={"plate_no": "not a plate"}, headers=HX)
    assert bad.status_code == 422
    assert 'id="region-people"' in bad.get_data(as_text=True)
    assert "车牌号格式不正确" in bad.get_data(as_text=True)
    assert person(driver.phone).plate_no == "琼B·D9999"


def test_a_manager_on_the_page_and_a_phone_with_an_account_keeps_its_name(
    client, login, operator, haikou
):
    buyer = make_buyer(haikou, name="陈老板", phone="13922220000")
    db.session.commit()
    login(operator)
    answer = client.post(
        f"/platform/regions/{haikou.id}/managers", data={"phone": buyer.phone, "name": "别名"}
    )
    assert answer.status_code == 303
    page = client.get(f"/platform/regions/{haikou.id}").get_data(as_text=True)
    assert "该手机号已有账号，已为其添加角色" in text_of(page)
    assert "陈老板" in row_of(page, "13922220000")
    again = client.post(
        f"/platform/regions/{haikou.id}/managers", data={"phone": buyer.phone, "name": "陈老板"}
    )
    assert again.status_code == 409 and "已经是业务经理" in again.get_data(as_text=True)


def test_the_added_driver_sees_their_regions_orders_only(app, client, login, operator):
    world = build_world()
    service = make_user(Role.SERVICE)
    commit()
    login(operator)
    assert add_driver(client, world.haikou, phone="13933330000", name="新司机").status_code == 303

    newcomer = person("13933330000")
    newcomer.set_password("pw123456")  # as if they had logged in by SMS code and set one
    sanya_driver = make_user(Role.DRIVER, region=world.sanya, name="三亚司机")
    sanya_buyer = make_buyer(world.sanya)
    commit()
    ours = shipped_to(world, order_of(world), newcomer)
    theirs = order_of(world, sanya_buyer)
    confirm_order(theirs, actor_of(service))
    assign_driver(theirs, sanya_driver.id, actor_of(service))
    commit()

    browser = client_of(app, newcomer)
    page = browser.get("/driver/").get_data(as_text=True)
    assert ours.no in page and theirs.no not in page
    assert browser.get(f"/driver/orders/{theirs.id}").status_code == 404


def test_removing_a_manager_ends_their_session_at_once(app, client, login, operator):
    world = build_world()
    theirs = client_of(app, world.manager)
    assert theirs.get("/sales/").status_code == 200
    login(operator)
    grant = world.manager.grants[0]
    answer = client.post(f"/platform/regions/{world.haikou.id}/people/{grant.id}/remove")
    assert answer.status_code == 303
    assert "已将 王经理 移出本区域" in flashes(client, f"/platform/regions/{world.haikou.id}")
    assert theirs.get("/sales/").status_code == 302
    # logging in again, they have no region role left
    again = app.test_client()
    again.post("/login", data={"phone": world.manager.phone, "password": "pw123456"})
    assert again.get("/sales/").status_code == 403


def test_disabling_a_driver_from_the_region_page_returns_there(app, client, login, operator):
    world = build_world()
    theirs = client_of(app, world.driver)
    login(operator)
    confirm = client.get(f"/platform/people/{world.driver.id}/disable?region={world.haikou.id}")
    assert f'name="region" value="{world.haikou.id}"' in confirm.get_data(as_text=True)
    answer = client.post(
        f"/platform/people/{world.driver.id}/disable",
        data={"confirmed": "y", "region": str(world.haikou.id)},
    )
    assert answer.headers["Location"] == f"/platform/regions/{world.haikou.id}"
    assert theirs.get("/driver/").status_code == 302
    assert "已停用" in row_of(
        client.get(answer.headers["Location"]).get_data(as_text=True), "刘师傅"
    )


# ---- who may, and which ids --------------------------------------------------------------------


def test_customer_service_reads_regions_and_changes_nothing(client, login, service, haikou):
    driver = make_user(Role.DRIVER, region=haikou, name="刘师傅", plate_no="琼A·D1234")
    db.session.commit()
    grant_id = driver.grants[0].id
    login(service)
    page = client.get(f"/platform/regions/{haikou.id}").get_data(as_text=True)
    assert "琼A·D1234" in page and "刘师傅" in page
    assert 'id="add-driver"' not in page and "/remove" not in page and "/plate" not in page
    assert 'id="add-region"' not in client.get("/platform/regions").get_data(as_text=True)
    before = counts()
    base = f"/platform/regions/{haikou.id}"
    for url, data in [
        ("/platform/regions", {"name": "三亚"}),
        (f"{base}/name", {"name": "改名"}),
        (f"{base}/delete", {}),
        (f"{base}/managers", {"phone": "13944440000", "name": "经理"}),
        (f"{base}/drivers", {"phone": "13944440000", "name": "司机", "plate_no": "琼A·D1111"}),
        (f"{base}/people/{grant_id}/plate", {"plate_no": "琼A·D2222"}),
        (f"{base}/people/{grant_id}/remove", {}),
    ]:
        assert client.post(url, data=data).status_code == 403, url
    assert counts() == before and person(driver.phone).plate_no == "琼A·D1234"


def test_other_region_and_grant_ids_are_404(client, login, operator, haikou):
    sanya = make_region("三亚")
    sanya_driver = make_user(Role.DRIVER, region=sanya, plate_no="琼B·D1234")
    staff = make_user(Role.SERVICE)
    db.session.commit()
    login(operator)
    for region_id in (999_999, 2**31 - 1):
        assert client.get(f"/platform/regions/{region_id}").status_code == 404
        assert client.post(f"/platform/regions/{region_id}/delete").status_code == 404
    assert client.get(f"/platform/regions/{2**31}").status_code == 404
    # a grant of another region, or one that is no region's, through this region's URL
    for grant in (sanya_driver.grants[0], staff.grants[0]):
        base = f"/platform/regions/{haikou.id}/people/{grant.id}"
        assert client.post(f"{base}/remove").status_code == 404
        assert client.post(f"{base}/plate", data={"plate_no": "琼A·D9999"}).status_code == 404
    assert len(person(sanya_driver.phone).grants) == 1
