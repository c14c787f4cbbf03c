"""Wholesale members (SPEC §4): the profile a member completes, the review by customer service
(approval gives a member level and sends the SMS, rejection gives a reason), the member levels,
and who sees which price of a product.

Review verbs are compare-and-set updates (`… WHERE status = 'pending'`): of two reviewers
pressing at once one wins, the other is told the member was reviewed meanwhile; the SMS is an
outbox row written in the same transaction, so a review is kept whole or not at all and the
message is retried until it goes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import BinaryIO

from flask import current_app
from sqlalchemy import Select, func, or_, select, update
from sqlalchemy.orm import aliased

from app.accounts.actor import Actor
from app.accounts.models import Member, MemberLevel, MemberStatus, Role, User
from app.accounts.phones import CONTACT_FIELD, is_contact_phone
from app.catalog.models import CatalogSettings, OutsiderPrices, Sku
from app.catalog.pricing import level_price
from app.clock import utcnow
from app.errors import AlreadyTaken, DomainError, Forbidden, IllegalTransition, InvalidInput
from app.extensions import db
from app.i18n_markers import N_
from app.images import CleanImage, clean_photo, keep_photo, thumb_key
from app.messages import define
from app.notifications.services import queue_sms
from app.stores.models import Store, StoreKind
from app.upsert import upsert_into
from app.wholesale.models import Region

# ---- refusals ------------------------------------------------------------------------------

BUYERS_ONLY = define("member_buyers_only", N_("只有会员本人可以申请或提交批发会员资料"))
NOT_A_MEMBER = define("not_a_member", N_("您还不是批发会员，请先申请批发会员"))
PROFILE_IN_REVIEW = define("member_profile_in_review", N_("资料正在审核中，请等待审核结果"))
PROFILE_APPROVED = define("member_profile_approved", N_("您的资料已通过审核，如需修改请联系客服"))
PROFILE_FIELD_MISSING = define("member_field_missing", N_("请填写%(field)s"), ("field",))
PROFILE_FIELD_TOO_LONG = define(
    "member_field_too_long", N_("%(field)s不能超过 %(max)s 字"), ("field",)
)
BAD_CONTACT_PHONE = define(
    "member_bad_contact_phone", N_("请填写正确的联系电话（手机号或带区号的座机号）")
)
CHOOSE_SHOP_PHOTO = define("choose_shop_photo", N_("请上传店门照片"))
CHOOSE_LICENCE_PHOTO = define("choose_licence_photo", N_("请上传营业执照照片"))

STAFF_REVIEWS_MEMBERS = define("staff_reviews_members", N_("只有平台运营或客服可以审核会员"))
OPERATORS_ONLY = define("operators_manage_levels", N_("只有平台运营可以修改会员等级和价格设置"))
REVIEWED_MEANWHILE = define("member_reviewed_meanwhile", N_("该会员已被他人审核"))
NOT_SUBMITTED = define("member_not_submitted", N_("该会员还没有提交资料，不能审核"))
CHOOSE_LEVEL = define("choose_member_level", N_("请选择会员等级"))
CHOOSE_REGION = define("choose_member_region", N_("请选择业务区域"))
REASON_REQUIRED = define("member_reason_required", N_("请填写拒绝原因"))
REASON_TOO_LONG = define("member_reason_too_long", N_("拒绝原因不能超过 %(max)s 字"))
LEVEL_ONLY_APPROVED = define("member_level_only_approved", N_("只能为已通过审核的会员调整等级"))
LEVEL_NAME_REQUIRED = define("level_name_required", N_("请填写等级名称"))
LEVEL_NAME_TOO_LONG = define("level_name_too_long", N_("等级名称不能超过 %(max)s 字"))
LEVEL_NAME_TAKEN = define("level_name_taken", N_("已有名为「%(name)s」的等级"))
LEVEL_IN_USE = define(
    "level_in_use", N_("「%(name)s」正被 %(count)s 名会员使用，不能删除，请先调整这些会员的等级")
)
LAST_LEVEL = define("last_level", N_("至少要保留一个会员等级"))
CHOOSE_OUTSIDER_PRICES = define("choose_outsider_prices", N_("请选择未审核用户看到的价格"))

# ---- the profile ---------------------------------------------------------------------------

# Gated: a member whose profile is not submitted (or was refused) completes it first.
NOT_SUBMITTED_STATUSES = (MemberStatus.INCOMPLETE, MemberStatus.REJECTED)
REASON_MAX = 200
LEVEL_NAME_MAX = 20
# mainland mobile (13812345678) or a landline with its area code (0898-66123456, 089866123456)
CONTACT_PHONE = re.compile(CONTACT_FIELD)
PHOTO_KINDS = ("shop", "licence")

PROFILE_LABELS = {
    "shop_name": N_("店铺名称"),
    "wechat": N_("微信号"),
    "contact_name": N_("联系人"),
    "contact_phone": N_("联系电话"),
    "address": N_("店铺地址"),
}
PROFILE_MAX = {
    "shop_name": 100,
    "wechat": 50,
    "contact_name": 50,
    "contact_phone": 20,
    "address": 255,
}


@dataclass(frozen=True)
class ProfileFields:
    shop_name: str
    wechat: str
    contact_name: str
    contact_phone: str
    address: str

    def cleaned(self) -> ProfileFields:
        """Every field stripped, each required and within its column; the phone a real one."""
        values = {name: (getattr(self, name) or "").strip() for name in PROFILE_LABELS}
        for name, value in values.items():
            if not value:
                raise InvalidInput(PROFILE_FIELD_MISSING(field=PROFILE_LABELS[name]))
            if len(value) > PROFILE_MAX[name]:
                raise InvalidInput(
                    PROFILE_FIELD_TOO_LONG(field=PROFILE_LABELS[name], max=PROFILE_MAX[name])
                )
        if not is_contact_phone(values["contact_phone"]):
            raise InvalidInput(BAD_CONTACT_PHONE())
        return ProfileFields(**values)


Upload = tuple[str, BinaryIO]  # (file name, stream) of a chosen file


def member_of(user_id: int) -> Member | None:
    return db.session.get(Member, user_id)


def profile_due(member: Member | None) -> bool:
    """A wholesale member who must (re)submit the profile before going on (the gate)."""
    return member is not None and status_due(member.status)


def status_due(status: str | None) -> bool:
    """`profile_due` from the member's status alone (None: not a wholesale member)."""
    return status in NOT_SUBMITTED_STATUSES


