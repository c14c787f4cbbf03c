"""Business regions (海口, 三亚, 琼海, ...) and their people: sales managers and drivers.

Only a platform operator changes them. A person added by phone gets an account if they have
none and logs in with an SMS code; removing someone from a region ends their sessions at once
(they log in again with the roles they have left). A region is deleted only while empty.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.accounts import services as accounts
from app.accounts.actor import Actor
from app.accounts.models import Member, Role, RoleGrant, User
from app.accounts.people import (
    Added,
    clean_name,
    clean_phone,
    give_role,
    is_clean_text,
    operator_only,
)
from app.errors import DomainError, InvalidInput
from app.extensions import db
from app.i18n_markers import N_
from app.messages import define
from app.ordering.models import Order
from app.wholesale.models import Region

REGION_ROLES = (Role.SALES_MANAGER, Role.DRIVER)
MAX_REGION_NAME = 50  # regions.name

# 京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼: a province's abbreviation, the
# city's letter, then 5 characters (6 on new-energy plates), written with or without the dot.
PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_PLATE = re.compile(rf"([{PROVINCES}])([A-Z])[·•・‧.．\-]?([A-Z0-9]{{5,6}})")

REGION_BAD_NAME = define(
    "region_bad_name", N_("请填写区域名称（不超过 %(max)s 个字，不能含控制字符）")
)
REGION_EXISTS = define("region_exists", N_("已有名为「%(name)s」的区域"))
REGION_HAS_ORDERS = define(
    "region_has_orders", N_("「%(name)s」已有 %(orders)s 个订单，不能删除；可以改名")
)
REGION_NOT_EMPTY = define(
    "region_not_empty",
    N_(
        "「%(name)s」还有业务经理 %(managers)s 人、司机 %(drivers)s 人、会员 %(members)s 人，"
        "请先移除人员、把会员转到其他区域后再删除"
    ),
)
BAD_PLATE = define("bad_plate", N_("车牌号格式不正确，例如 琼A·D1234"))
NOT_A_DRIVER = define("not_a_driver", N_("只有司机有车牌号"))


@dataclass(frozen=True)
class RegionRow:
    region: Region
    managers: list[str]  # their names
    drivers: int
    members: int


# ---- plates ----------------------------------------------------------------------------------


def normalise_plate(plate: str) -> str | None:
    """'琼a d1234', '琼AD1234', '琼A·D1234' → '琼A·D1234'; None when it is no plate."""
    compact = re.sub(r"\s+", "", plate or "").upper()
    found = _PLATE.fullmatch(compact)
    if found is None:
        return None
    province, city, number = found.groups()
    return f"{province}{city}·{number}"


def clean_plate(plate: str) -> str:
    normalised = normalise_plate(plate)
    if normalised is None:
        raise InvalidInput(BAD_PLATE())
    return normalised


# ---- regions ---------------------------------------------------------------------------------


def find_region(region_id: int) -> Region | None:
    return db.session.get(Region, region_id)


def clean_region_name(name: str) -> str:
    name = (name or "").strip()
    if not name or len(name) > MAX_REGION_NAME or not is_clean_text(name):
        raise InvalidInput(REGION_BAD_NAME(max=MAX_REGION_NAME))
    return name


def _ensure_name_free(name: str, region_id: int | None = None) -> None:
    taken = db.session.execute(select(Region.id).where(Region.name == name)).scalar()
    if taken is not None and taken != region_id:
        raise DomainError(REGION_EXISTS(name=name))


def create_region(actor: Actor, name: str) -> Region:
    operator_only(actor)
    name = clean_region_name(name)
    _ensure_name_free(name)
    region = Region(name=name)
    db.session.add(region)
    db.session.flush()
    return region


def rename_region(region: Region, actor: Actor, name: str) -> None:
    operator_only(actor)
    name = clean_region_name(name)
    _ensure_name_free(name, region.id)
    region.name = name
    db.session.flush()


@dataclass(frozen=True)
class RegionContents:
    """What keeps a region from being deleted."""

    managers: int
    drivers: int
    members: int
    orders: int
    other_grants: int  # grants of another role bound to the region (none are made today)

    @property
    def empty(self) -> bool:
        return not (
            self.managers or self.drivers or self.members or self.orders or self.other_grants
        )


def region_contents(region: Region) -> RegionContents:
    grants = dict(
        db.session.execute(
            select(RoleGrant.role, func.count())
            .where(RoleGrant.region_id == region.id)
            .group_by(RoleGrant.role)
        ).all()
    )
    return RegionContents(
        managers=grants.pop(Role.SALES_MANAGER, 0),
        drivers=grants.pop(Role.DRIVER, 0),
        members=db.session.scalar(select(func.count()).where(Member.region_id == region.id)),
        orders=db.session.scalar(select(func.count()).where(Order.region_id == region.id)),
        other_grants=sum(grants.values()),
    )


def delete_region(region: Region, actor: Actor) -> None:
    """Only an empty region goes: no orders ever, no managers, drivers or members."""
    operator_only(actor)
    contents = region_contents(region)
    if contents.orders:
        raise DomainError(REGION_HAS_ORDERS(name=region.name, orders=contents.orders))
    if not contents.empty:
        raise DomainError(
            REGION_NOT_EMPTY(
                name=region.name,
                managers=contents.managers,
                drivers=contents.drivers,
                members=contents.members,
            )
        )
    db.session.delete(region)
    db.session.flush()


def regions_overview() -> list[RegionRow]:
    """Every region by name, with its managers' names and how many drivers and members it has."""
    regions = db.session.execute(select(Region).order_by(Region.name)).scalars().all()
    managers: dict[int, list[str]] = {}
    for region_id, name in db.session.execute(
        select(RoleGrant.region_id, User.name)
        .join(User, User.id == RoleGrant.user_id)
        .where(RoleGrant.role == Role.SALES_MANAGER)
        .order_by(User.name)
    ):
        managers.setdefault(region_id, []).append(name)
    drivers = dict(
        db.session.execute(
            select(RoleGrant.region_id, func.count())
            .where(RoleGrant.role == Role.DRIVER)
            .group_by(RoleGrant.region_id)
        ).all()
    )
    members = dict(
        db.session.execute(
            select(Member.region_id, func.count())
            .where(Member.region_id.is_not(None))
            .group_by(Member.region_id)
        ).all()
    )
    return [
        RegionRow(r, managers.get(r.id, []), drivers.get(r.id, 0), members.get(r.id, 0))
        for r in regions
    ]


