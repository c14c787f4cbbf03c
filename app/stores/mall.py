"""The mall's merchant list (SPEC §2): open stores only, sorted by join time, name or distance
from where the buyer is (their chosen address, or their phone's location).

One query loads the stores; distances are worked out here (a few hundred stores at most, and
the same answer on SQLite and PostgreSQL). Names sort by character code, which for Chinese is
the dictionary's radical-and-stroke order (no pinyin library needed).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select

from app.accounts.models import Address
from app.extensions import db
from app.geo import Point, distance_km, in_china
from app.i18n_markers import N_
from app.stores.models import BusinessStatus, Store

# ?sort= values and their labels, in the order the switch shows them
SORTS = {
    "default": N_("默认"),
    "distance": N_("距离最近"),
    "name": N_("名称"),
    "new": N_("最新入驻"),
}
DEFAULT_SORT = "default"


@dataclass(frozen=True)
class MallStore:
    store: Store
    distance_km: float | None  # None without an origin or without the store's coordinates

    @property
    def all_day(self) -> bool:
        return self.store.opens_at == "00:00" and self.store.closes_at == "24:00"

    @property
    def stars(self) -> int:
        return min(max(self.store.rating or 0, 1), 5)

    @property
    def distance_text(self) -> str:
        """ "850 m" under a kilometre, "1.2 km" beyond, "" when unknown."""
        if self.distance_km is None:
            return ""
        metres = round(self.distance_km * 100) * 10  # to the nearest 10 m
        if metres < 1000:
            return f"{max(metres, 10)} m"
        if self.distance_km < 100:
            return f"{self.distance_km:.1f} km"
        return f"{self.distance_km:.0f} km"


@dataclass(frozen=True)
class Origin:
    """Where distances are measured from: one of the buyer's addresses, or the phone."""

    point: Point
    address: Address | None = None  # None: the phone's location

    @property
    def args(self) -> dict[str, str | int]:
        """The query-string arguments that bring a link back to this origin."""
        if self.address is not None:
            return {"address": self.address.id}
        return {"lat": f"{self.point.lat:.6f}", "lng": f"{self.point.lng:.6f}"}


def mall_stores(sort: str = DEFAULT_SORT, origin: Origin | Point | None = None) -> list[MallStore]:
    """Open, not deleted stores with their distance from `origin`. Sorts: "default" (oldest
    first, the order stores joined), "new" (newest first), "name", "distance" (nearest first,
    stores without coordinates last; without an origin the default order)."""
    point = origin.point if isinstance(origin, Origin) else origin
    newest_first = sort == "new"
    query = (
        select(Store)
        .where(Store.business_status == BusinessStatus.OPEN, Store.deleted_at.is_(None))
        .order_by(
            Store.created_at.desc() if newest_first else Store.created_at,
            Store.id.desc() if newest_first else Store.id,
        )
    )
    rows = [
        MallStore(store, _distance(point, store)) for store in db.session.execute(query).scalars()
    ]
    if sort == "name":
        rows.sort(key=lambda row: (row.store.name, row.store.id))
    elif sort == "distance":
        # stable: equal distances (and every store without coordinates) keep the join order
        rows.sort(key=lambda row: (row.distance_km is None, row.distance_km or 0.0))
    return rows


def mall_origin(
    addresses: Sequence[Address],
    address_id: int | None = None,
    lat: float | None = None,
    lng: float | None = None,
) -> Origin | None:
    """Where this buyer is: the phone's location when sent (and inside China), else the address
    they chose among `addresses` (their own; another id is ignored), else their default
    address; None when none of these has coordinates."""
    if lat is not None and lng is not None and in_china(lat, lng):
        return Origin(Point(lat, lng))
    chosen = next((a for a in addresses if a.id == address_id), None) if address_id else None
    chosen = chosen or next((a for a in addresses if a.is_default), None)
    if chosen is None or chosen.lat is None or chosen.lng is None:
        return None
    return Origin(Point(chosen.lat, chosen.lng), chosen)


def _distance(origin: Point | None, store: Store) -> float | None:
    if origin is None or store.lat is None or store.lng is None:
        return None
    return distance_km(origin, Point(store.lat, store.lng))
