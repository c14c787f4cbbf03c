"""Merchant onboarding (SPEC §2): the platform's rules, a member's application to open a store,
and the approval that opens it and makes the applicant its owner."""

from __future__ import annotations

import re
import uuid
from typing import BinaryIO

from flask import current_app
from sqlalchemy import Select, func, select, update

from app.accounts.actor import Actor
from app.accounts.models import SYSTEM_ROLE, Role, RoleGrant, User
from app.accounts.phones import CONTACT_FIELD, is_contact_phone
from app.clock import utcnow
from app.errors import AlreadyTaken, DomainError, Forbidden, InvalidInput
from app.extensions import db
from app.i18n_markers import N_
from app.images import clean_photo
from app.messages import Message, define
from app.notifications.services import queue_sms
from app.storage import put_in_transaction
from app.stores.models import (
    APPLICATION_FIELDS,
    DEFAULT_FIELD_RULES,
    ApplicationStatus,
    BusinessStatus,
    FieldRule,
    MerchantSettings,
    Store,
    StoreApplication,
    StoreEvent,
    StoreKind,
)

SETTINGS_ID = 1
MAX_AGREEMENT = 20_000
MAX_REASON = 200
# The longest value each text field keeps (the Store column it becomes, or the form's bound).
FIELD_LENGTHS = {
    "shop_name": 100,
    "category": 50,
    "contact": 50,
    "phone": 20,
    "address": 255,
    "intro": 255,
}
TEXT_FIELDS = tuple(FIELD_LENGTHS)
PHONE_PATTERN = re.compile(CONTACT_FIELD)  # a mobile (13800138000) or a landline (0898-66000001)
ALWAYS_REQUIRED = ("shop_name",)  # a store needs a name

DEFAULT_AGREEMENT = (
    "商家入驻协议\n"
    "一、商家应保证所提交的资料真实、有效，并对其经营的商品质量负责。\n"
    "二、商家应遵守平台的经营规范，按时发货，妥善处理售后。\n"
    "三、平台按约定收取佣金，并按结算规则为商家结算货款。\n"
    "四、商家违反本协议的，平台有权限制或关闭其店铺。"
)

OPERATOR_SETS_RULES = define("operator_sets_rules", N_("只有平台运营可以修改商家入驻设置"))
NAME_ALWAYS_REQUIRED = define("name_always_required", N_("店铺名称必须为必填项"))
BAD_FIELD_RULE = define("bad_field_rule", N_("请为每个申请字段选择必填、选填或不显示"))
AGREEMENT_TOO_LONG = define("agreement_too_long", N_("入驻协议不能超过 %(max)s 个字"))
ONBOARDING_CLOSED = define("onboarding_closed", N_("平台暂未开放商家入驻"))
MEMBERS_APPLY = define("members_apply", N_("请使用会员账号申请开店"))
ACCEPT_AGREEMENT = define("accept_agreement", N_("请先阅读并同意《商家入驻协议》"))
FIELD_REQUIRED = define("field_required", N_("请填写%(field)s"), ("field",))
FIELD_TOO_LONG = define("field_too_long", N_("%(field)s不能超过 %(max)s 个字"), ("field",))
BAD_PHONE = define("bad_application_phone", N_("请填写正确的联系电话"))
CHOOSE_KIND = define("choose_store_kind", N_("请选择店铺类型"))
LICENCE_REQUIRED = define("licence_required", N_("请上传营业执照照片"))
STAFF_REVIEWS = define("staff_reviews", N_("只有平台人员可以审核开店申请"))
APPLICATION_TAKEN = define("application_taken", N_("该申请已被他人处理"))
REASON_REQUIRED = define("reject_reason_required", N_("请填写拒绝原因（200 字以内）"))


class ApplicationInvalid(InvalidInput):
    """An application field cannot be used; `field` says which one (the form shows it there)."""

    def __init__(self, message: Message, field: str):
        super().__init__(message)
        self.field = field


# ---- settings ---------------------------------------------------------------------------------


def _default_settings() -> MerchantSettings:
    return MerchantSettings(
        id=SETTINGS_ID,
        multi_merchant=True,
        approval_required=True,
        agreement=DEFAULT_AGREEMENT,
        field_rules=dict(DEFAULT_FIELD_RULES),
    )


def merchant_settings() -> MerchantSettings:
    """The platform's onboarding rules. The migration makes the row; where it is missing (a
    fresh test world) the defaults are answered, unsaved: a read never writes."""
    return db.session.get(MerchantSettings, SETTINGS_ID) or _default_settings()


def install_merchant_settings() -> MerchantSettings:
    """Create the row if it is missing (seed and test set-up; never from a read)."""
    settings = db.session.get(MerchantSettings, SETTINGS_ID)
    if settings is None:
        settings = _default_settings()
        db.session.add(settings)
        db.session.flush()
    return settings


