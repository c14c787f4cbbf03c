"""A store's profile (店铺设置), its business status and star rating, deletion, and its timeline.

The store edits its own profile; only the platform sets the business status (operator and
customer service) and the star rating (operator), and only the operator deletes a store. Every
change is one `StoreEvent` row: who, when, from, to and why.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, BinaryIO

from flask import current_app, url_for
from sqlalchemy import delete, func, select, update

from app.accounts.actor import Actor
from app.accounts.models import Role, RoleGrant, User
from app.accounts.phones import CONTACT_FIELD
from app.accounts.services import end_sessions
from app.clock import utcnow
from app.errors import DomainError, Forbidden, IllegalTransition, InvalidInput
from app.extensions import db
from app.i18n_markers import N_
from app.images import clean_photo, keep_photo, thumb_key
from app.messages import Message, define
from app.money import parse_yuan
from app.ordering.models import Order
from app.ordering.states import ORDER_MACHINE
from app.stores.models import BUSINESS_STATUS_LABELS, BusinessStatus, Store, StoreEvent

MAX_IMAGES = 6
MAX_ANNOUNCEMENT = 100
MAX_REASON = 200
MAX_AVG_SPEND_FEN = 10_000_000  # ￥100,000.00 a head is a typo, not a restaurant
ALL_DAY = ("00:00", "24:00")
# Mainland China, Hainan and the South China Sea islands included (WGS-84 degrees).
CHINA_LAT = (3.8, 53.6)
CHINA_LNG = (73.5, 135.1)

_TIME = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$")
# 手机 13800000000; 座机 0898-66123456 (extension optional); 400/800 numbers
_PHONE = re.compile(CONTACT_FIELD)
# 微信号: 6-20 letters, digits, - and _, starting with a letter; or the mobile it is bound to
_WECHAT = re.compile(r"^([A-Za-z][-_A-Za-z0-9]{5,19}|1[3-9][0-9]{9})$")

# Who may do what (SPEC §2: only the platform sets status and rating).
STATUS_SETTERS = (Role.OPERATOR, Role.SERVICE)
RATING_SETTERS = (Role.OPERATOR,)
DELETERS = (Role.OPERATOR,)

OWN_STORE_ONLY = define("own_store_only", N_("只能修改自己店铺的资料"))
PLATFORM_SETS_STATUS = define("platform_sets_status", N_("营业状态只能由平台设置"))
OPERATOR_SETS_RATING = define("operator_sets_rating", N_("店铺星级只能由平台运营设置"))
OPERATOR_DELETES = define("operator_deletes", N_("只有平台运营可以删除店铺"))
STORE_DELETED = define("store_deleted", N_("该店铺已删除"))
STATUS_CHANGED = define("store_status_changed", N_("状态已被他人更新，请刷新后再试"))
RATING_CHANGED = define("store_rating_changed", N_("星级已被他人更新，请刷新后再试"))
CHOOSE_STATUS = define("choose_store_status", N_("请选择营业状态"))
SAME_STATUS = define("same_store_status", N_("店铺已是「%(status)s」"), ("status",))
SAME_RATING = define("same_store_rating", N_("店铺已是 %(stars)s 星"))
CHOOSE_STARS = define("choose_stars", N_("请选择 1 到 5 星"))
REASON_REQUIRED = define("store_reason_required", N_("请填写原因"))
REASON_TOO_LONG = define("store_reason_too_long", N_("原因不能超过 200 字"))
UNFINISHED_ORDERS = define(
    "store_unfinished_orders", N_("该店铺还有 %(n)s 个未完成的订单，不能删除")
)
NAME_REQUIRED = define("store_name_required", N_("请填写店铺名称"))
TOO_LONG = define("store_field_too_long", N_("%(field)s不能超过 %(max)s 个字"), ("field",))
ANNOUNCEMENT_TOO_LONG = define("announcement_too_long", N_("公告最多 100 个字"))
BAD_HOURS = define("bad_store_hours", N_("营业时间请填写 HH:MM，如 09:00"))
CLOSES_BEFORE_OPENS = define("closes_before_opens", N_("打烊时间须晚于开门时间"))
BAD_AVG_SPEND = define("bad_avg_spend", N_("人均消费请填写金额（元），最多两位小数"))
BAD_PHONE = define("bad_service_phone", N_("请填写正确的手机号或座机号，如 0898-66123456"))
BAD_WECHAT = define("bad_service_wechat", N_("请填写正确的微信号（6-20 位字母、数字、-或_）"))
BAD_COORDINATES = define("bad_coordinates", N_("坐标不在中国境内，请重新定位地址"))
TOO_MANY_IMAGES = define("too_many_store_images", N_("店铺图片最多 %(max)s 张"))

# The profile fields as the timeline names them (a 'profile' event lists the keys it changed).
PROFILE_FIELDS = {
    "name": N_("店铺名称"),
    "category": N_("经营类目"),
    "intro": N_("店铺简介"),
    "hours": N_("营业时间"),
    "avg_spend": N_("人均消费"),
    "address": N_("店铺地址"),
    "coordinates": N_("坐标"),
    "service_phone": N_("客服电话"),
    "service_wechat": N_("客服微信"),
    "announcement": N_("店铺公告"),
    "return_address": N_("退货地址"),
    "after_sales": N_("售后服务"),
    "logo": N_("店铺 Logo"),
    "images": N_("店铺图片"),
}
# What each kind of timeline line is called.
EVENT_TITLES = {
    "opened": N_("开店"),
    "status": N_("营业状态"),
    "rating": N_("星级"),
    "profile": N_("修改店铺资料"),
    "deleted": N_("删除店铺"),
}
DELETED_LABEL = N_("已删除")
PROFILE_EVENT = "profile"


class ProfileFieldError(InvalidInput):
    """A profile field that cannot be saved; `field` names the form field to show it at."""

    def __init__(self, field: str, message: Message):
        super().__init__(message)
        self.field = field


# ---- the profile ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Upload:
    """One uploaded photo as the form received it."""

    filename: str
    stream: BinaryIO


def _text(fields: Mapping[str, Any], name: str, max_len: int, label: str) -> str:
    value = str(fields.get(name) or "").strip()
    if len(value) > max_len:
        raise ProfileFieldError(name, TOO_LONG(field=label, max=max_len))
    return value


def _hours(fields: Mapping[str, Any]) -> tuple[str, str]:
    if fields.get("all_day"):
        return ALL_DAY
    opens = str(fields.get("opens_at") or "").strip()
    closes = str(fields.get("closes_at") or "").strip()
    for name, value in (("opens_at", opens), ("closes_at", closes)):
        if not _TIME.match(value):
            raise ProfileFieldError(name, BAD_HOURS())
    if (opens, closes) != ALL_DAY and (opens == "24:00" or closes <= opens):
        raise ProfileFieldError("closes_at", CLOSES_BEFORE_OPENS())
    return opens, closes


def _avg_spend_fen(fields: Mapping[str, Any]) -> int:
    text = str(fields.get("avg_spend") or "").strip()
    if not text:
        return 0
    try:
        fen = parse_yuan(text)
    except ValueError:
        raise ProfileFieldError("avg_spend", BAD_AVG_SPEND()) from None
    if not 0 <= fen <= MAX_AVG_SPEND_FEN:
        raise ProfileFieldError("avg_spend", BAD_AVG_SPEND())
    return fen


def _matching(fields: Mapping[str, Any], name: str, pattern: re.Pattern, message) -> str:
    value = str(fields.get(name) or "").strip().replace(" ", "")
    if value and not pattern.match(value):
        raise ProfileFieldError(name, message())
    return value


def _coordinates(fields: Mapping[str, Any]) -> tuple[float | None, float | None]:
    """Both or neither, inside China's ranges (the hidden fields a map or geocoder fills)."""
    lat_text = str(fields.get("lat") or "").strip()
    lng_text = str(fields.get("lng") or "").strip()
    if not lat_text and not lng_text:
        return None, None
    try:
        lat, lng = float(lat_text), float(lng_text)
    except ValueError:
        raise ProfileFieldError("address", BAD_COORDINATES()) from None
    if not (CHINA_LAT[0] <= lat <= CHINA_LAT[1] and CHINA_LNG[0] <= lng <= CHINA_LNG[1]):
        raise ProfileFieldError("address", BAD_COORDINATES())
    return round(lat, 6), round(lng, 6)