def _buyer_only(actor: Actor | None) -> Actor:
    if actor is None or actor.role != Role.BUYER or actor.user_id is None:
        raise Forbidden(BUYERS_ONLY())
    return actor


def start_membership(actor: Actor) -> Member:
    """申请批发会员: the buyer becomes a wholesale member whose profile is still to complete.
    Asking twice (or twice at once) makes one row."""
    actor = _buyer_only(actor)
    db.session.execute(
        upsert_into(Member)
        .values(user_id=actor.user_id, status=MemberStatus.INCOMPLETE)
        .on_conflict_do_nothing(index_elements=[Member.user_id])
    )
    return db.session.get(Member, actor.user_id, populate_existing=True)


def submit_profile(
    actor: Actor,
    fields: ProfileFields,
    shop_photo: Upload | None,
    licence_photo: Upload | None,
) -> Member:
    """完善资料: the member's shop and contact, a shop-front photo and the business licence go
    to customer service for review (status 待审核).

    After a rejection the member corrects and sends again; a photo already on file is kept when
    no new one is chosen. Nothing is kept unless everything passed: both photos are checked
    before either is stored, and stored files go again if the transaction rolls back."""
    actor = _buyer_only(actor)
    member = db.session.get(Member, actor.user_id)
    if member is None:
        raise InvalidInput(NOT_A_MEMBER())
    _ensure_may_submit(member.status)
    values = fields.cleaned()
    shop_photo = shop_photo if shop_photo and shop_photo[0] else None
    licence_photo = licence_photo if licence_photo and licence_photo[0] else None
    if shop_photo is None and member.shop_photo_key is None:
        raise InvalidInput(CHOOSE_SHOP_PHOTO())
    if licence_photo is None and member.licence_photo_key is None:
        raise InvalidInput(CHOOSE_LICENCE_PHOTO())
    max_bytes = current_app.config["MAX_PHOTO_BYTES"]
    # one at a time, both checked before anything is stored
    shop = clean_photo(shop_photo[1], shop_photo[0], max_bytes) if shop_photo else None
    licence = clean_photo(licence_photo[1], licence_photo[0], max_bytes) if licence_photo else None
    keys = {}
    if shop is not None:
        keys["shop_photo_key"] = _keep_photo(member.user_id, shop)
    if licence is not None:
        keys["licence_photo_key"] = _keep_photo(member.user_id, licence)
    submitted = db.session.execute(
        update(Member)
        .where(Member.user_id == member.user_id, Member.status.in_(NOT_SUBMITTED_STATUSES))
        .values(
            status=MemberStatus.PENDING,
            submitted_at=utcnow(),
            shop_name=values.shop_name,
            wechat=values.wechat,
            contact_name=values.contact_name,
            contact_phone=values.contact_phone,
            address=values.address,
            **keys,
        )
        .execution_options(synchronize_session=False)
    )
    if submitted.rowcount != 1:  # a twin of this submit (or a review) got there first
        db.session.refresh(member)
        _ensure_may_submit(member.status)
    db.session.refresh(member)
    return member


