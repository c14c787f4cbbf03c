"""Riders' accounts in the 配送助手: dispatchers add riders, or approve riders who registered
themselves (phone and SMS code, name, vehicle); reject with a note, disable and enable; the cap
on tasks at once.

A rider holds the `rider` role only while approved: a registration waiting for review, a
rejected one or a disabled rider has no way into /rider (the portal guard finds no role), and
the login page tells them plainly why (`rider_login_refusal`). Disabling also ends every session
of the rider on their next request (`end_sessions`). Reviews are compare-and-set updates of the
profile's status, so two dispatchers (or a double click) settle on one outcome.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, exists, false, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from app.accounts.actor import Actor
from app.accounts.codes import check_code, check_phone, send_code
from app.accounts.models import CodePurpose, Role, RoleGrant, User
from app.accounts.people import clean_name, clean_password, clean_phone, is_clean_text
from app.accounts.services import end_sessions
from app.clock import utcnow
from app.delivery.connection import connected_clause, require_connected
from app.delivery.models import ACTIVE, DeliveryTask, RiderProfile, RiderStatus
from app.errors import DomainError, Forbidden, IllegalTransition, InvalidInput
from app.extensions import db
from app.i18n_markers import N_
from app.messages import Message, define

MAX_CAP = 20  # tasks on a rider's hands at once
DEFAULT_CAP = 3
MAX_NOTE = 200  # RiderProfile.review_note

VEHICLE_LABELS = {
    "ebike": N_("电动车"),
    "motorcycle": N_("摩托车"),
    "bicycle": N_("自行车"),
    "car": N_("汽车"),
}
RIDER_STATUS_LABELS = {
    RiderStatus.PENDING: N_("待审核"),
    RiderStatus.APPROVED: N_("已通过"),
    RiderStatus.REJECTED: N_("已拒绝"),
    RiderStatus.DISABLED: N_("已停用"),
}
ROW_ACTIONS = {
    RiderStatus.PENDING: ("approve", "reject"),
    RiderStatus.APPROVED: ("cap", "disable"),
    RiderStatus.REJECTED: ("approve",),
    RiderStatus.DISABLED: ("enable",),
}
# Roles a person may hold besides `rider` and still register as one (a buyer of the mall).
KEEPS_ROLES = frozenset({Role.BUYER, Role.RIDER})

DISPATCHERS_MANAGE_RIDERS = define("dispatchers_manage_riders", N_("只有配送调度可以管理骑手"))
CHOOSE_VEHICLE = define("rider_choose_vehicle", N_("请选择交通工具"))
CAP_RANGE = define("rider_cap_range", N_("同时配送单数须在 1 到 %(max)s 之间"))
NOTE_REQUIRED = define("rider_note_required", N_("请填写拒绝原因"))
NOTE_TOO_LONG = define("rider_note_too_long", N_("拒绝原因不能超过 %(max)s 字，且不能含控制字符"))
ALREADY_RIDER = define("already_rider", N_("%(name)s（%(phone)s）已经是骑手"))
RIDER_WAITING = define("rider_waiting_review", N_("该手机号已提交骑手注册，请等待配送站审核"))
WAITING_IN_REVIEW = define(
    "rider_add_waiting", N_("%(name)s（%(phone)s）已提交骑手注册，请在「待审核」中通过")
)
RIDER_DISABLED_PHONE = define("rider_phone_disabled", N_("该手机号的骑手账号已停用，请联系配送站"))
WORKS_ELSEWHERE = define(
    "rider_works_elsewhere", N_("该手机号已用于平台的其他工作账号，不能注册为骑手，请联系配送站")
)
REVIEWED_MEANWHILE = define(
    "rider_reviewed_meanwhile", N_("该骑手的状态已被他人更新，请刷新后再试")
)
CANNOT_REVIEW = define(
    "rider_cannot_review",
    N_("骑手 %(name)s 当前为「%(status)s」，不能%(verb)s"),
    labels=("status", "verb"),
)
HOLDS_TASKS = define(
    "rider_holds_tasks", N_("骑手 %(name)s 还有 %(count)s 单在配送，请先改派或等待送达后再停用")
)
# What the login page says to a rider who has no way in yet (or any more).
LOGIN_PENDING = define("rider_login_pending", N_("您的骑手注册正在审核中，审核通过后即可登录"))
LOGIN_REJECTED = define("rider_login_rejected", N_("您的骑手注册未通过审核：%(note)s"))
LOGIN_DISABLED = define("rider_login_disabled", N_("您的骑手账号已停用，请联系配送站"))

VERB_APPROVE = N_("通过")
VERB_REJECT = N_("拒绝")
VERB_DISABLE = N_("停用")
VERB_ENABLE = N_("启用")


@dataclass(frozen=True)
class RiderFields:
    phone: str
    name: str
    vehicle: str
    cap: int = DEFAULT_CAP


@dataclass(frozen=True)
class RiderRow:
    """One rider as the dispatcher's lists show them, with the tasks on their hands."""

    user_id: int
    name: str
    phone: str
    vehicle: str
    status: str
    on_duty: bool
    load: int
    cap: int
    created_at: datetime
    review_note: str

    @property
    def full(self) -> bool:
        return self.load >= self.cap

    @property
    def free(self) -> int:
        return max(0, self.cap - self.load)

    @property
    def actions(self) -> tuple[str, ...]:
        """What a dispatcher may do to this rider now (the buttons of the row)."""
        return ROW_ACTIONS.get(self.status, ())

    @property
    def working(self) -> bool:
        return self.status == RiderStatus.APPROVED


