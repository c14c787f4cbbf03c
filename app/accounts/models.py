"""People and what they may do. A person holds one or more role grants, each with its scope."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from flask import current_app
from flask_login import UserMixin
from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from app.clock import utcnow
from app.extensions import db
from app.i18n_markers import N_

if TYPE_CHECKING:
    from app.stores.models import Store
    from app.wholesale.models import Region


class Role(StrEnum):
    OPERATOR = "operator"  # 平台运营: everything
    SERVICE = "service"  # 客服: every order, status changes with a remark
    STORE_STAFF = "store_staff"  # 商家: one store
    SALES_MANAGER = "sales_manager"  # 业务经理: one region's wholesale orders
    DRIVER = "driver"  # 司机: deliveries assigned to them in one region
    RIDER = "rider"  # 骑手: the pool and the tasks they took
    DISPATCHER = "dispatcher"  # 配送调度: the 配送助手 back office (riders, board, settings)
    BUYER = "buyer"  # 会员: their own orders


SYSTEM_ROLE = "system"  # jobs, timers and reactions act as the system

ROLE_LABELS = {
    Role.OPERATOR: N_("平台运营"),
    Role.SERVICE: N_("客服"),
    Role.STORE_STAFF: N_("商家"),
    Role.SALES_MANAGER: N_("业务经理"),
    Role.DRIVER: N_("司机"),
    Role.RIDER: N_("骑手"),
    Role.DISPATCHER: N_("配送调度"),
    Role.BUYER: N_("会员"),
    SYSTEM_ROLE: N_("系统"),
}


def password_hash_method() -> str:
    # scrypt in the app; the test suite sets a cheap method (PASSWORD_HASH_METHOD) for speed
    return current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(50))
    # None for a person who signed up with an SMS code and never set a password
    password_hash: Mapped[str | None] = mapped_column(String(255))
    plate_no: Mapped[str | None] = mapped_column(String(20))  # drivers' vehicle plate
    # A sales manager's sign-up link (their QR code) carries this; customers who sign up through
    # it are tagged to the manager and the manager's region.
    referral_code: Mapped[str | None] = mapped_column(String(16), unique=True)
    active: Mapped[bool] = mapped_column(default=True)
    # Moves on when the person logs out, is disabled or loses a role: every session made
    # before then stops loading them (see get_id and app.web.person).
    session_version: Mapped[int] = mapped_column(default=0, server_default="0")
    # points balance; every change is a promotions.PointEntry
    points: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    grants: Mapped[list[RoleGrant]] = relationship(
        back_populates="user", cascade="all, delete-orphan", order_by="RoleGrant.id"
    )

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password, method=password_hash_method())

    def check_password(self, password: str) -> bool:
        return self.password_hash is not None and check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    def get_id(self) -> str:
        """What the session remembers of the person: their id and session version."""
        return f"{self.id}:{self.session_version}"

    def __repr__(self) -> str:
        return f"<User {self.phone}>"


class RoleGrant(db.Model):
    """One role a person holds, bound to a store or a region where the role needs one."""

    __tablename__ = "role_grants"
    __table_args__ = (UniqueConstraint("user_id", "role", "store_id", "region_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id"))
    region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"))

    user: Mapped[User] = relationship(back_populates="grants")
    # Read-only: the user loader loads them with the grants, so a portal's store or region (the
    # layout's name, the role switcher, `store_of`) is in the session without a query of its own.
    store: Mapped[Store | None] = relationship(viewonly=True)
    region: Mapped[Region | None] = relationship(viewonly=True)


class MemberStatus(StrEnum):
    INCOMPLETE = "incomplete"  # 待完善资料: signed up, profile not submitted
    PENDING = "pending"  # 待审核
    APPROVED = "approved"  # 已通过
    REJECTED = "rejected"  # 已拒绝


MEMBER_STATUS_LABELS = {
    MemberStatus.INCOMPLETE: N_("待完善资料"),
    MemberStatus.PENDING: N_("待审核"),
    MemberStatus.APPROVED: N_("已通过"),
    MemberStatus.REJECTED: N_("已拒绝"),
}


class MemberLevel(db.Model):
    """A wholesale price level (普通会员, 银牌, 金牌); approval gives a member one."""

    __tablename__ = "member_levels"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(20), unique=True)
    rank: Mapped[int] = mapped_column(default=0)  # the order levels are listed in


class Member(db.Model):
    """A buyer's wholesale membership: region, manager, the profile they submit and the approval
    by customer service (the level it gives, or the reason it was refused)."""

    __tablename__ = "members"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"))
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    shop_name: Mapped[str] = mapped_column(String(100), default="")
    wechat: Mapped[str] = mapped_column(String(50), default="")
    status: Mapped[str] = mapped_column(String(20), default=MemberStatus.INCOMPLETE)
    approved_at: Mapped[datetime | None]
    level_id: Mapped[int | None] = mapped_column(ForeignKey("member_levels.id"))
    # the profile (完善资料): photos are storage keys, re-encoded JPEGs
    contact_name: Mapped[str] = mapped_column(String(50), default="")
    contact_phone: Mapped[str] = mapped_column(String(20), default="")
    address: Mapped[str] = mapped_column(String(255), default="")
    shop_photo_key: Mapped[str | None] = mapped_column(String(255))
    licence_photo_key: Mapped[str | None] = mapped_column(String(255))
    submitted_at: Mapped[datetime | None]
    reviewed_at: Mapped[datetime | None]
    reviewed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reject_reason: Mapped[str] = mapped_column(String(200), default="")

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    level: Mapped[MemberLevel | None] = relationship()

    @property
    def approved(self) -> bool:
        return self.status == MemberStatus.APPROVED


class Address(db.Model):
    __tablename__ = "addresses"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    contact_name: Mapped[str] = mapped_column(String(50))
    contact_phone: Mapped[str] = mapped_column(String(20))
    province: Mapped[str] = mapped_column(String(20), default="")
    city: Mapped[str] = mapped_column(String(20), default="")
    district: Mapped[str] = mapped_column(String(20), default="")
    detail: Mapped[str] = mapped_column(String(200), default="")
    # the whole address as one line (province city district detail): what an order copies
    text: Mapped[str] = mapped_column(String(255))
    # WGS-84 degrees from the geocoding adapter or the phone; None when neither gave them
    lat: Mapped[float | None]
    lng: Mapped[float | None]
    is_default: Mapped[bool] = mapped_column(default=False)

    @property
    def position(self) -> tuple[float, float] | None:
        return (self.lat, self.lng) if self.lat is not None and self.lng is not None else None


class CodePurpose(StrEnum):
    LOGIN = "login"  # 验证码登录 (signs up a phone that has no account yet)
    RESET = "reset"  # 忘记密码


class SmsCode(db.Model):
    """A verification code sent by SMS: 6 digits, kept only as a keyed hash, valid 5 minutes,
    spent by one right answer or by too many wrong ones."""

    __tablename__ = "sms_codes"
    __table_args__ = (
        Index("ix_sms_codes_phone_purpose_created", "phone", "purpose", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(20))
    purpose: Mapped[str] = mapped_column(String(10))
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    wrong_tries: Mapped[int] = mapped_column(default=0)
    used_at: Mapped[datetime | None]