def clean_profile(fields: Mapping[str, Any]) -> dict[str, Any]:
    """The profile as Store columns, every rule checked; ProfileFieldError names the field."""
    name = _text(fields, "name", 100, PROFILE_FIELDS["name"])
    if not name:
        raise ProfileFieldError("name", NAME_REQUIRED())
    announcement = str(fields.get("announcement") or "").strip()
    if len(announcement) > MAX_ANNOUNCEMENT:  # refused, never cut: the store meant every word
        raise ProfileFieldError("announcement", ANNOUNCEMENT_TOO_LONG())
    opens_at, closes_at = _hours(fields)
    lat, lng = _coordinates(fields)
    return {
        "name": name,
        "category": _text(fields, "category", 50, PROFILE_FIELDS["category"]),
        "intro": _text(fields, "intro", 255, PROFILE_FIELDS["intro"]),
        "opens_at": opens_at,
        "closes_at": closes_at,
        "avg_spend_fen": _avg_spend_fen(fields),
        "address": _text(fields, "address", 255, PROFILE_FIELDS["address"]),
        "lat": lat,
        "lng": lng,
        "service_phone": _matching(fields, "service_phone", _PHONE, BAD_PHONE),
        "service_wechat": _matching(fields, "service_wechat", _WECHAT, BAD_WECHAT),
        "announcement": announcement,
        "return_address": _text(fields, "return_address", 255, PROFILE_FIELDS["return_address"]),
        "after_sales_enabled": bool(fields.get("after_sales_enabled")),
    }


