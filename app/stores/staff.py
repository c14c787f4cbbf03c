"""A store's people: its owner adds staff by phone number and removes them (SPEC §2).

A staff member is a person with a store-staff grant for the store; the owner (store.owner_id)
holds one too. A phone without an account gets a new person without a password, who logs in with
an SMS code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select

from app.accounts.actor import Actor
from app.accounts.models import Role, RoleGrant, User
from app.accounts.phones import MOBILE_FIELD, is_mobile
from app.accounts.services import end_sessions
from app.errors import DomainError, Forbidden, InvalidInput
from app.extensions import db
from app.i18n_markers import N_
from app.messages import define
from app.stores.models import Store
from app.upsert import upsert_into

MOBILE = re.compile(MOBILE_FIELD)
MAX_NAME = 50

OWNER_ONLY = define("owner_manages_staff", N_("只有店主可以添加或移除店员"))
BAD_STAFF_PHONE = define("bad_staff_phone", N_("请输入正确的 11 位手机号"))
STAFF_NAME_REQUIRED = define("staff_name_required", N_("请填写店员姓名（50 字以内）"))
OWNER_STAYS = define("owner_stays", N_("店主不能移除自己"))


@dataclass(frozen=True)
class StaffMember:
    grant_id: int
    user_id: int
    name: str
    phone: str
    is_owner: bool


def is_owner(store: Store, actor: Actor) -> bool:
    return (
        actor.role == Role.STORE_STAFF
        and actor.store_id == store.id
        and actor.user_id is not None
        and store.owner_id == actor.user_id
    )


def _owner_only(store: Store, actor: Actor) -> None:
    if not is_owner(store, actor):
        raise Forbidden(OWNER_ONLY())


def store_staff(store: Store) -> list[StaffMember]:
    """Everyone who works for the store: the owner first, then in the order they were added."""
    rows = db.session.execute(
        select(RoleGrant.id, User.id, User.name, User.phone)
        .join(User, User.id == RoleGrant.user_id)
        .where(RoleGrant.role == Role.STORE_STAFF, RoleGrant.store_id == store.id)
        .order_by(RoleGrant.id)
    ).all()
    members = [
        StaffMember(grant_id, user_id, name, phone, user_id == store.owner_id)
        for grant_id, user_id, name, phone in rows
    ]
    return sorted(members, key=lambda m: not m.is_owner)


def staff_grant(store: Store, grant_id: int) -> RoleGrant | None:
    """The store-staff grant with this id, if it is this store's (else the view answers 404)."""
    grant = db.session.get(RoleGrant, grant_id)
    if grant is None or grant.role != Role.STORE_STAFF or grant.store_id != store.id:
        return None
    return grant


def _lock_store(store: Store) -> None:
    """Two adds at once wait for each other (PostgreSQL), so a person is added once."""
    db.session.execute(select(Store.id).where(Store.id == store.id).with_for_update())


def add_staff(store: Store, phone: str, name: str, actor: Actor) -> RoleGrant:
    """Give the person with this phone the store's staff role; a new phone becomes a new person
    without a password. Adding someone already on the staff changes nothing."""
    _owner_only(store, actor)
    phone = (phone or "").strip()
    name = (name or "").strip()
    if not is_mobile(phone):
        raise InvalidInput(BAD_STAFF_PHONE())
    if len(name) > MAX_NAME:
        raise InvalidInput(STAFF_NAME_REQUIRED())
    _lock_store(store)
    user = db.session.execute(select(User).where(User.phone == phone)).scalar_one_or_none()
    if user is None:
        if not name:
            raise InvalidInput(STAFF_NAME_REQUIRED())
        # One statement settles two owners adding the same new phone at once: no 500.
        db.session.execute(
            upsert_into(User)
            .values(phone=phone, name=name, password_hash=None)
            .on_conflict_do_nothing(index_elements=["phone"])
        )
        user = db.session.execute(select(User).where(User.phone == phone)).scalar_one()
    existing = next(
        (g for g in user.grants if g.role == Role.STORE_STAFF and g.store_id == store.id), None
    )
    if existing is not None:
        return existing
    grant = RoleGrant(role=Role.STORE_STAFF, store_id=store.id)
    user.grants.append(grant)
    db.session.flush()
    return grant


def remove_staff(store: Store, grant: RoleGrant, actor: Actor) -> User:
    """Take the store's role away; the person's sessions end at once."""
    _owner_only(store, actor)
    if grant.store_id != store.id or grant.role != Role.STORE_STAFF:
        raise Forbidden(OWNER_ONLY())
    user = grant.user
    if user.id == store.owner_id:
        raise DomainError(OWNER_STAYS())
    user.grants.remove(grant)  # delete-orphan: the row goes
    end_sessions(user)
    return user
