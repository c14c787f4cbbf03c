"""People services: staff accounts and region people, checked without HTTP."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.accounts.models import Role, RoleGrant, User
from app.accounts.people import (
    create_staff,
    disable_person,
    enable_person,
    revoke_staff_role,
    staff_list,
)
from app.errors import DomainError, Forbidden, InvalidInput
from app.extensions import db
from app.wholesale.models import Region
from app.wholesale.regions import (
    add_driver,
    add_manager,
    create_region,
    delete_region,
    normalise_plate,
    regions_overview,
    remove_from_region,
    update_plate,
)
from tests.factories import actor_of, make_buyer, make_region, make_user


@pytest.fixture
def operator(app):
    return make_user(Role.OPERATOR, name="张运营")


def users() -> int:
    return db.session.scalar(select(func.count(User.id)))


def test_only_an_operator_changes_people(app, operator):
    service = make_user(Role.SERVICE)
    manager = make_user(Role.SALES_MANAGER, region=make_region())
    region = make_region()
    for actor in (actor_of(service), actor_of(manager)):
        with pytest.raises(Forbidden):
            create_staff(actor, "13912345678", "王", Role.SERVICE)
        with pytest.raises(Forbidden):
            disable_person(operator, actor)
        with pytest.raises(Forbidden):
            enable_person(operator, actor)
        with pytest.raises(Forbidden):
            create_region(actor, "三亚")
        with pytest.raises(Forbidden):
            add_driver(region, actor, "13912345678", "吴", "琼A·D1234")
        with pytest.raises(Forbidden):
            delete_region(region, actor)


def test_create_staff_checks_what_it_is_given(app, operator):
    actor = actor_of(operator)
    before = users()
    for phone, name, role, password in [
        ("1391234567", "王", Role.SERVICE, ""),
        ("13912345678", "", Role.SERVICE, ""),
        ("13912345678", "王\x00", Role.SERVICE, ""),
        ("13912345678", "王" * 51, Role.SERVICE, ""),
        ("13912345678", "王", Role.BUYER, ""),
        ("13912345678", "王", Role.SERVICE, "short"),
    ]:
        with pytest.raises(InvalidInput):
            create_staff(actor, phone, name, role, password)
    assert users() == before

    added = create_staff(actor, " 13912345678 ", " 王客服 ", Role.SERVICE, "long-enough")
    assert not added.existed
    assert (added.user.phone, added.user.name) == ("13912345678", "王客服")
    assert added.user.check_password("long-enough")


def test_the_same_staff_role_twice_is_refused(app, operator):
    create_staff(actor_of(operator), "13912345678", "王客服", Role.SERVICE)
    with pytest.raises(DomainError, match="已经是客服"):
        create_staff(actor_of(operator), "13912345678", "王客服", Role.SERVICE)
    again = create_staff(actor_of(operator), "13912345678", "王客服", Role.OPERATOR)
    assert again.existed and sorted(g.role for g in again.user.grants) == ["operator", "service"]


def test_disabling_ends_sessions_and_enabling_does_not_bring_them_back(app, operator):
    service = make_user(Role.SERVICE)
    version = service.session_version
    disable_person(service, actor_of(operator))
    db.session.refresh(service)
    assert not service.active and service.session_version == version + 1
    disable_person(service, actor_of(operator))  # twice is once
    db.session.refresh(service)
    assert service.session_version == version + 1
    enable_person(service, actor_of(operator))
    db.session.refresh(service)
    assert service.active and service.session_version == version + 1


def test_two_operators_disabling_each_other_leave_one(app, operator):
    other = make_user(Role.OPERATOR, name="孙运营")
    disable_person(other, actor_of(operator))
    # the other's request, made before it learnt it was disabled, comes second
    with pytest.raises(DomainError, match="最后一位正常使用的平台运营"):
        disable_person(operator, actor_of(other))


def test_the_last_operators_role_cannot_be_taken(app, operator):
    other = make_user(Role.OPERATOR, name="孙运营")
    revoke_staff_role(other.grants[0], actor_of(operator))
    assert [g.role for g in other.grants] == []
    with pytest.raises(DomainError, match="最后一位"):
        revoke_staff_role(operator.grants[0], actor_of(operator))


def test_staff_list_filters(app, operator):
    service = make_user(Role.SERVICE, name="李客服", phone="13766665555")
    service.active = False
    make_user(Role.DRIVER, region=make_region(), name="司机")

    def names(**kw):
        return {u.name for u in db.session.execute(staff_list(**kw)).scalars()}

    assert names() == {"张运营", "李客服"}
    assert names(role=Role.SERVICE) == {"李客服"}
    assert names(status="active") == {"张运营"}
    assert names(status="disabled") == {"李客服"}
    assert names(query="6666555") == {"李客服"}
    assert names(query="_") == set()


@pytest.mark.parametrize(
    "plate, normal",
    [
        ("琼A·D1234", "琼A·D1234"),
        ("琼AD1234", "琼A·D1234"),
        ("琼a d1234", "琼A·D1234"),
        ("琼A12345", "琼A·12345"),
        ("琼AD12345", "琼A·D12345"),
        ("京B•88888", "京B·88888"),
        ("琼A1234", None),
        ("琼AD123456", None),
        ("美A·D1234", None),
        ("琼·D1234", None),
        ("", None),
    ],
)
def test_plates(plate, normal):
    assert normalise_plate(plate) == normal


def test_region_people_and_deleting_only_an_empty_region(app, operator):
    actor = actor_of(operator)
    region = create_region(actor, "琼海")
    with pytest.raises(DomainError, match="已有名为"):
        create_region(actor, "琼海")
    manager = add_manager(region, actor, "13911110001", "陈经理")
    driver = add_driver(region, actor, "13911110002", "吴师傅", "琼CD1234")
    assert driver.user.plate_no == "琼C·D1234" and driver.user.password_hash is None
    [row] = regions_overview()
    assert (row.managers, row.drivers, row.members) == (["陈经理"], 1, 0)

    with pytest.raises(InvalidInput, match="车牌号格式不正确"):
        update_plate(driver.grant, actor, "琼C")
    with pytest.raises(InvalidInput):
        update_plate(manager.grant, actor, "琼C·D1234")  # a manager has no plate here
    with pytest.raises(DomainError, match="业务经理 1 人、司机 1 人"):
        delete_region(region, actor)

    version = manager.user.session_version
    remove_from_region(manager.grant, actor)
    remove_from_region(driver.grant, actor)
    db.session.refresh(manager.user)
    assert manager.user.session_version == version + 1
    make_buyer(region)
    with pytest.raises(DomainError, match="会员 1 人"):
        delete_region(region, actor)


def test_deleting_an_empty_region(app, operator):
    region = create_region(actor_of(operator), "琼海")
    delete_region(region, actor_of(operator))
    assert db.session.scalar(select(func.count(Region.id))) == 0
    assert db.session.scalar(select(func.count(RoleGrant.id))) == 1  # the operator's own
