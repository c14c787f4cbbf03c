"""Platform staff accounts (平台运营, 客服): add, enable, disable, take a role away; the list.

Only a platform operator changes people. Whoever is added without a password logs in with an
SMS code. Someone must always be left to manage the platform: the last active operator can be
neither disabled nor lose the operator role, and nobody disables themselves.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from sqlalchemy import Select, exists, or_, select
from sqlalchemy.orm import selectinload

from app.accounts import services as accounts
from app.accounts.actor import Actor
from app.accounts.models import ROLE_LABELS, Role, RoleGrant, User
from app.accounts.phones import MOBILE, is_mobile
from app.errors import DomainError, Forbidden, InvalidInput
from app.extensions import db
from app.i18n_markers import N_
from app.messages import define

# The dispatchers of the 配送助手 are the platform's people too: operators add and disable them.
STAFF_ROLES = (Role.OPERATOR, Role.SERVICE, Role.DISPATCHER)
# The people the platform's people pages manage: staff, and the regions' managers and drivers.
MANAGED_ROLES = (*STAFF_ROLES, Role.SALES_MANAGER, Role.DRIVER)

PHONE = MOBILE  # a mainland mobile number (ASCII digits only)
MIN_PASSWORD = 8
MAX_PASSWORD = 128
MAX_NAME = 50  # users.name
# Characters nobody types into a name: controls, format marks (zero-width, direction
# overrides), surrogates, private use, line and paragraph separators.
_UNPRINTABLE = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


class Status:
    ACTIVE = "active"
    DISABLED = "disabled"


STATUS_LABELS = {Status.ACTIVE: N_("正常"), Status.DISABLED: N_("已停用")}

OPERATOR_MANAGES_PEOPLE = define("operator_manages_people", N_("只有平台运营可以管理人员"))
PEOPLE_BAD_PHONE = define("people_bad_phone", N_("请输入正确的 11 位手机号"))
PEOPLE_BAD_NAME = define("people_bad_name", N_("请填写姓名（不超过 %(max)s 个字，不能含控制字符）"))
PEOPLE_SHORT_PASSWORD = define(
    "people_short_password", N_("密码至少 %(min)s 位（不设密码则用短信验证码登录）")
)
PEOPLE_NOT_STAFF_ROLE = define("people_not_staff_role", N_("请选择平台运营或客服"))
PEOPLE_HOLDS_ROLE = define(
    "people_holds_role", N_("%(name)s（%(phone)s）已经是%(role)s"), ("role",)
)
CANNOT_DISABLE_SELF = define("cannot_disable_self", N_("不能停用自己的账号"))
CANNOT_REVOKE_OWN_OPERATOR = define(
    "cannot_revoke_own_operator", N_("不能收回自己的平台运营角色，请让另一位平台运营操作")
)
LAST_OPERATOR = define(
    "last_operator",
    N_(
        "%(name)s 是最后一位正常使用的平台运营，停用或收回后就没有人能管理平台了。请先添加另一位平台运营"
    ),
)


@dataclass(frozen=True)
class Added:
    """Who was given a role, and whether the phone already had an account (then the person's
    name and password stay as they were)."""

    user: User
    grant: RoleGrant
    existed: bool


# ---- who may, and what is sent ---------------------------------------------------------------


def may_manage_people(actor: Actor | None) -> bool:
    return actor is not None and actor.role == Role.OPERATOR


def operator_only(actor: Actor) -> None:
    if not may_manage_people(actor):
        raise Forbidden(OPERATOR_MANAGES_PEOPLE())


def is_clean_text(text: str) -> bool:
    """Nothing in it that does not print (a pasted control character, a direction override)."""
    return not any(unicodedata.category(ch) in _UNPRINTABLE for ch in text)


def clean_phone(phone: str) -> str:
    phone = (phone or "").strip()
    if not is_mobile(phone):
        raise InvalidInput(PEOPLE_BAD_PHONE())
    return phone


def clean_name(name: str) -> str:
    name = (name or "").strip()
    if not name or len(name) > MAX_NAME or not is_clean_text(name):
        raise InvalidInput(PEOPLE_BAD_NAME(max=MAX_NAME))
    return name


def clean_password(password: str | None) -> str:
    """'' for none (the person logs in by SMS code); else at least MIN_PASSWORD characters."""
    password = password or ""
    if password and not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise InvalidInput(PEOPLE_SHORT_PASSWORD(min=MIN_PASSWORD))
    return password


# ---- adding people ---------------------------------------------------------------------------


def person_with_phone(phone: str) -> User | None:
    return db.session.execute(select(User).where(User.phone == phone)).scalar_one_or_none()


def give_role(
    phone: str, name: str, role: str, region_id: int | None = None, password: str = ""
) -> Added:
    """The role (in a region, for managers and drivers) for the person with this phone, who gets
    an account if they have none. Callers check who may do this and what was sent."""
    user = person_with_phone(phone)
    existed = user is not None
    if user is None:
        user = User(phone=phone, name=name)
        if password:
            user.set_password(password)
        db.session.add(user)
        db.session.flush()
    # The unique key cannot hold NULL scopes apart (NULLs differ), so the check is here.
    held = db.session.scalar(select(exists().where(_same_grant(user.id, role, region_id))))
    if held:
        raise DomainError(
            PEOPLE_HOLDS_ROLE(name=user.name, phone=user.phone, role=ROLE_LABELS[role])
        )
    grant = RoleGrant(user_id=user.id, role=role, region_id=region_id)
    db.session.add(grant)
    db.session.flush()
    if existed:
        # They log in again to use the new role (the role switcher reads the session's grants).
        db.session.refresh(user, ["grants"])
    return Added(user, grant, existed)


def _same_grant(user_id: int, role: str, region_id: int | None):
    region = (
        RoleGrant.region_id.is_(None) if region_id is None else RoleGrant.region_id == region_id
    )
    return (RoleGrant.user_id == user_id) & (RoleGrant.role == role) & region


def create_staff(actor: Actor, phone: str, name: str, role: str, password: str = "") -> Added:
    """A new operator or customer-service account, or the role added to the phone's account."""
    operator_only(actor)
    if role not in STAFF_ROLES:
        raise InvalidInput(PEOPLE_NOT_STAFF_ROLE())
    return give_role(clean_phone(phone), clean_name(name), role, password=clean_password(password))


