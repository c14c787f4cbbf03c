"""同城配送规则 on 店铺设置: a same-city store sets how far it delivers, its fee by distance, the
least it delivers (起送价), its preparation time and whether buyers choose a delivery slot.

The rules themselves (what a fee is for a distance, which slots exist) live in
`app.stores.delivery_rules`; this module checks and saves what the store's staff send, records
the change on the store's timeline like every other profile change, and draws the fee examples
the settings page shows next to the tiers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from app.accounts.actor import Actor
from app.errors import InvalidInput
from app.extensions import db
from app.i18n_markers import N_
from app.messages import Message, define
from app.stores.delivery_rules import clean_tiers, fee_for
from app.stores.models import Store, StoreKind
from app.stores.profile import PROFILE_EVENT, PROFILE_FIELDS, _record, ensure_own_store

MAX_RADIUS_M = 100_000  # 100 km: further is a typo for same-city delivery
MAX_TIERS = 8
MAX_FEE_FEN = 100_000  # ¥1,000 for one delivery, or for one more kilometre
MAX_MIN_ORDER_FEN = 10_000_000  # ¥100,000
MAX_PREP_MINUTES = 240
SAMPLE_BEYOND_M = 1200  # the example beyond the last tier: 1.2 km further, two started km

SAME_CITY_ONLY = define("delivery_rules_same_city_only", N_("只有同城店铺可以设置同城配送规则"))
BAD_RADIUS = define("delivery_bad_radius", N_("配送范围须在 0.1 到 100 公里之间，不限请留空"))
TOO_MANY_TIERS = define("delivery_too_many_tiers", N_("配送费阶梯最多 %(max)s 档"))
TIER_TOO_FAR = define("delivery_tier_too_far", N_("配送费阶梯的距离不能超过 100 公里"))
FEE_RANGE = define("delivery_fee_range", N_("%(field)s须在 0 到 %(max)s 元之间"), ("field",))
BAD_PREP = define("delivery_bad_prep", N_("备货时间须在 0 到 240 分钟之间"))

# What the form's fields are called (the page shows a refusal beside its field).
FLAT_FEE_LABEL = N_("配送费")
BEYOND_LABEL = N_("超出部分每公里加收")
MIN_ORDER_LABEL = N_("起送价")
TIER_FEE_LABEL = N_("阶梯配送费")

# The store's timeline names these changes like the profile's fields.
PROFILE_FIELDS.setdefault("delivery_radius", N_("配送范围"))
PROFILE_FIELDS.setdefault("delivery_fees", N_("配送费"))
PROFILE_FIELDS.setdefault("min_order", N_("起送价"))
PROFILE_FIELDS.setdefault("prep_minutes", N_("备货时间"))
PROFILE_FIELDS.setdefault("delivery_slots", N_("预约配送"))

# Which timeline key each column belongs to.
_COLUMN_FIELDS = {
    "delivery_radius_m": "delivery_radius",
    "delivery_fee_tiers": "delivery_fees",
    "delivery_fee_fen": "delivery_fees",
    "delivery_beyond_km_fen": "delivery_fees",
    "min_order_fen": "min_order",
    "prep_minutes": "prep_minutes",
    "delivery_slots": "delivery_slots",
}


class DeliveryFieldError(InvalidInput):
    """A refusal about one field of the form (the page shows it beside that field)."""

    def __init__(self, field: str, message: Message):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class DeliveryRules:
    """The rules as Store columns (so `fee_for` reads them like a store)."""

    delivery_radius_m: int | None = None  # None: no limit
    delivery_fee_tiers: list = field(default_factory=list)  # [[up_to_metres, fee_fen], ...]
    delivery_fee_fen: int = 0  # the flat fee, when there are no tiers
    delivery_beyond_km_fen: int = 0
    min_order_fen: int = 0
    prep_minutes: int = 30
    delivery_slots: bool = False


def delivery_rules_of(store: Store) -> DeliveryRules:
    return DeliveryRules(
        delivery_radius_m=store.delivery_radius_m,
        delivery_fee_tiers=[[int(a), int(b)] for a, b in store.delivery_fee_tiers or []],
        delivery_fee_fen=store.delivery_fee_fen or 0,
        delivery_beyond_km_fen=store.delivery_beyond_km_fen or 0,
        min_order_fen=store.min_order_fen or 0,
        prep_minutes=store.prep_minutes if store.prep_minutes is not None else 30,
        delivery_slots=bool(store.delivery_slots),
    )


def _fee(fen: int, form_field: str, label: str, max_fen: int = MAX_FEE_FEN) -> int:
    if not isinstance(fen, int) or not 0 <= fen <= max_fen:
        raise DeliveryFieldError(form_field, FEE_RANGE(field=label, max=f"{max_fen // 100:,}"))
    return fen


def clean_rules(rules: DeliveryRules) -> DeliveryRules:
    """The rules with every check made; DeliveryFieldError names the form field to show it at."""
    radius = rules.delivery_radius_m
    if radius is not None and not 100 <= radius <= MAX_RADIUS_M:
        raise DeliveryFieldError("radius_km", BAD_RADIUS())
    try:
        tiers = clean_tiers([tuple(row) for row in rules.delivery_fee_tiers])
    except InvalidInput as error:
        raise DeliveryFieldError("tiers", error.msg) from None
    if len(tiers) > MAX_TIERS:
        raise DeliveryFieldError("tiers", TOO_MANY_TIERS(max=MAX_TIERS))
    if any(limit > MAX_RADIUS_M for limit, _ in tiers):
        raise DeliveryFieldError("tiers", TIER_TOO_FAR())
    for _, fee in tiers:
        _fee(fee, "tiers", TIER_FEE_LABEL)
    prep = rules.prep_minutes
    if not isinstance(prep, int) or not 0 <= prep <= MAX_PREP_MINUTES:
        raise DeliveryFieldError("prep_minutes", BAD_PREP())
    return DeliveryRules(
        delivery_radius_m=radius,
        delivery_fee_tiers=tiers,
        delivery_fee_fen=_fee(rules.delivery_fee_fen, "delivery_fee", FLAT_FEE_LABEL),
        delivery_beyond_km_fen=_fee(rules.delivery_beyond_km_fen, "beyond_km_fee", BEYOND_LABEL),
        min_order_fen=_fee(rules.min_order_fen, "min_order", MIN_ORDER_LABEL, MAX_MIN_ORDER_FEN),
        prep_minutes=prep,
        delivery_slots=bool(rules.delivery_slots),
    )


def update_delivery_rules(store: Store, actor: Actor, rules: DeliveryRules) -> list[str]:
    """Save the store's own same-city rules; returns the timeline keys of what changed ([] for
    nothing). All or nothing: every value is checked before anything is stored."""
    ensure_own_store(store, actor)
    if store.kind != StoreKind.SAME_CITY:
        raise InvalidInput(SAME_CITY_ONLY())
    values = clean_rules(rules)
    before = delivery_rules_of(store)
    changed = []
    for column in _COLUMN_FIELDS:
        value = getattr(values, column)
        if getattr(before, column) != value:
            # a new list for the JSON column, so the change is seen
            setattr(store, column, [list(t) for t in value] if isinstance(value, list) else value)
            if _COLUMN_FIELDS[column] not in changed:
                changed.append(_COLUMN_FIELDS[column])
    if changed:
        _record(store, actor, PROFILE_EVENT, reason=",".join(changed))
    db.session.flush()
    return changed


# ---- words and examples for the pages ------------------------------------------------------


def km_text(metres: int | None) -> str:
    """Metres as kilometres with at most one decimal: 5000 → "5", 6200 → "6.2"."""
    if metres is None:
        return ""
    whole, rest = divmod(int(metres), 1000)
    tenth = round(rest / 100)
    if tenth == 10:
        whole, tenth = whole + 1, 0
    return f"{whole}.{tenth}" if tenth else str(whole)


@dataclass(frozen=True)
class FeeExample:
    metres: int
    km: str
    fee_fen: int | None  # None: beyond the radius, not delivered


def fee_examples(rules: DeliveryRules | Store) -> list[FeeExample]:
    """One distance inside each tier (a km short of its limit, or the limit itself when the
    tier is narrower) and one 1.2 km past the last, with the fee `fee_for` charges there; []
    without tiers (the flat fee is the whole story)."""
    tiers = rules.delivery_fee_tiers or []
    if not tiers:
        return []
    samples, previous = [], 0
    for limit, _ in tiers:
        samples.append(limit - 1000 if limit - 1000 > previous else limit)
        previous = limit
    samples.append(previous + SAMPLE_BEYOND_M)
    radius = rules.delivery_radius_m
    return [
        FeeExample(m, km_text(m), None if radius and m > radius else fee_for(rules, m))
        for m in samples
    ]