# ---- who may ---------------------------------------------------------------------------------


def _dispatcher_only(actor: Actor) -> None:
    if actor.role != Role.DISPATCHER:
        raise Forbidden(DISPATCHERS_MANAGE_RIDERS())
    require_connected(actor)


def clean_vehicle(vehicle: str) -> str:
    if vehicle not in VEHICLE_LABELS:
        raise InvalidInput(CHOOSE_VEHICLE())
    return vehicle


def clean_cap(cap: int | None) -> int:
    if cap is None or not 1 <= cap <= MAX_CAP:
        raise InvalidInput(CAP_RANGE(max=MAX_CAP))
    return cap


# ---- what a dispatcher sees -------------------------------------------------------------------


def _load():
    """The number of tasks on each rider's hands, as a correlated scalar."""
    return (
        select(func.count(DeliveryTask.id))
        .where(DeliveryTask.rider_id == RiderProfile.user_id, DeliveryTask.status.in_(ACTIVE))
        .correlate(RiderProfile)
        .scalar_subquery()
    )


def riders_visible_to_dispatcher(actor: Actor) -> Select:
    """Every rider profile, while the assistant is connected (nothing otherwise)."""
    if actor.role != Role.DISPATCHER:
        return select(RiderProfile).where(false())
    return select(RiderProfile).where(connected_clause())


def rider_for(actor: Actor, user_id: int) -> RiderProfile | None:
    """One rider in scope; None is the portal's 404."""
    return db.session.execute(
        riders_visible_to_dispatcher(actor).where(RiderProfile.user_id == user_id)
    ).scalar_one_or_none()


def rider_rows(actor: Actor, status: str | None = None, q: str = "") -> Select:
    """The riders page: newest registrations first, filtered by status and name or phone."""
    query = (
        riders_visible_to_dispatcher(actor)
        .join(User, User.id == RiderProfile.user_id)
        .with_only_columns(
            RiderProfile.user_id,
            User.name,
            User.phone,
            RiderProfile.vehicle,
            RiderProfile.status,
            RiderProfile.on_duty,
            _load().label("load"),
            RiderProfile.max_active.label("cap"),
            RiderProfile.created_at,
            RiderProfile.review_note,
        )
        .order_by(RiderProfile.created_at.desc(), RiderProfile.user_id.desc())
    )
    if status in RIDER_STATUS_LABELS:
        query = query.where(RiderProfile.status == status)
    if q:
        like = f"%{q}%"
        query = query.where(or_(User.name.like(like), User.phone.like(like)))
    return query


def as_rider_rows(rows) -> list[RiderRow]:
    return [RiderRow(**row._mapping) for row in rows]


def rider_status_counts(actor: Actor) -> dict[str, int]:
    query = (
        riders_visible_to_dispatcher(actor)
        .with_only_columns(RiderProfile.status, func.count())
        .group_by(RiderProfile.status)
    )
    counts = dict.fromkeys(RIDER_STATUS_LABELS, 0)
    for status, count in db.session.execute(query):
        counts[status] = count
    return counts


def working_riders(actor: Actor) -> list[RiderRow]:
    """Approved riders for the board and the picker: on duty first, the least loaded first."""
    query = (
        rider_rows(actor, RiderStatus.APPROVED)
        .where(User.active.is_(True))
        .order_by(None)
        .order_by(RiderProfile.on_duty.desc(), _load(), User.name, RiderProfile.user_id)
    )
    return as_rider_rows(db.session.execute(query))


def riders_on_duty(actor: Actor) -> int:
    query = (
        riders_visible_to_dispatcher(actor)
        .join(User, User.id == RiderProfile.user_id)
        .with_only_columns(func.count())
        .where(
            RiderProfile.status == RiderStatus.APPROVED,
            RiderProfile.on_duty.is_(True),
            User.active.is_(True),
        )
    )
    return db.session.scalar(query) or 0


