"""Coupons: the platform's (the platform bears the discount) and each store's (the store bears
it), 满X减Y or no-threshold, valid in a window or for N days from the claim, claimed in the
coupon centre or given by staff, used once.

Races are settled in the database: a claim takes one unit of the coupon's total by
compare-and-set on claimed_count (that UPDATE also locks the coupon row, so the per-person count
read after it sees every earlier claim); a use stamps used_at only where it is still empty.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, bindparam, func, or_, select, update

from app.accounts.actor import Actor
from app.accounts.models import Role, User
from app.clock import utcnow
from app.errors import AlreadyTaken, Forbidden, IllegalTransition, InvalidInput
from app.extensions import db
from app.i18n_markers import N_
from app.messages import Message, define
from app.money import format_fen
from app.promotions.models import Coupon, UserCoupon
from app.stores.models import Store

# Refusals
COUPON_NOT_FOUND = define("coupon_not_found", N_("优惠券不存在"))
COUPON_STOPPED = define("coupon_stopped", N_("优惠券已停止发放"))
COUPON_SOLD_OUT = define("coupon_sold_out", N_("优惠券已领完"))
COUPON_LIMIT = define("coupon_limit", N_("每人限领 %(n)s 张，您已领过"))
COUPON_USED = define("coupon_used", N_("优惠券已使用"))
NOT_YET_VALID = define("coupon_not_yet_valid", N_("未到使用时间"))
COUPON_EXPIRED = define("coupon_expired", N_("已过期"))
BELOW_THRESHOLD = define("coupon_below_threshold", N_("未满 %(amount)s"))
ONLY_STORE = define("coupon_only_store", N_("仅限「%(store)s」"))
PLATFORM_COUPON_HERE = define("coupon_platform_slot", N_("平台券请在「平台优惠券」中选择"))
NOT_YOUR_COUPON = define("not_your_coupon", N_("这张优惠券不属于您"))
STORE_COUPONS_ONLY = define("store_coupons_only", N_("只能管理本店的优惠券"))
STAFF_COUPONS_ONLY = define("staff_coupons_only", N_("只有平台人员和商家可以管理优惠券"))
BAD_DISCOUNT = define("coupon_bad_discount", N_("优惠金额须大于 0"))
DISCOUNT_NOT_BELOW = define("coupon_discount_not_below", N_("优惠金额须小于使用门槛"))
CHOOSE_VALIDITY = define("coupon_choose_validity", N_("请填写有效期：起止时间，或领取后有效天数"))
BAD_WINDOW = define("coupon_bad_window", N_("结束时间须晚于开始时间"))
QUANTITY_BELOW_CLAIMED = define(
    "coupon_quantity_below_claimed", N_("发放总量不能少于已领取的 %(n)s 张")
)
NO_SUCH_PERSON = define("coupon_no_such_person", N_("没有手机号为 %(phone)s 的用户"))

PLATFORM_ISSUERS = (Role.OPERATOR, Role.SERVICE)


@dataclass(frozen=True)
class CouponFields:
    """What the issuer sets. Validity: a window (valid_from/valid_until) or valid_days."""

    name: str
    threshold_fen: int
    discount_fen: int
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    valid_days: int | None = None
    total_quantity: int | None = None
    per_person_limit: int = 1
    in_centre: bool = True


def _ensure_issuer(actor: Actor) -> None:
    if actor.role not in (*PLATFORM_ISSUERS, Role.STORE_STAFF):
        raise Forbidden(STAFF_COUPONS_ONLY())


def ensure_manages(actor: Actor, coupon: Coupon) -> None:
    """Platform staff manage every coupon; store staff only their own store's."""
    _ensure_issuer(actor)
    if actor.role == Role.STORE_STAFF and coupon.store_id != actor.store_id:
        raise Forbidden(STORE_COUPONS_ONLY())


def _check(fields: CouponFields) -> None:
    if fields.discount_fen <= 0:
        raise InvalidInput(BAD_DISCOUNT())
    if fields.threshold_fen > 0 and fields.discount_fen >= fields.threshold_fen:
        raise InvalidInput(DISCOUNT_NOT_BELOW())
    window = fields.valid_until is not None
    if not window and not fields.valid_days:
        raise InvalidInput(CHOOSE_VALIDITY())
    if window and fields.valid_from is not None and fields.valid_from >= fields.valid_until:
        raise InvalidInput(BAD_WINDOW())


