"""Where things are: geocoding addresses (ARCHITECTURE rule 9) and distances between points.

`GEOCODER` in the settings picks the adapter: "standin" (default; a built-in table of 海南
places, in-process) or "amap" (高德 Web 服务 with `AMAP_KEY`, `AMAP_BASE_URL` to point it
elsewhere, such as `app.geo.standin.AmapGeocodeStandin`). Every coordinate we store is WGS-84.

    point = get_geocoder().geocode("海南省海口市美兰区海甸岛人民大道 58 号", "海口市")
    distance_km(point, Point(store.lat, store.lng))
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import current_app

from app.geo.amap import AmapGeocoder
from app.geo.base import GEOCODERS, Geocoder, Point, in_china
from app.geo.distance import distance_km
from app.geo.standin import StandinGeocoder

__all__ = [
    "GEOCODERS",
    "AmapGeocoder",
    "Geocoder",
    "Point",
    "StandinGeocoder",
    "build_geocoder",
    "distance_km",
    "get_geocoder",
    "in_china",
]

DEFAULT_GEOCODER = "standin"
_EXTENSION = "geocoder"


def build_geocoder(config: Mapping[str, Any]) -> Geocoder:
    """A new geocoder named by `GEOCODER`; UnknownAdapter for a name nobody registered."""
    return GEOCODERS.get(config.get("GEOCODER") or DEFAULT_GEOCODER, config)


def get_geocoder() -> Geocoder:
    """The current app's geocoder, built once per app."""
    extensions = current_app.extensions
    geocoder = extensions.get(_EXTENSION)
    if geocoder is None:
        geocoder = extensions.setdefault(_EXTENSION, build_geocoder(current_app.config))
    return geocoder