def _ensure_may_submit(status: str) -> None:
    if status == MemberStatus.PENDING:
        raise IllegalTransition(PROFILE_IN_REVIEW())
    if status == MemberStatus.APPROVED:
        raise IllegalTransition(PROFILE_APPROVED())


def _keep_photo(user_id: int, image: CleanImage) -> str:
    return keep_photo(f"members/{user_id}", image)


def member_photo_key(member: Member, kind: str, thumb: bool = False) -> str | None:
    """The stored shop-front (`shop`) or licence (`licence`) photo, or its thumbnail."""
    key = member.shop_photo_key if kind == "shop" else member.licence_photo_key
    if key is None:
        return None
    return thumb_key(key) if thumb else key


# ---- review by customer service ------------------------------------------------------------


def _staff_only(actor: Actor) -> None:
    if not actor.is_staff:
        raise Forbidden(STAFF_REVIEWS_MEMBERS())


def _operator_only(actor: Actor) -> None:
    if actor.role != Role.OPERATOR:
        raise Forbidden(OPERATORS_ONLY())


def may_manage_levels(actor: Actor | None) -> bool:
    return actor is not None and actor.role == Role.OPERATOR


def member_for(actor: Actor, user_id: int) -> Member | None:
    """A member as platform staff load it; None (404) for anybody else or no such member."""
    if not actor.is_staff:
        return None
    return db.session.get(Member, user_id)