def _apply(coupon: Coupon, fields: CouponFields) -> None:
    window = fields.valid_until is not None
    coupon.name = fields.name.strip()[:50]
    coupon.threshold_fen = max(fields.threshold_fen, 0)
    coupon.discount_fen = fields.discount_fen
    coupon.valid_from = fields.valid_from if window else None
    coupon.valid_until = fields.valid_until if window else None
    coupon.valid_days = None if window else fields.valid_days
    coupon.total_quantity = fields.total_quantity
    coupon.per_person_limit = max(fields.per_person_limit, 1)
    coupon.in_centre = fields.in_centre


def create_coupon(actor: Actor, fields: CouponFields) -> Coupon:
    """Platform staff issue platform coupons (store_id None); store staff their store's."""
    _ensure_issuer(actor)
    _check(fields)
    store_id = actor.store_id if actor.role == Role.STORE_STAFF else None
    coupon = Coupon(store_id=store_id, created_by=actor.user_id, discount_fen=1)
    _apply(coupon, fields)
    db.session.add(coupon)
    db.session.flush()
    return coupon


def edit_coupon(coupon: Coupon, actor: Actor, fields: CouponFields) -> None:
    """Change a coupon; coupons already claimed keep the validity they were given."""
    ensure_manages(actor, coupon)
    _check(fields)
    if fields.total_quantity is not None and fields.total_quantity < coupon.claimed_count:
        raise InvalidInput(QUANTITY_BELOW_CLAIMED(n=coupon.claimed_count))
    _apply(coupon, fields)
    db.session.flush()


def stop_coupon(coupon: Coupon, actor: Actor) -> None:
    """停止发放: nobody claims or is given it any more; claimed ones stay usable."""
    ensure_manages(actor, coupon)
    coupon.active = False
    db.session.flush()


def coupons_managed_by(actor: Actor) -> Select:
    """The coupons this person manages: every coupon for platform staff, the store's own for
    store staff (the only way portals list or load coupons)."""
    _ensure_issuer(actor)
    query = select(Coupon)
    if actor.role == Role.STORE_STAFF:
        query = query.where(Coupon.store_id == actor.store_id)
    return query


def filtered_coupons(actor: Actor, issuer: str = "", state: str = "", keyword: str = "") -> Select:
    """The list page: this person's coupons by issuer (platform / store), state (active /
    stopped) and a name keyword, newest first, with the issuing store's name."""
    query = coupons_managed_by(actor).add_columns(Store.name)
    query = query.outerjoin(Store, Store.id == Coupon.store_id)
    if issuer == "platform":
        query = query.where(Coupon.store_id.is_(None))
    elif issuer == "store":
        query = query.where(Coupon.store_id.is_not(None))
    if state == "active":
        query = query.where(Coupon.active.is_(True))
    elif state == "stopped":
        query = query.where(Coupon.active.is_(False))
    if keyword:
        query = query.where(Coupon.name.contains(keyword, autoescape=True))
    return query.order_by(Coupon.id.desc())


def managed_coupon(actor: Actor, coupon_id: int) -> Coupon | None:
    """The coupon with this id if this person manages it (None: answer 404)."""
    return db.session.execute(
        coupons_managed_by(actor).where(Coupon.id == coupon_id)
    ).scalar_one_or_none()


# --- claiming ----------------------------------------------------------------------------------


def _validity(coupon: Coupon, now: datetime) -> tuple[datetime, datetime]:
    if coupon.valid_until is not None:
        return coupon.valid_from or now, coupon.valid_until
    return now, now + timedelta(days=coupon.valid_days or 1)