def field_rules(settings: MerchantSettings) -> dict[str, str]:
    """Every application field with its rule; a field the row does not name takes the default,
    and the shop name is always required."""
    saved = settings.field_rules or {}
    rules = {}
    for name in APPLICATION_FIELDS:
        rule = saved.get(name, DEFAULT_FIELD_RULES[name])
        rules[name] = rule if rule in set(FieldRule) else DEFAULT_FIELD_RULES[name]
    for name in ALWAYS_REQUIRED:
        rules[name] = FieldRule.REQUIRED
    return rules


def update_merchant_settings(
    actor: Actor,
    *,
    multi_merchant: bool,
    approval_required: bool,
    agreement: str,
    rules: dict[str, str],
) -> MerchantSettings:
    if actor.role != Role.OPERATOR:
        raise Forbidden(OPERATOR_SETS_RULES())
    agreement = (agreement or "").strip()
    if len(agreement) > MAX_AGREEMENT:
        raise InvalidInput(AGREEMENT_TOO_LONG(max=MAX_AGREEMENT))
    if set(rules) != set(APPLICATION_FIELDS) or not set(rules.values()) <= set(FieldRule):
        raise InvalidInput(BAD_FIELD_RULE())
    if any(rules[name] != FieldRule.REQUIRED for name in ALWAYS_REQUIRED):
        raise InvalidInput(NAME_ALWAYS_REQUIRED())
    settings = install_merchant_settings()
    settings.multi_merchant = multi_merchant
    settings.approval_required = approval_required
    settings.agreement = agreement
    settings.field_rules = {name: str(rules[name]) for name in APPLICATION_FIELDS}
    db.session.flush()
    return settings


# ---- applying ---------------------------------------------------------------------------------