def rider_name_choices(actor: Actor) -> list[tuple[int, str]]:
    """(id, name) of every rider who ever was approved, for the board's filter."""
    query = (
        riders_visible_to_dispatcher(actor)
        .join(User, User.id == RiderProfile.user_id)
        .with_only_columns(RiderProfile.user_id, User.name)
        .where(RiderProfile.status.in_((RiderStatus.APPROVED, RiderStatus.DISABLED)))
        .order_by(User.name)
    )
    return [(user_id, name) for user_id, name in db.session.execute(query)]


# ---- the role that opens /rider ----------------------------------------------------------------


def _has_rider_role(user_id: int) -> bool:
    return bool(
        db.session.scalar(
            select(exists().where(RoleGrant.user_id == user_id, RoleGrant.role == Role.RIDER))
        )
    )


def _give_rider_role(user: User) -> None:
    if not _has_rider_role(user.id):
        db.session.add(RoleGrant(user_id=user.id, role=Role.RIDER))
        db.session.flush()
        db.session.refresh(user)


def _take_rider_role(user: User) -> None:
    for grant in [g for g in user.grants if g.role == Role.RIDER]:
        user.grants.remove(grant)  # delete-orphan: the row goes
    db.session.flush()


# ---- adding and registering --------------------------------------------------------------------


def _registrable(user: User | None) -> None:
    """May this phone (its account, if any) register as a rider? Raises the reason if not."""
    if user is None:
        return
    profile = db.session.get(RiderProfile, user.id)
    if profile is not None and profile.status == RiderStatus.PENDING:
        raise DomainError(RIDER_WAITING())
    if profile is not None and profile.status == RiderStatus.DISABLED:
        raise DomainError(RIDER_DISABLED_PHONE())
    if _has_rider_role(user.id) or (profile and profile.status == RiderStatus.APPROVED):
        raise DomainError(ALREADY_RIDER(name=user.name, phone=user.phone))
    if any(grant.role not in KEEPS_ROLES for grant in user.grants):
        raise DomainError(WORKS_ELSEWHERE())


def _user_with_phone(phone: str) -> User | None:
    return db.session.execute(select(User).where(User.phone == phone)).scalar_one_or_none()


def _new_user(phone: str, name: str, password: str = "") -> User:
    user = User(phone=phone, name=name)
    if password:
        user.set_password(password)
    try:
        with db.session.begin_nested():  # two registrations of one phone at once: one account
            db.session.add(user)
            db.session.flush()
    except IntegrityError:
        raise DomainError(RIDER_WAITING()) from None
    return user


def _profile(user: User, status: str, vehicle: str, cap: int = DEFAULT_CAP) -> RiderProfile:
    """A new profile, or a rejected one sent again (its note stays until the next review)."""
    profile = db.session.get(RiderProfile, user.id)
    if profile is None:
        profile = RiderProfile(user_id=user.id, status=status, on_duty=False)
        db.session.add(profile)
    profile.status = status
    profile.vehicle = vehicle
    profile.max_active = cap
    profile.created_at = utcnow()
    db.session.flush()
    return profile


def add_rider(fields: RiderFields, actor: Actor) -> RiderProfile:
    """A dispatcher adds a rider, approved at once; they log in with an SMS code (or their own
    password if the phone already has an account, whose name stays as it is)."""
    _dispatcher_only(actor)
    phone = clean_phone(fields.phone)
    name = clean_name(fields.name)
    vehicle, cap = clean_vehicle(fields.vehicle), clean_cap(fields.cap)
    user = _user_with_phone(phone)
    waiting = db.session.get(RiderProfile, user.id) if user else None
    if waiting is not None and waiting.status == RiderStatus.PENDING:
        raise DomainError(WAITING_IN_REVIEW(name=user.name, phone=user.phone))
    _registrable(user)
    user = user or _new_user(phone, name)
    profile = _profile(user, RiderStatus.APPROVED, vehicle, cap)
    profile.reviewed_at, profile.reviewed_by_id, profile.review_note = utcnow(), actor.user_id, ""
    _give_rider_role(user)
    return profile


def send_registration_code(phone: str) -> None:
    """获取验证码 on the rider sign-up page: refused before anything is sent if the phone
    cannot register (already a rider, waiting, working elsewhere)."""
    check_phone(phone)
    _registrable(_user_with_phone(phone))
    send_code(phone, CodePurpose.LOGIN)


def register_rider(
    phone: str, code: str, name: str, vehicle: str, password: str = ""
) -> RiderProfile:
    """A visitor registers as a rider: the code proves the phone; the registration waits for a
    dispatcher. A buyer of the mall registers with the same account (their name is updated;
    their password stays, or is set if they had none)."""
    name, vehicle = clean_name(name), clean_vehicle(vehicle)
    password = clean_password(password)
    user = _user_with_phone(check_phone(phone))
    _registrable(user)
    check_code(phone, CodePurpose.LOGIN, code)
    if user is None:
        user = _new_user(phone, name, password)
    else:
        user.name = name
        if password and user.password_hash is None:
            user.set_password(password)
    return _profile(user, RiderStatus.PENDING, vehicle)