def _take_one(coupon: Coupon) -> None:
    """One unit of the total, by compare-and-set; it also locks the coupon row until commit,
    so concurrent claims of this coupon queue here."""
    result = db.session.execute(
        update(Coupon)
        .where(
            Coupon.id == coupon.id,
            Coupon.active.is_(True),
            or_(Coupon.total_quantity.is_(None), Coupon.claimed_count < Coupon.total_quantity),
        )
        .values(claimed_count=Coupon.claimed_count + 1)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.refresh(coupon)
        raise AlreadyTaken(COUPON_STOPPED() if not coupon.active else COUPON_SOLD_OUT())


def held_count(user_id: int, coupon_id: int) -> int:
    return db.session.execute(
        select(func.count(UserCoupon.id)).where(
            UserCoupon.user_id == user_id, UserCoupon.coupon_id == coupon_id
        )
    ).scalar_one()


def _hand_out(coupon: Coupon, user_id: int, given_by: int | None) -> UserCoupon:
    now = utcnow()
    if coupon.valid_until is not None and coupon.valid_until <= now:
        raise IllegalTransition(COUPON_EXPIRED())
    valid_from, valid_until = _validity(coupon, now)
    held = UserCoupon(
        coupon_id=coupon.id,
        user_id=user_id,
        valid_from=valid_from,
        valid_until=valid_until,
        given_by=given_by,
        claimed_at=now,
    )
    db.session.add(held)
    db.session.flush()
    db.session.refresh(coupon)
    return held


def claim(user_id: int, coupon: Coupon) -> UserCoupon:
    """领取 in the coupon centre: within the total and the per-person limit, even when many
    claim at once (the total by compare-and-set, the limit counted under the row lock)."""
    if not coupon.active or not coupon.in_centre:
        raise IllegalTransition(COUPON_STOPPED())
    _take_one(coupon)
    if held_count(user_id, coupon.id) >= coupon.per_person_limit:
        raise AlreadyTaken(COUPON_LIMIT(n=coupon.per_person_limit))
    return _hand_out(coupon, user_id, None)


def give(actor: Actor, coupon: Coupon, user: User) -> UserCoupon:
    """Staff give a coupon to a person (a compensation, a welcome): platform staff any coupon,
    store staff their store's. It counts against the total, not against the per-person limit."""
    ensure_manages(actor, coupon)
    _take_one(coupon)
    return _hand_out(coupon, user.id, actor.user_id)


def find_person(phone: str) -> User:
    user = db.session.execute(select(User).where(User.phone == phone.strip())).scalar_one_or_none()
    if user is None:
        raise InvalidInput(NO_SUCH_PERSON(phone=phone.strip()[:20]))
    return user


# --- the coupon centre and the wallet ----------------------------------------------------------


@dataclass(frozen=True)
class CentreRow:
    coupon: Coupon
    store_name: str | None
    held: int  # how many of it this person holds

    @property
    def can_claim(self) -> bool:
        c = self.coupon
        left = c.total_quantity is None or c.claimed_count < c.total_quantity
        return left and self.held < c.per_person_limit


def coupon_centre(user_id: int | None) -> list[CentreRow]:
    """Coupons anyone may claim now (active, in the centre, not expired)."""
    now = utcnow()
    rows = db.session.execute(
        select(Coupon, Store.name)
        .outerjoin(Store, Store.id == Coupon.store_id)
        .where(
            Coupon.active.is_(True),
            Coupon.in_centre.is_(True),
            or_(Coupon.valid_until.is_(None), Coupon.valid_until > now),
        )
        .order_by(Coupon.store_id.is_not(None), Coupon.id.desc())
        .limit(200)
    ).all()
    held: dict[int, int] = {}
    if user_id is not None and rows:
        held = dict(
            db.session.execute(
                select(UserCoupon.coupon_id, func.count(UserCoupon.id))
                .where(
                    UserCoupon.user_id == user_id,
                    UserCoupon.coupon_id.in_([c.id for c, _ in rows]),
                )
                .group_by(UserCoupon.coupon_id)
            ).all()
        )
    return [CentreRow(c, name, held.get(c.id, 0)) for c, name in rows]


WALLET_TABS = ("usable", "used", "expired")


def wallet(user_id: int, tab: str) -> list[UserCoupon]:
    """我的优惠券: 可使用 (unused, not expired), 已使用, 已过期 (unused and past its time)."""
    now = utcnow()
    query = select(UserCoupon).where(UserCoupon.user_id == user_id)
    if tab == "used":
        query = query.where(UserCoupon.used_at.is_not(None)).order_by(UserCoupon.used_at.desc())
    elif tab == "expired":
        query = query.where(UserCoupon.used_at.is_(None), UserCoupon.valid_until <= now)
        query = query.order_by(UserCoupon.valid_until.desc())
    else:
        query = query.where(UserCoupon.used_at.is_(None), UserCoupon.valid_until > now)
        query = query.order_by(UserCoupon.valid_until)
    return list(db.session.execute(query.limit(200)).scalars())


def store_names(store_ids: set[int]) -> dict[int, str]:
    if not store_ids:
        return {}
    return dict(
        db.session.execute(select(Store.id, Store.name).where(Store.id.in_(store_ids))).all()
    )


# --- using -------------------------------------------------------------------------------------


def coupon_problem(
    held: UserCoupon, *, store_id: int | None, goods_fen: int, now: datetime | None = None
) -> Message | None:
    """Why this coupon cannot be used on these goods (None: it can). `store_id` is the store
    whose order it would go to, or None for the platform coupon of the whole checkout."""
    now = now or utcnow()
    coupon = held.coupon
    if held.used_at is not None:
        return COUPON_USED()
    if now < held.valid_from:
        return NOT_YET_VALID()
    if now >= held.valid_until:
        return COUPON_EXPIRED()
    if coupon.store_id is not None and coupon.store_id != store_id:
        store = db.session.get(Store, coupon.store_id)
        return ONLY_STORE(store=store.name if store else "")
    if coupon.store_id is None and store_id is not None:
        return PLATFORM_COUPON_HERE()
    if goods_fen < coupon.threshold_fen:
        return BELOW_THRESHOLD(amount=format_fen(coupon.threshold_fen))
    return None


@dataclass(frozen=True)
class CouponChoice:
    held: UserCoupon
    problem: Message | None  # None: usable

    @property
    def usable(self) -> bool:
        return self.problem is None


def unused_coupons(user_id: int) -> list[UserCoupon]:
    """The person's coupons not used yet (expired ones too: checkout says why they do not fit)."""
    return list(
        db.session.execute(
            select(UserCoupon)
            .where(UserCoupon.user_id == user_id, UserCoupon.used_at.is_(None))
            .order_by(UserCoupon.valid_until)
            .limit(200)
        ).scalars()
    )


def usable_coupons(
    user_id: int, store_goods: dict[int, int], held: list[UserCoupon] | None = None
) -> tuple[list[CouponChoice], dict[int, list[CouponChoice]]]:
    """For a cart whose stores' goods amounts are `store_goods` (store id → fen): the platform
    coupons and, per store, its coupons, each usable or with the reason it is not. A store's
    coupon held for a store not in the cart is listed under the platform choices as 仅限「店」."""
    now = utcnow()
    held = unused_coupons(user_id) if held is None else held
    total = sum(store_goods.values())
    platform: list[CouponChoice] = []
    per_store: dict[int, list[CouponChoice]] = {sid: [] for sid in store_goods}
    for row in held:
        sid = row.coupon.store_id
        if sid is not None and sid in store_goods:
            problem = coupon_problem(row, store_id=sid, goods_fen=store_goods[sid], now=now)
            per_store[sid].append(CouponChoice(row, problem))
        else:
            platform.append(
                CouponChoice(row, coupon_problem(row, store_id=None, goods_fen=total, now=now))
            )
    key = lambda choice: (not choice.usable, -choice.held.coupon.discount_fen)  # noqa: E731
    return sorted(platform, key=key), {sid: sorted(c, key=key) for sid, c in per_store.items()}


def held_coupon(user_id: int, user_coupon_id: int) -> UserCoupon:
    held = db.session.get(UserCoupon, user_coupon_id)
    if held is None or held.user_id != user_id:
        raise InvalidInput(NOT_YOUR_COUPON())
    return held


_USE = (  # built once: every checkout with a coupon runs it
    update(UserCoupon)
    .where(UserCoupon.id == bindparam("held_id"), UserCoupon.used_at.is_(None))
    .values(used_at=bindparam("now", type_=UserCoupon.used_at.type))
    .execution_options(synchronize_session=False)
)


def use(held: UserCoupon, now: datetime | None = None) -> None:
    """Stamp the coupon used, once: two checkouts using it at once, exactly one wins."""
    result = db.session.execute(_USE, {"held_id": held.id, "now": now or utcnow()})
    if result.rowcount != 1:
        raise AlreadyTaken(COUPON_USED())


def give_back(user_coupon_id: int) -> None:
    """An order closed before it was paid: its coupon can be used again."""
    db.session.execute(
        update(UserCoupon)
        .where(UserCoupon.id == user_coupon_id)
        .values(used_at=None)
        .execution_options(synchronize_session=False)
    )