def region_people(region: Region) -> dict[str, list[RoleGrant]]:
    """The region's managers and drivers (their grants, each with its person), by name."""
    grants = db.session.execute(
        select(RoleGrant)
        .join(User, User.id == RoleGrant.user_id)
        .where(RoleGrant.region_id == region.id, RoleGrant.role.in_(REGION_ROLES))
        .options(selectinload(RoleGrant.user))
        .order_by(User.name, User.id)
    ).scalars()
    people: dict[str, list[RoleGrant]] = {role: [] for role in REGION_ROLES}
    for grant in grants:
        people[grant.role].append(grant)
    return people


def region_grant(region: Region, grant_id: int) -> RoleGrant | None:
    """One of this region's managers or drivers, else None (another region's: 404)."""
    grant = db.session.get(RoleGrant, grant_id)
    if grant is None or grant.region_id != region.id or grant.role not in REGION_ROLES:
        return None
    return grant


# ---- the region's people ---------------------------------------------------------------------


def add_manager(region: Region, actor: Actor, phone: str, name: str) -> Added:
    """The person with this phone manages the region's wholesale orders from now on."""
    operator_only(actor)
    return give_role(clean_phone(phone), clean_name(name), Role.SALES_MANAGER, region.id)


def add_driver(region: Region, actor: Actor, phone: str, name: str, plate_no: str) -> Added:
    """The person with this phone drives for the region, in the vehicle with this plate."""
    operator_only(actor)
    phone, name, plate = clean_phone(phone), clean_name(name), clean_plate(plate_no)
    added = give_role(phone, name, Role.DRIVER, region.id)
    added.user.plate_no = plate
    db.session.flush()
    return added


def update_plate(grant: RoleGrant, actor: Actor, plate_no: str) -> str:
    operator_only(actor)
    if grant.role != Role.DRIVER:
        raise InvalidInput(NOT_A_DRIVER())
    grant.user.plate_no = clean_plate(plate_no)
    db.session.flush()
    return grant.user.plate_no


def remove_from_region(grant: RoleGrant, actor: Actor) -> None:
    """They no longer manage or drive for the region; their sessions end at once."""
    operator_only(actor)
    accounts.revoke_grant(grant, actor)