# Which timeline key each column belongs to.
_COLUMN_FIELDS = {
    "name": "name",
    "category": "category",
    "intro": "intro",
    "opens_at": "hours",
    "closes_at": "hours",
    "avg_spend_fen": "avg_spend",
    "address": "address",
    "lat": "coordinates",
    "lng": "coordinates",
    "service_phone": "service_phone",
    "service_wechat": "service_wechat",
    "announcement": "announcement",
    "return_address": "return_address",
    "after_sales_enabled": "after_sales",
}


def ensure_own_store(store: Store, actor: Actor) -> None:
    if actor.role != Role.STORE_STAFF or actor.store_id != store.id:
        raise Forbidden(OWN_STORE_ONLY())
    if store.deleted_at is not None:
        raise DomainError(STORE_DELETED())


def update_profile(
    store: Store,
    actor: Actor,
    fields: Mapping[str, Any],
    logo: Upload | None = None,
    new_images: Iterable[Upload] = (),
    removed_images: Iterable[str] = (),
) -> list[str]:
    """Save the store's own profile; returns the timeline keys of what changed ([] for nothing).

    All or nothing: every field and every photo is checked before anything is stored. Photos
    are cleaned like slip photos (re-encoded JPEG plus a thumbnail, through the storage adapter,
    removed again if the transaction rolls back). `fields["remove_logo"]` drops the logo.
    """
    ensure_own_store(store, actor)
    values = clean_profile(fields)
    removed = set(removed_images)
    kept = [key for key in (store.images or []) if key not in removed]
    uploads = [upload for upload in new_images if upload.filename]
    if len(kept) + len(uploads) > MAX_IMAGES:
        raise ProfileFieldError("images", TOO_MANY_IMAGES(max=MAX_IMAGES))
    max_bytes = current_app.config["MAX_PHOTO_BYTES"]
    # One photo at a time, each decoded small; nothing is stored unless every one passed.
    logo_image = (
        clean_photo(logo.stream, logo.filename, max_bytes) if logo and logo.filename else None
    )
    cleaned = [clean_photo(u.stream, u.filename, max_bytes) for u in uploads]

    changed = []
    for column, value in values.items():
        if getattr(store, column) != value:
            setattr(store, column, value)
            if _COLUMN_FIELDS[column] not in changed:
                changed.append(_COLUMN_FIELDS[column])
    if logo_image is not None:
        store.logo_key = _keep_image(store, logo_image)
        changed.append("logo")
    elif fields.get("remove_logo") and store.logo_key:
        store.logo_key = None
        changed.append("logo")
    added = [_keep_image(store, image) for image in cleaned]
    if added or len(kept) != len(store.images or []):
        store.images = kept + added  # a new list: the JSON column sees the change
        changed.append("images")
    if changed:
        _record(store, actor, PROFILE_EVENT, reason=",".join(changed))
    db.session.flush()
    return changed