def latest_application(user_id: int) -> StoreApplication | None:
    """The person's most recent application (what 申请开店 shows)."""
    return db.session.execute(
        select(StoreApplication)
        .where(StoreApplication.user_id == user_id)
        .order_by(StoreApplication.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def _checked_fields(rules: dict[str, str], fields: dict[str, str]) -> dict[str, str]:
    """The values of the fields the platform asks for, trimmed and checked."""
    kept: dict[str, str] = {}
    for name, rule in rules.items():
        if rule == FieldRule.OFF or name == "licence":
            continue
        value = str(fields.get(name) or "").strip()
        label = APPLICATION_FIELDS[name]
        if not value:
            if rule == FieldRule.REQUIRED:
                message = CHOOSE_KIND() if name == "kind" else FIELD_REQUIRED(field=label)
                raise ApplicationInvalid(message, name)
            kept[name] = ""
            continue
        if name == "kind":
            if value not in set(StoreKind):
                raise ApplicationInvalid(CHOOSE_KIND(), name)
        elif len(value) > FIELD_LENGTHS[name]:
            raise ApplicationInvalid(FIELD_TOO_LONG(field=label, max=FIELD_LENGTHS[name]), name)
        elif name == "phone" and not is_contact_phone(value):
            raise ApplicationInvalid(BAD_PHONE(), name)
        kept[name] = value
    return kept


def licence_key(user_id: int) -> str:
    return f"applications/{user_id}/{uuid.uuid4().hex}.jpg"


def _lock_person(user_id: int) -> None:
    """One application at a time per person: a double tap's twin waits here, then finds the
    first one's row (PostgreSQL; SQLite writes one transaction at a time anyway)."""
    db.session.execute(select(User.id).where(User.id == user_id).with_for_update())


def apply_for_store(
    actor: Actor,
    fields: dict[str, str],
    licence_file: tuple[str, BinaryIO] | None,
    *,
    agreement_accepted: bool,
) -> StoreApplication:
    """Submit (or correct and submit again) an application to open a store.

    One live application per person: while one is pending (or has opened the store) a second
    submit answers with it unchanged; a rejected one goes back to pending with the new values.
    With approval off the store opens at once, through the same approval as the platform's.
    """
    if actor.role != Role.BUYER or actor.user_id is None:
        raise Forbidden(MEMBERS_APPLY())
    settings = merchant_settings()
    if not settings.multi_merchant:
        raise DomainError(ONBOARDING_CLOSED())
    _lock_person(actor.user_id)
    current = latest_application(actor.user_id)
    if current is not None and current.status != ApplicationStatus.REJECTED:
        return current  # a double tap, or a stale tab: the same answer as the first submit
    if not agreement_accepted:
        raise InvalidInput(ACCEPT_AGREEMENT())
    rules = field_rules(settings)
    values = _checked_fields(rules, fields)
    key = current.licence_key if current is not None else None
    name, stream = licence_file if licence_file and licence_file[0] else ("", None)
    if rules["licence"] == FieldRule.OFF:
        key = None
    elif stream is not None:
        # Decoded and re-encoded before anything is stored: a file that is not a photo is
        # refused here and nothing of the application is kept.
        try:
            image = clean_photo(stream, name, current_app.config["MAX_PHOTO_BYTES"])
        except InvalidInput as error:
            raise ApplicationInvalid(error.msg, "licence") from None
        key = licence_key(actor.user_id)
        put_in_transaction(key, image.data, "image/jpeg")
    elif key is None and rules["licence"] == FieldRule.REQUIRED:
        raise ApplicationInvalid(LICENCE_REQUIRED(), "licence")

    now = utcnow()
    if current is None:
        current = StoreApplication(user_id=actor.user_id, created_at=now)
        db.session.add(current)
    current.status = ApplicationStatus.PENDING
    current.fields = values
    current.licence_key = key
    current.agreement_accepted_at = now
    current.updated_at = now
    current.reject_reason = ""
    current.reviewed_at = None
    current.reviewed_by = None
    db.session.flush()
    if not settings.approval_required:
        approve_application(current, _system_reviewer())
    return current


def _system_reviewer() -> Actor:
    return Actor(user_id=None, role=SYSTEM_ROLE, name="系统")


# ---- reviewing --------------------------------------------------------------------------------


def _reviewer_only(actor: Actor) -> None:
    if not (actor.is_staff or actor.role == SYSTEM_ROLE):
        raise Forbidden(STAFF_REVIEWS())


def _decide(application: StoreApplication, to: str, actor: Actor, reason: str = "") -> bool:
    """Compare-and-set pending → `to`: True for the one request that wins. The loser is told
    somebody else decided, unless it is the same person's twin asking for the same outcome."""
    won = db.session.execute(
        update(StoreApplication)
        .where(
            StoreApplication.id == application.id,
            StoreApplication.status == ApplicationStatus.PENDING,
        )
        .values(
            status=to,
            reject_reason=reason,
            reviewed_at=utcnow(),
            reviewed_by=actor.user_id,
            updated_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(application)
    if won == 1:
        return True
    same_person = actor.user_id is not None and application.reviewed_by == actor.user_id
    if application.status == to and same_person:
        return False  # a double tap of the same decision: the same outcome, nothing more
    raise AlreadyTaken(APPLICATION_TAKEN())


def approve_application(application: StoreApplication, actor: Actor) -> Store | None:
    """Open the store: 5 stars, open 24 hours, the applicant its owner (and store staff); the
    applicant is told by SMS. Returns the store (None for a twin of the same approval)."""
    _reviewer_only(actor)
    if not _decide(application, ApplicationStatus.APPROVED, actor):
        return db.session.get(Store, application.store_id) if application.store_id else None
    fields = application.fields or {}
    applicant = db.session.get(User, application.user_id)
    store = Store(
        name=fields.get("shop_name") or applicant.name,
        kind=fields.get("kind") or StoreKind.SAME_CITY,
        category=fields.get("category", ""),
        phone=fields.get("phone") or applicant.phone,
        address=fields.get("address", ""),
        intro=fields.get("intro", ""),
        rating=5,
        opens_at="00:00",
        closes_at="24:00",
        business_status=BusinessStatus.OPEN,
        owner_id=applicant.id,
    )
    db.session.add(store)
    db.session.flush()
    application.store_id = store.id
    applicant.grants.append(RoleGrant(role=Role.STORE_STAFF, store_id=store.id))
    db.session.add(
        StoreEvent(
            store_id=store.id,
            actor_id=actor.user_id,
            actor_name=actor.name,
            kind="opened",
            to_value=BusinessStatus.OPEN,
        )
    )
    db.session.flush()
    queue_sms(applicant.phone, "store_approved", to_name=applicant.name, store=store.name)
    return store


def reject_application(application: StoreApplication, reason: str, actor: Actor) -> None:
    """Refuse with a reason the applicant reads (on the page and by SMS); they may correct and
    apply again."""
    _reviewer_only(actor)
    reason = (reason or "").strip()
    if not reason or len(reason) > MAX_REASON:
        raise InvalidInput(REASON_REQUIRED())
    if not _decide(application, ApplicationStatus.REJECTED, actor, reason):
        return
    applicant = db.session.get(User, application.user_id)
    queue_sms(
        applicant.phone, "store_rejected", to_name=applicant.name, reason=reason.rstrip("。.")
    )


# ---- the platform's list ----------------------------------------------------------------------


def applications_for_review(actor: Actor, status: str | None) -> Select:
    """Applications with their applicant, newest first (a query the page paginates)."""
    _reviewer_only(actor)
    query = (
        select(StoreApplication, User)
        .join(User, User.id == StoreApplication.user_id)
        .order_by(StoreApplication.updated_at.desc(), StoreApplication.id.desc())
    )
    if status:
        query = query.where(StoreApplication.status == status)
    return query


def application_counts() -> dict[str, int]:
    rows = db.session.execute(
        select(StoreApplication.status, func.count(StoreApplication.id)).group_by(
            StoreApplication.status
        )
    ).all()
    return {status: count for status, count in rows}  # noqa: C416 (rows are Row objects)


def application_for(actor: Actor, application_id: int) -> StoreApplication | None:
    """Platform staff see every application; nobody else sees any (the view answers 404)."""
    if not actor.is_staff:
        return None
    return db.session.get(StoreApplication, application_id)