# ---- reviewing ---------------------------------------------------------------------------------


def _review(
    profile: RiderProfile, frm: tuple[str, ...], to: str, verb: str, actor: Actor, **values
):
    """Move the profile's status with a compare-and-set; the same outcome twice is no error.
    Returns whether this call made the move."""
    _dispatcher_only(actor)
    if profile.status == to:
        return False
    if profile.status not in frm:
        raise IllegalTransition(
            CANNOT_REVIEW(
                name=profile.user.name, status=RIDER_STATUS_LABELS[profile.status], verb=verb
            )
        )
    result = db.session.execute(
        update(RiderProfile)
        .where(RiderProfile.user_id == profile.user_id, RiderProfile.status == profile.status)
        .values(status=to, reviewed_at=utcnow(), reviewed_by_id=actor.user_id, **values)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(profile)
    if result.rowcount != 1:
        if profile.status == to:
            return False  # a twin won: same outcome
        raise IllegalTransition(REVIEWED_MEANWHILE())
    return True


def approve_rider(profile: RiderProfile, actor: Actor) -> bool:
    """Pending (or rejected) → approved: the rider role opens /rider at their next login."""
    moved = _review(
        profile,
        (RiderStatus.PENDING, RiderStatus.REJECTED),
        RiderStatus.APPROVED,
        VERB_APPROVE,
        actor,
        review_note="",
    )
    _give_rider_role(profile.user)
    return moved


def reject_rider(profile: RiderProfile, note: str, actor: Actor) -> bool:
    note = (note or "").strip()
    if not note:
        raise InvalidInput(NOTE_REQUIRED())
    if len(note) > MAX_NOTE or not is_clean_text(note):
        raise InvalidInput(NOTE_TOO_LONG(max=MAX_NOTE))
    return _review(
        profile, (RiderStatus.PENDING,), RiderStatus.REJECTED, VERB_REJECT, actor, review_note=note
    )


def disable_rider(profile: RiderProfile, actor: Actor) -> bool:
    """Approved → disabled: the role goes and every session of the rider ends on their next
    request. Refused while tasks are on their hands (reassign or wait for them first)."""
    _dispatcher_only(actor)
    if profile.status == RiderStatus.APPROVED:
        load = db.session.scalar(
            select(func.count(DeliveryTask.id)).where(
                DeliveryTask.rider_id == profile.user_id, DeliveryTask.status.in_(ACTIVE)
            )
        )
        if load:
            raise IllegalTransition(HOLDS_TASKS(name=profile.user.name, count=load))
    moved = _review(
        profile, (RiderStatus.APPROVED,), RiderStatus.DISABLED, VERB_DISABLE, actor, on_duty=False
    )
    if moved:
        _take_rider_role(profile.user)
        end_sessions(profile.user)
    return moved


def enable_rider(profile: RiderProfile, actor: Actor) -> bool:
    """Disabled → approved (off duty): they log in again."""
    moved = _review(profile, (RiderStatus.DISABLED,), RiderStatus.APPROVED, VERB_ENABLE, actor)
    _give_rider_role(profile.user)
    return moved


def set_cap(profile: RiderProfile, cap: int | None, actor: Actor) -> None:
    """How many tasks the rider may carry at once (lowering it below the load takes nothing
    away: they just get no more until under it)."""
    _dispatcher_only(actor)
    profile.max_active = clean_cap(cap)
    db.session.flush()


# ---- logging in --------------------------------------------------------------------------------


def rider_login_refusal(user: User) -> Message | None:
    """Why this person cannot log in: a rider registration waiting or rejected, or a disabled
    rider, with no other role to enter with. None lets them in."""
    if user.grants:
        return None
    profile = db.session.get(RiderProfile, user.id)
    if profile is None:
        return None
    match profile.status:
        case RiderStatus.PENDING:
            return LOGIN_PENDING()
        case RiderStatus.REJECTED:
            return LOGIN_REJECTED(note=profile.review_note)
        case RiderStatus.DISABLED:
            return LOGIN_DISABLED()
    return None


def refuse_unapproved_rider(user: User) -> None:
    """`rider_login_refusal` as a refusal, for the code pages' error handling."""
    refusal = rider_login_refusal(user)
    if refusal is not None:
        raise Forbidden(refusal)


def pending_count(actor: Actor) -> int:
    query = riders_visible_to_dispatcher(actor).with_only_columns(func.count())
    return db.session.scalar(query.where(RiderProfile.status == RiderStatus.PENDING)) or 0