# ---- enabling, disabling, taking a role away -------------------------------------------------


def enable_person(user: User, actor: Actor) -> None:
    """They may log in again (their old sessions stay ended: they log in afresh)."""
    operator_only(actor)
    user.active = True
    db.session.flush()


def disable_person(user: User, actor: Actor) -> None:
    """They can no longer log in, and every session of theirs ends at once."""
    operator_only(actor)
    operator = _is_operator(user.id)
    if operator:
        _ensure_operator_left(user)
    if user.id == actor.user_id:
        raise DomainError(CANNOT_DISABLE_SELF())
    if not user.active:
        return  # disabled already (a double submit): same outcome
    accounts.disable_person(user, actor)
    if operator:
        _ensure_operator_left(user)  # again inside the write: see _ensure_operator_left


def revoke_staff_role(grant: RoleGrant, actor: Actor) -> None:
    """Take the operator or customer-service role away; the person's sessions end at once."""
    operator_only(actor)
    user = grant.user
    if grant.role == Role.OPERATOR:
        _ensure_operator_left(user)
        if user.id == actor.user_id:
            raise DomainError(CANNOT_REVOKE_OWN_OPERATOR())
    accounts.revoke_grant(grant, actor)
    if grant.role == Role.OPERATOR:
        _ensure_operator_left(user)


def _is_operator(user_id: int) -> bool:
    return bool(
        db.session.scalar(
            select(exists().where(RoleGrant.user_id == user_id, RoleGrant.role == Role.OPERATOR))
        )
    )


def _ensure_operator_left(user: User) -> None:
    """Refuse when no active operator but `user` would be left.

    Two operators disabling each other at once must not both win. On PostgreSQL the active
    operators' rows are locked first, so such requests take turns and the second one counts
    what the first did. SQLite has no row locks but one writer at a time: the services call this
    again after their write, when the count reads what every earlier writer committed.
    """
    active_operators = (
        select(User.id)
        .join(RoleGrant, RoleGrant.user_id == User.id)
        .where(User.active, RoleGrant.role == Role.OPERATOR)
        .order_by(User.id)  # every request locks them in the same order: no deadlock
        .with_for_update(of=User)
    )
    if not set(db.session.execute(active_operators).scalars()) - {user.id}:
        raise DomainError(LAST_OPERATOR(name=user.name))


# ---- the list --------------------------------------------------------------------------------


def staff_list(role: str = "", status: str = "", query: str = "") -> Select:
    """Staff accounts, newest first, with their grants: of one role, one status, and whose name
    or phone holds `query` (each filter only when given)."""
    roles = (role,) if role in STAFF_ROLES else STAFF_ROLES
    staff = select(RoleGrant.user_id).where(RoleGrant.role.in_(roles))
    stmt = (
        select(User)
        .where(User.id.in_(staff))
        .options(selectinload(User.grants))
        .order_by(User.created_at.desc(), User.id.desc())
    )
    if status == Status.ACTIVE:
        stmt = stmt.where(User.active)
    elif status == Status.DISABLED:
        stmt = stmt.where(~User.active)
    if query:
        pattern = "%" + _escape_like(query) + "%"
        stmt = stmt.where(
            or_(User.name.like(pattern, escape="\\"), User.phone.like(pattern, escape="\\"))
        )
    return stmt


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def managed_person(user_id: int) -> User | None:
    """A person the people pages manage (staff, a region's manager or driver), else None."""
    user = db.session.get(User, user_id)
    if user is None or not any(g.role in MANAGED_ROLES for g in user.grants):
        return None
    return user


def staff_grant(grant_id: int) -> RoleGrant | None:
    grant = db.session.get(RoleGrant, grant_id)
    return grant if grant is not None and grant.role in STAFF_ROLES else None
