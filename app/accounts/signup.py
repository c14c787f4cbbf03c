"""Coming in by phone: log in (or sign up) with an SMS code, reset a forgotten password, and the
sales manager's sign-up link (their QR code) that tags the customers who come through it.

A phone without an account that logs in with a code gets one then: a buyer named "用户" and the
last four digits, no password. Through a manager's link the customer also gets a wholesale
membership in the manager's region, tagged to the manager, waiting for their profile.
"""

from __future__ import annotations

import secrets

from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError

from app.accounts.actor import Actor
from app.accounts.codes import CODE_NOT_SENT, WrongCode, check_code, check_phone, send_code
from app.accounts.models import CodePurpose, Member, MemberStatus, Role, RoleGrant, User
from app.accounts.services import end_sessions
from app.errors import DomainError, Forbidden
from app.extensions import db
from app.i18n_markers import N_
from app.messages import define

PHONE_REGISTERED = define("phone_registered", N_("该手机号已注册，请直接登录"))
ACCOUNT_DISABLED = define("account_disabled", N_("该账号已停用，请联系客服"))
MANAGERS_ONLY = define("referral_managers_only", N_("只有业务经理有推广二维码"))

REFERRAL_BYTES = 7  # 10 url-safe characters


def user_by_phone(phone: str) -> User | None:
    return db.session.execute(select(User).where(User.phone == phone)).scalar_one_or_none()


def _is_registered(phone: str) -> bool:
    return bool(db.session.scalar(select(exists().where(User.phone == phone))))


# ---- the sales manager's sign-up link -----------------------------------------------------------


def _manager_grant(user: User) -> RoleGrant | None:
    return next((g for g in user.grants if g.role == Role.SALES_MANAGER), None)


def manager_for_referral(code: str | None) -> User | None:
    """The active sales manager whose link carries `code`; None for anything else (ignored)."""
    if not code or len(code) > 16:
        return None
    user = db.session.execute(
        select(User).where(User.referral_code == code, User.active.is_(True))
    ).scalar_one_or_none()
    if user is None or _manager_grant(user) is None:
        return None
    return user


def referral_code_of(actor: Actor) -> str | None:
    """The manager's code if they made one (reading never makes one: a GET writes nothing)."""
    manager = _manager(actor)
    return manager.referral_code


def make_referral_code(actor: Actor) -> str:
    """The manager's code, made the first time they ask for their QR code; the same after."""
    manager = _manager(actor)
    if manager.referral_code is None:
        while True:
            code = secrets.token_urlsafe(REFERRAL_BYTES)
            if not db.session.scalar(select(exists().where(User.referral_code == code))):
                break
        manager.referral_code = code
        db.session.flush()
    return manager.referral_code


def _manager(actor: Actor) -> User:
    if actor.role != Role.SALES_MANAGER or actor.user_id is None:
        raise Forbidden(MANAGERS_ONLY())
    return db.session.get(User, actor.user_id)


# ---- codes --------------------------------------------------------------------------------------


def send_login_code(phone: str) -> None:
    """A code to log in with; a phone without an account signs up with it."""
    send_code(phone, CodePurpose.LOGIN)


def send_signup_code(phone: str) -> None:
    """A code to sign up with; a phone that has an account is told to log in (and sent nothing)."""
    check_phone(phone)
    if _is_registered(phone):
        raise DomainError(PHONE_REGISTERED())
    send_code(phone, CodePurpose.LOGIN)


def send_reset_code(phone: str) -> None:
    """A code to set a new password. A phone without an active account is answered the same and
    sent nothing, so the answer never tells which phones have an account."""
    user = user_by_phone(check_phone(phone))
    send_code(phone, CodePurpose.RESET, deliver=user is not None and user.active)


# ---- coming in ----------------------------------------------------------------------------------


def log_in_by_code(phone: str, code: str) -> User:
    """The person with this phone, signed up now if they have no account yet."""
    check_code(phone, CodePurpose.LOGIN, code)
    user = user_by_phone(phone)
    if user is None:
        return _new_customer(phone)
    if not user.active:
        raise DomainError(ACCOUNT_DISABLED())
    return user


def sign_up_by_code(
    phone: str, code: str, referral: str | None = None, password: str | None = None
) -> User:
    """A new buyer account for the phone; through a manager's link, tagged to them."""
    if _is_registered(phone):
        raise DomainError(PHONE_REGISTERED())
    check_code(phone, CodePurpose.LOGIN, code)
    return _new_customer(phone, manager_for_referral(referral), password or None)


def reset_password_by_code(phone: str, code: str, password: str) -> User:
    """Set a new password; every other session of the person ends."""
    check_code(phone, CodePurpose.RESET, code)
    user = user_by_phone(phone)
    if user is None:  # its code was never sent: only a lucky guess gets here
        raise WrongCode(CODE_NOT_SENT())
    if not user.active:
        raise DomainError(ACCOUNT_DISABLED())
    user.set_password(password)
    end_sessions(user)
    return user


def _new_customer(phone: str, manager: User | None = None, password: str | None = None) -> User:
    user = User(phone=phone, name=f"用户{phone[-4:]}")
    if password:
        user.set_password(password)
    try:
        with db.session.begin_nested():  # two sign-ups of one phone at once: one account
            db.session.add(user)
            db.session.flush()
    except IntegrityError:
        raise DomainError(PHONE_REGISTERED()) from None
    db.session.add(RoleGrant(user_id=user.id, role=Role.BUYER))
    if manager is not None:
        region = _manager_grant(manager).region_id
        db.session.add(
            Member(
                user_id=user.id,
                region_id=region,
                manager_id=manager.id,
                status=MemberStatus.INCOMPLETE,
            )
        )
    db.session.flush()
    db.session.refresh(user)  # its grants, for the landing page
    return user