def _keep_image(store: Store, image) -> str:
    """Store a cleaned photo and its thumbnail; the key of the photo."""
    return keep_photo(f"stores/{store.id}", image)


def store_image_key(store: Store, which: str, n: int = 0, thumb: bool = False) -> str | None:
    """The storage key of the store's logo (`which="logo"`) or its n-th image (from 0)."""
    if which == "logo":
        key = store.logo_key
    else:
        images = store.images or []
        key = images[n] if 0 <= n < len(images) else None
    if key is None:
        return None
    return thumb_key(key) if thumb else key


def store_image_url(store: Store, which: str, n: int = 0, thumb: bool = False) -> str | None:
    """Where a page finds the store's logo or its n-th image (from 0); None when it has none.

    The URL names the picture's file (`v`), so a new logo is a new URL and browsers may cache
    each one for a long time."""
    key = store_image_key(store, which, n)
    if key is None:
        return None
    version = key.rsplit("/", 1)[-1].removesuffix(".jpg")[:12]
    size = "thumb" if thumb else None
    if which == "logo":
        return url_for("media.store_logo", store_id=store.id, size=size, v=version)
    return url_for("media.store_image", store_id=store.id, n=n + 1, size=size, v=version)


# ---- platform: status, rating, deletion ----------------------------------------------------


def _record(store: Store, actor: Actor, kind: str, frm: str = "", to: str = "", reason: str = ""):
    db.session.add(
        StoreEvent(
            store_id=store.id,
            actor_id=actor.user_id,
            actor_name=actor.name[:50],
            kind=kind,
            from_value=frm,
            to_value=to,
            reason=reason[:MAX_REASON],
            created_at=utcnow(),
        )
    )


def _reason(reason: str | None, required: bool) -> str:
    reason = (reason or "").strip()
    if required and not reason:
        raise InvalidInput(REASON_REQUIRED())
    if len(reason) > MAX_REASON:
        raise InvalidInput(REASON_TOO_LONG())
    return reason


def _not_deleted(store: Store) -> None:
    if store.deleted_at is not None:
        raise DomainError(STORE_DELETED())


