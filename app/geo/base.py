"""What every geocoder is: a Protocol, the registry keyed by name, and the point it answers."""

from __future__ import annotations

import math
from typing import NamedTuple, Protocol

from app.adapters import Registry

# Mainland China, Hainan and the islands of the South China Sea included, with a margin: a point
# outside is a phone abroad, a typo or a forged form, never a delivery address of ours.
CHINA_LAT = (3.5, 54.0)
CHINA_LNG = (73.0, 136.0)


class Point(NamedTuple):
    """WGS-84 degrees, the datum every coordinate of ours is stored in."""

    lat: float
    lng: float


def in_china(lat: float, lng: float) -> bool:
    """Finite degrees inside China's bounding box (NaN and infinities are not)."""
    return (
        math.isfinite(lat)
        and math.isfinite(lng)
        and CHINA_LAT[0] <= lat <= CHINA_LAT[1]
        and CHINA_LNG[0] <= lng <= CHINA_LNG[1]
    )


class Geocoder(Protocol):
    name: str

    def geocode(self, address_text: str, city: str = "") -> Point | None:
        """Where the address is (WGS-84), or None when the service does not know or cannot be
        reached: a geocoder never raises into the page that asked."""


GEOCODERS = Registry[Geocoder]("geocoder")