def _reviewed(member: Member, actor: Actor, to: str, **values) -> None:
    """Move a pending member to `to`, or say why not (reviewed meanwhile, never submitted)."""
    now = utcnow()
    moved = db.session.execute(
        update(Member)
        .where(Member.user_id == member.user_id, Member.status == MemberStatus.PENDING)
        .values(status=to, reviewed_at=now, reviewed_by=actor.user_id, **values)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(member)
    if moved.rowcount != 1:
        if member.status == MemberStatus.INCOMPLETE:
            raise IllegalTransition(NOT_SUBMITTED())
        raise AlreadyTaken(REVIEWED_MEANWHILE())


def _level(level_id: int | None) -> MemberLevel:
    level = db.session.get(MemberLevel, level_id) if level_id else None
    if level is None:
        raise InvalidInput(CHOOSE_LEVEL())
    return level


def approve_member(
    member: Member, level_id: int | None, actor: Actor, region_id: int | None = None
) -> None:
    """审核通过: the member gets a level (and a region, where they have none yet or staff move
    them) and the SMS "您的账号已通过审核…", in one unit of work."""
    _staff_only(actor)
    level = _level(level_id)
    region = {}
    if region_id is not None:
        if db.session.get(Region, region_id) is None:
            raise InvalidInput(CHOOSE_REGION())
        region = {"region_id": region_id}
    _reviewed(
        member,
        actor,
        MemberStatus.APPROVED,
        level_id=level.id,
        approved_at=utcnow(),
        reject_reason="",
        **region,
    )
    user = member.user
    queue_sms(user.phone, "member_approved", to_name=user.name)


def reject_member(member: Member, reason: str, actor: Actor) -> None:
    """审核不通过: the member reads the reason (page and SMS), corrects and sends again."""
    _staff_only(actor)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(REASON_REQUIRED())
    if len(reason) > REASON_MAX:
        raise InvalidInput(REASON_TOO_LONG(max=REASON_MAX))
    _reviewed(member, actor, MemberStatus.REJECTED, reject_reason=reason)
    user = member.user
    queue_sms(user.phone, "member_rejected", to_name=user.name, reason=reason)


def set_member_level(member: Member, level_id: int | None, actor: Actor) -> None:
    """Move an approved member to another level (their prices follow at once)."""
    _staff_only(actor)
    level = _level(level_id)
    if member.status != MemberStatus.APPROVED:
        raise IllegalTransition(LEVEL_ONLY_APPROVED())
    member.level_id = level.id
    db.session.flush()


# ---- the platform's list -------------------------------------------------------------------

LIST_TABS = (
    MemberStatus.PENDING,
    MemberStatus.APPROVED,
    MemberStatus.REJECTED,
    MemberStatus.INCOMPLETE,
    "all",
)
Manager = aliased(User)


@dataclass(frozen=True)
class MemberFilter:
    tab: str = MemberStatus.PENDING
    q: str = ""  # phone, name, shop name or contact
    region_id: int | None = None


def member_search(actor: Actor, filter: MemberFilter) -> Select:
    """Rows of (Member, User, region, manager and level names) for the platform's members list: the
    approval queue oldest first (first come, first reviewed), the other tabs newest first."""
    _staff_only(actor)
    query = (
        select(
            Member,
            User,
            Region.name.label("region_name"),
            Manager.name.label("manager_name"),
            MemberLevel.name.label("level_name"),
        )
        .join(User, User.id == Member.user_id)
        .outerjoin(MemberLevel, MemberLevel.id == Member.level_id)
        .outerjoin(Region, Region.id == Member.region_id)
        .outerjoin(Manager, Manager.id == Member.manager_id)
    )
    query = _filtered(query, filter, with_tab=True)
    if filter.tab == MemberStatus.PENDING:
        return query.order_by(Member.submitted_at.asc(), Member.user_id)
    return query.order_by(Member.user_id.desc())


def _filtered(query: Select, filter: MemberFilter, with_tab: bool) -> Select:
    if with_tab and filter.tab in tuple(MemberStatus):
        query = query.where(Member.status == filter.tab)
    if filter.region_id is not None:
        query = query.where(Member.region_id == filter.region_id)
    if filter.q:
        words = [
            User.phone.contains(filter.q, autoescape=True),
            User.name.contains(filter.q, autoescape=True),
            Member.shop_name.contains(filter.q, autoescape=True),
            Member.contact_name.contains(filter.q, autoescape=True),
        ]
        query = query.where(or_(*words))
    return query


def member_tab_counts(actor: Actor, filter: MemberFilter) -> dict[str, int]:
    """How many members each tab holds under the same search and region (and 全部)."""
    _staff_only(actor)
    query = _filtered(
        select(Member.status, func.count()).join(User, User.id == Member.user_id),
        filter,
        with_tab=False,
    ).group_by(Member.status)
    counts = dict(db.session.execute(query).all())
    counts["all"] = sum(counts.values())
    return counts


def regions() -> list[Region]:
    return list(db.session.execute(select(Region).order_by(Region.name)).scalars())


# ---- member levels -------------------------------------------------------------------------


def member_levels() -> list[MemberLevel]:
    """Lowest first: the order the approve form offers them in (its default is the first)."""
    return list(
        db.session.execute(select(MemberLevel).order_by(MemberLevel.rank, MemberLevel.id)).scalars()
    )


def level_member_counts() -> dict[int, int]:
    rows = db.session.execute(
        select(Member.level_id, func.count())
        .where(Member.level_id.is_not(None))
        .group_by(Member.level_id)
    )
    return dict(rows.all())


def _level_name(name: str, keep: MemberLevel | None = None) -> str:
    name = (name or "").strip()
    if not name:
        raise InvalidInput(LEVEL_NAME_REQUIRED())
    if len(name) > LEVEL_NAME_MAX:
        raise InvalidInput(LEVEL_NAME_TOO_LONG(max=LEVEL_NAME_MAX))
    same = db.session.execute(select(MemberLevel).where(MemberLevel.name == name)).scalar()
    if same is not None and same is not keep:
        raise InvalidInput(LEVEL_NAME_TAKEN(name=name))
    return name


def add_level(name: str, actor: Actor) -> MemberLevel:
    """A new level, ranked above every existing one."""
    _operator_only(actor)
    name = _level_name(name)
    top = db.session.scalar(select(func.max(MemberLevel.rank)))
    level = MemberLevel(name=name, rank=(top or 0) + 1)
    db.session.add(level)
    db.session.flush()
    return level


def rename_level(level: MemberLevel, name: str, actor: Actor) -> None:
    _operator_only(actor)
    level.name = _level_name(name, keep=level)
    db.session.flush()


def move_level(level: MemberLevel, step: int, actor: Actor) -> None:
    """Up (-1) or down (+1) one place in the list; the ends stay where they are."""
    _operator_only(actor)
    ordered = member_levels()
    for position, each in enumerate(ordered):  # ranks made unique and dense first
        each.rank = position + 1
    index = ordered.index(level)
    other = index + (1 if step > 0 else -1)
    if 0 <= other < len(ordered):
        ordered[index].rank, ordered[other].rank = ordered[other].rank, ordered[index].rank
    db.session.flush()


def delete_level(level: MemberLevel, actor: Actor) -> None:
    """Only a level no member holds; the message says how many do."""
    _operator_only(actor)
    used = db.session.scalar(select(func.count()).where(Member.level_id == level.id)) or 0
    if used:
        raise DomainError(LEVEL_IN_USE(name=level.name, count=used))
    if db.session.scalar(select(func.count(MemberLevel.id))) <= 1:
        raise DomainError(LAST_LEVEL())
    db.session.delete(level)
    db.session.flush()


# ---- prices --------------------------------------------------------------------------------

OUTSIDER_PRICE_LABELS = {
    OutsiderPrices.RETAIL: N_("零售价"),
    OutsiderPrices.NONE: N_("不显示价格"),
}


def catalog_settings() -> CatalogSettings:
    """The platform's row (the migration makes it); an unsaved default if it is missing, so a
    page never writes."""
    return db.session.get(CatalogSettings, 1) or CatalogSettings(
        id=1, outsider_prices=OutsiderPrices.NONE
    )


def set_outsider_prices(value: str, actor: Actor) -> None:
    """What people who may not buy wholesale see on a wholesale store's products."""
    _operator_only(actor)
    if value not in OUTSIDER_PRICE_LABELS:
        raise InvalidInput(CHOOSE_OUTSIDER_PRICES())
    settings = db.session.get(CatalogSettings, 1)
    if settings is None:
        settings = CatalogSettings(id=1)
        db.session.add(settings)
    settings.outsider_prices = value
    db.session.flush()


@dataclass(frozen=True)
class PriceViewer:
    """Who is looking at prices, read once per page."""

    logged_in: bool
    member_status: str | None  # None: not a wholesale member
    level_id: int | None
    outsider_prices: str

    @property
    def wholesale(self) -> bool:
        """An approved member: wholesale prices (approval always gives a level)."""
        return self.member_status == MemberStatus.APPROVED

    @property
    def in_review(self) -> bool:
        """A member whose profile waits for customer service."""
        return self.member_status == MemberStatus.PENDING


def price_viewer(actor: Actor | None) -> PriceViewer:
    member = db.session.get(Member, actor.user_id) if actor and actor.user_id else None
    return PriceViewer(
        logged_in=actor is not None,
        member_status=member.status if member else None,
        level_id=member.level_id if member else None,
        outsider_prices=catalog_settings().outsider_prices,
    )


def sees_wholesale_prices(actor: Actor | None) -> bool:
    member = db.session.get(Member, actor.user_id) if actor and actor.user_id else None
    return member is not None and member.approved


def shown_price(sku: Sku, viewer: PriceViewer, kind: str | None = None) -> int | None:
    """The price this person sees on a product, in fen; None: no price for them.

    Same-city goods: everyone sees the price. Wholesale goods: approved members their level's
    price; everyone else the retail price when the platform says so (and the product has one),
    else nothing."""
    if kind is None:
        kind = db.session.get(Store, sku.product.store_id).kind
    if kind != StoreKind.WHOLESALE:
        return sku.price_fen
    if viewer.wholesale:
        return level_price(sku, viewer.level_id)
    if viewer.outsider_prices == OutsiderPrices.RETAIL:
        return sku.retail_price_fen
    return None


def shown_prices(skus: Iterable[Sku], viewer: PriceViewer, kind: str) -> dict[int, int | None]:
    """sku id → the price shown (see `shown_price`), for a page of one store's products."""
    return {sku.id: shown_price(sku, viewer, kind) for sku in skus}