def set_business_status(
    store: Store, status: str, reason: str | None, actor: Actor, shown: str | None = None
) -> bool:
    """Set 营业 / 休息中 / 已打烊 / 已关闭 (platform staff only), from the status the form showed.

    A reason is required for every status but 营业. Returns False when a twin of this very
    request already made the change (same outcome, one timeline line); a form drawn before
    somebody else changed the status is refused."""
    if actor.role not in STATUS_SETTERS:
        raise Forbidden(PLATFORM_SETS_STATUS())
    _not_deleted(store)
    if status not in BUSINESS_STATUS_LABELS:
        raise InvalidInput(CHOOSE_STATUS())
    shown = shown or store.business_status
    if status == shown:
        raise InvalidInput(SAME_STATUS(status=BUSINESS_STATUS_LABELS[BusinessStatus(status)]))
    reason = _reason(reason, required=status != BusinessStatus.OPEN)
    result = db.session.execute(
        update(Store)
        .where(Store.id == store.id, Store.business_status == shown, Store.deleted_at.is_(None))
        .values(business_status=status)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(store)
    if result.rowcount != 1:
        if store.business_status == status:
            return False
        raise IllegalTransition(STATUS_CHANGED())
    _record(store, actor, "status", shown, status, reason)
    db.session.flush()
    return True


def set_rating(
    store: Store, stars: int, reason: str | None, actor: Actor, shown: int | None = None
) -> bool:
    """Set the store's stars, 1-5 (the operator only), from the rating the form showed."""
    if actor.role not in RATING_SETTERS:
        raise Forbidden(OPERATOR_SETS_RATING())
    _not_deleted(store)
    if not isinstance(stars, int) or not 1 <= stars <= 5:
        raise InvalidInput(CHOOSE_STARS())
    shown = shown if shown is not None else store.rating
    if stars == shown:
        raise InvalidInput(SAME_RATING(stars=stars))
    reason = _reason(reason, required=True)
    result = db.session.execute(
        update(Store)
        .where(Store.id == store.id, Store.rating == shown, Store.deleted_at.is_(None))
        .values(rating=stars)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(store)
    if result.rowcount != 1:
        if store.rating == stars:
            return False
        raise IllegalTransition(RATING_CHANGED())
    _record(store, actor, "rating", str(shown), str(stars), reason)
    db.session.flush()
    return True


def unfinished_orders(store: Store) -> int:
    """Orders of the store not yet completed or closed."""
    return db.session.scalar(
        select(func.count(Order.id)).where(
            Order.store_id == store.id, Order.status.not_in(ORDER_MACHINE.terminal)
        )
    )


def unsettled_money(store: Store) -> int:
    """Fen the platform still owes the store or holds for it.

    SEAM: money (SPEC §9, ledger entries and withdrawals) does not exist yet; until it does no
    store has money waiting. When it lands, this asks the finance domain for the store's
    withdrawable + pending payout + not-withdrawable balances, and delete_store refuses while
    it is not zero.
    """
    return 0


UNSETTLED_MONEY = define("store_unsettled_money", N_("该店铺还有未结算的款项，不能删除"))


def delete_store(store: Store, actor: Actor) -> None:
    """Delete a store (the operator only): refused while it has unfinished orders or unsettled
    money. A soft delete: the store is shut and gone from every list, its staff lose their role
    for it and are logged out at once; its orders and timeline stay."""
    if actor.role not in DELETERS:
        raise Forbidden(OPERATOR_DELETES())
    _not_deleted(store)
    left = unfinished_orders(store)
    if left:
        raise DomainError(UNFINISHED_ORDERS(n=left))
    if unsettled_money(store):
        raise DomainError(UNSETTLED_MONEY())
    result = db.session.execute(
        update(Store)
        .where(Store.id == store.id, Store.deleted_at.is_(None))
        .values(deleted_at=utcnow(), business_status=BusinessStatus.SHUT)
        .execution_options(synchronize_session=False)
    )
    before = store.business_status
    db.session.refresh(store)
    if result.rowcount != 1:
        return  # a twin deleted it a moment ago: same outcome
    staff = list(
        db.session.execute(
            select(User)
            .join(RoleGrant, RoleGrant.user_id == User.id)
            .where(RoleGrant.store_id == store.id)
        )
        .scalars()
        .unique()
    )
    db.session.execute(
        delete(RoleGrant)
        .where(RoleGrant.store_id == store.id)
        .execution_options(synchronize_session=False)
    )
    for person in staff:
        db.session.expire(person, ["grants"])
        end_sessions(person)
    _record(store, actor, "deleted", before, "deleted")
    db.session.flush()


# ---- the timeline --------------------------------------------------------------------------


@dataclass(frozen=True)
class StoreTimelineEntry:
    """One line of the store's timeline; labels are msgids the page translates."""

    at: datetime
    title: str
    actor: str  # "" for the system
    before: str
    after: str
    fields: tuple[str, ...]  # a profile change: the labels of what changed
    reason: str


def _value_label(kind: str, value: str) -> str:
    if not value:
        return ""
    if kind == "rating" and value.isdigit():
        return stars_label(int(value))
    if value == "deleted":
        return DELETED_LABEL
    if value in BUSINESS_STATUS_LABELS:
        return BUSINESS_STATUS_LABELS[BusinessStatus(value)]
    return value


def stars_label(stars: int) -> str:
    stars = max(0, min(5, stars))
    return "★" * stars + "☆" * (5 - stars)


def store_timeline(store: Store) -> list[StoreTimelineEntry]:
    """The store's own history, newest first."""
    events = db.session.execute(
        select(StoreEvent)
        .where(StoreEvent.store_id == store.id)
        .order_by(StoreEvent.created_at.desc(), StoreEvent.id.desc())
    ).scalars()
    entries = []
    for event in events:
        profile = event.kind == PROFILE_EVENT
        entries.append(
            StoreTimelineEntry(
                at=event.created_at,
                title=EVENT_TITLES.get(event.kind, event.kind),
                actor=event.actor_name,
                before=_value_label(event.kind, event.from_value),
                after=_value_label(event.kind, event.to_value),
                fields=tuple(
                    PROFILE_FIELDS[key] for key in event.reason.split(",") if key in PROFILE_FIELDS
                )
                if profile
                else (),
                reason="" if profile else event.reason,
            )
        )
    return entries
