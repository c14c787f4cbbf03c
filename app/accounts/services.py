"""What a person keeps about themselves (their address book), how they prove who they are, and
how platform staff take access away."""

from __future__ import annotations

import secrets
from functools import cache

from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from app.accounts.actor import Actor
from app.accounts.addresses import addresses_of  # noqa: F401 (its old home: re-exported)
from app.accounts.models import RoleGrant, User, password_hash_method
from app.errors import Forbidden
from app.extensions import db
from app.i18n_markers import N_
from app.messages import define

STAFF_MANAGES_PEOPLE = define("staff_manages_people", N_("只有平台人员可以停用账号或收回角色"))


@cache
def _stand_in_hash(method: str) -> str:
    """A hash of a password nobody knows, made like real ones, to check unknown phones against."""
    return generate_password_hash(secrets.token_hex(16), method=method)


def authenticate(phone: str, password: str) -> User | None:
    """The active person with this phone and password, else None.

    An unknown phone costs the same password check as a known one, so neither the answer nor
    its time tells anyone which phone numbers have an account.
    """
    user = db.session.execute(select(User).where(User.phone == phone)).scalar_one_or_none()
    if user is None:
        check_password_hash(_stand_in_hash(password_hash_method()), password)
        return None
    if not user.check_password(password) or not user.active:
        return None
    return user


def end_sessions(user: User) -> None:
    """Every session of this person ends now, on every device (their next request logs in)."""
    user.session_version = User.session_version + 1  # in SQL: two at once both count
    db.session.flush()


def disable_person(user: User, actor: Actor) -> None:
    """The person can no longer log in, and their open sessions end at once."""
    _staff_only(actor)
    user.active = False
    end_sessions(user)


def revoke_grant(grant: RoleGrant, actor: Actor) -> None:
    """Take one role away; the person's sessions end at once (they log in with what is left)."""
    _staff_only(actor)
    user = grant.user
    user.grants.remove(grant)  # delete-orphan: the row goes
    end_sessions(user)


def _staff_only(actor: Actor) -> None:
    if not actor.is_staff:
        raise Forbidden(STAFF_MANAGES_PEOPLE())
