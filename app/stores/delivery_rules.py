"""A same-city store's delivery rules (SPEC §6, seed 004 同城配送): how far it delivers, the fee
by distance, the least it delivers (起送价), its preparation time and the 30-minute slots a buyer
may choose today or tomorrow within its hours.

Distance is the great circle from the store to the buyer's address (`app.geo.distance`); a road
distance adapter may replace it later. Fees: the first tier whose limit covers the distance;
beyond the last tier, its fee plus `delivery_beyond_km_fen` per started kilometre. A store with
no tiers charges its flat `delivery_fee_fen` wherever it delivers.

    tiers [[3000, 300], [5000, 500]], beyond 100 →  2.1 km ¥3, 4.0 km ¥5, 6.2 km ¥7 (5 + 2 km)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from app.clock import local_day_start, to_local, utcnow
from app.errors import InvalidInput
from app.geo.base import Point
from app.geo.distance import distance_km
from app.i18n_markers import N_
from app.messages import define
from app.money import format_fen

OUT_OF_RANGE = define(
    "delivery_out_of_range",
    N_("超出配送范围：%(store)s 配送 %(radius)s 公里内，您的地址约 %(distance)s 公里"),
)
BELOW_MINIMUM = define(
    "delivery_below_minimum", N_("%(store)s 未达起送价 %(minimum)s（还差 %(short)s）")
)
NO_LOCATION = define(
    "delivery_no_location", N_("无法确定收货地址的位置，请在地址中选择定位后再下单")
)
BAD_SLOT = define("delivery_bad_slot", N_("请选择 %(store)s 可送达的时间段"))
BAD_TIERS = define("delivery_bad_tiers", N_("配送费阶梯须按距离从近到远填写，距离和费用都不能为负"))

SLOT_MINUTES = 30


@dataclass(frozen=True)
class Quote:
    distance_m: int | None  # None: the store or the address has no position
    fee_fen: int


def distance_m(store, lat: float | None, lng: float | None) -> int | None:
    if store.lat is None or store.lng is None or lat is None or lng is None:
        return None
    return round(distance_km(Point(store.lat, store.lng), Point(lat, lng)) * 1000)


def clean_tiers(rows: list[tuple[int, int]]) -> list[list[int]]:
    """[(up_to_metres, fee_fen)] ascending by distance, none negative (the settings form)."""
    tiers = [[int(limit), int(fee)] for limit, fee in rows]
    if any(limit <= 0 or fee < 0 for limit, fee in tiers) or any(
        a[0] >= b[0] for a, b in zip(tiers, tiers[1:], strict=False)
    ):
        raise InvalidInput(BAD_TIERS())
    return tiers


def fee_for(store, metres: int | None) -> int:
    """The fee for this distance (the flat fee when the store has no tiers or no distance)."""
    tiers = store.delivery_fee_tiers or []
    if not tiers or metres is None:
        return store.delivery_fee_fen
    for limit, fee in tiers:
        if metres <= limit:
            return int(fee)
    limit, fee = tiers[-1]
    beyond_km = math.ceil((metres - limit) / 1000)
    return int(fee) + beyond_km * store.delivery_beyond_km_fen


def starting_fee(store) -> int:
    """The least a delivery costs (the nearest tier, or the flat fee): what the cart and the
    store page show before an address gives the distance."""
    tiers = store.delivery_fee_tiers or []
    return min(int(fee) for _, fee in tiers) if tiers else store.delivery_fee_fen


def _km(metres: int) -> str:
    return f"{metres / 1000:.1f}".rstrip("0").rstrip(".")


def quote(store, lat: float | None, lng: float | None) -> Quote:
    """The distance and fee for delivering to (lat, lng); refuses an address beyond the radius,
    and one without a position when the store limits its radius."""
    metres = distance_m(store, lat, lng)
    if store.delivery_radius_m:
        if metres is None:
            raise InvalidInput(NO_LOCATION())
        if metres > store.delivery_radius_m:
            raise InvalidInput(
                OUT_OF_RANGE(
                    store=store.name,
                    radius=_km(store.delivery_radius_m),
                    distance=_km(metres),
                )
            )
    return Quote(metres, fee_for(store, metres))


def check_minimum(store, goods_fen: int) -> None:
    """起送价: same-city delivery only from this goods amount."""
    if store.min_order_fen and goods_fen < store.min_order_fen:
        raise InvalidInput(
            BELOW_MINIMUM(
                store=store.name,
                minimum=format_fen(store.min_order_fen),
                short=format_fen(store.min_order_fen - goods_fen),
            )
        )


def _clock(text: str) -> time | None:
    if text == "24:00":
        return None
    hours, minutes = map(int, text.split(":"))
    return time(hours, minutes)


def slots(store, now: datetime | None = None) -> list[datetime]:
    """The starts (UTC) of the 30-minute slots a buyer may choose: today from the next slot after
    the preparation time, and tomorrow, within the store's hours."""
    now = now or utcnow()
    earliest = now + timedelta(minutes=store.prep_minutes or 0)
    today = to_local(now).date()
    found = []
    for day in (today, today + timedelta(days=1)):
        found += [s for s in _day_slots(store, day) if s >= earliest]
    return found


def _day_slots(store, day: date) -> list[datetime]:
    start = local_day_start(day)
    opens, closes = _clock(store.opens_at or "00:00"), _clock(store.closes_at or "24:00")
    first = start + timedelta(hours=opens.hour, minutes=opens.minute) if opens else start
    last = (
        start + timedelta(hours=closes.hour, minutes=closes.minute)
        if closes
        else start + timedelta(days=1)
    )
    if last <= first:  # open past midnight: until the end of the day
        last = start + timedelta(days=1)
    out, at = [], first
    while at + timedelta(minutes=SLOT_MINUTES) <= last:
        out.append(at)
        at += timedelta(minutes=SLOT_MINUTES)
    return out


def check_slot(store, chosen: datetime | None, now: datetime | None = None) -> datetime | None:
    """The chosen slot if the store offers it (None when the store takes no slots)."""
    if not store.delivery_slots:
        return None
    if chosen is None or chosen not in slots(store, now):
        raise InvalidInput(BAD_SLOT(store=store.name))
    return chosen
