"""高德 Web 服务 地理编码 (geocode API v3): an address in, a point out.

    GET {AMAP_BASE_URL}/v3/geocode/geo?key=…&address=…&city=…&output=JSON
    → {"status": "1", "info": "OK", "count": "1",
       "geocodes": [{"location": "110.338521,20.057911", "level": "兴趣点", …}]}

`location` is "lng,lat" in GCJ-02; we convert it to WGS-84 (app/geo/datum.py), the datum every
coordinate of ours is stored in. Any failure (unreachable, slow, a refused key, no match, a
malformed answer) is logged and answers None: the address is kept without coordinates.

The request is one plain GET, so it goes through the standard library (no SDK exists for it).
"""

from __future__ import annotations

import http.client
import json
import logging
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode, urlsplit
from urllib.request import Request, urlopen

from app.geo.base import GEOCODERS, Point, in_china
from app.geo.datum import gcj02_to_wgs84

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://restapi.amap.com"
GEOCODE_PATH = "/v3/geocode/geo"
# Saving an address waits for this: short, and a slow answer only means no coordinates.
DEFAULT_TIMEOUT_SECONDS = 3.0
MAX_ANSWER_BYTES = 256 * 1024  # one geocode answer is a few hundred bytes
MAX_ADDRESS_CHARS = 200  # what we send; our longest address line is 255 characters


@GEOCODERS.register("amap")
class AmapGeocoder:
    name = "amap"

    def __init__(self, config: Mapping[str, Any]) -> None:
        self.key = str(config.get("AMAP_KEY") or "").strip()
        if not self.key:
            raise ValueError("GEOCODER=amap needs AMAP_KEY (a 高德 Web 服务 key)")
        base = str(config.get("AMAP_BASE_URL") or DEFAULT_BASE_URL).rstrip("/")
        if urlsplit(base).scheme not in ("http", "https"):
            raise ValueError(f"AMAP_BASE_URL must be an http(s) URL, not {base!r}")
        self.url = base + GEOCODE_PATH
        self.timeout = float(config.get("AMAP_TIMEOUT") or DEFAULT_TIMEOUT_SECONDS)

    def geocode(self, address_text: str, city: str = "") -> Point | None:
        address_text = address_text.strip()[:MAX_ADDRESS_CHARS]
        if not address_text:
            return None
        query = {"key": self.key, "address": address_text, "output": "JSON"}
        if city.strip():
            query["city"] = city.strip()
        payload = self._get(query)
        if payload is None:
            return None
        if str(payload.get("status")) != "1":
            log.warning(
                "amap geocode refused: %s (%s)", payload.get("info"), payload.get("infocode")
            )
            return None
        geocodes = payload.get("geocodes")
        if not isinstance(geocodes, list) or not geocodes or not isinstance(geocodes[0], dict):
            log.info("amap geocode found nothing for %r", address_text)
            return None
        return _wgs84_of(geocodes[0].get("location"))

    def _get(self, query: dict[str, str]) -> dict | None:
        request = Request(f"{self.url}?{urlencode(query)}", headers={"Accept": "application/json"})
        try:
            with urlopen(request, timeout=self.timeout) as response:
                body = response.read(MAX_ANSWER_BYTES + 1)
        except (OSError, http.client.HTTPException) as exc:  # URLError, timeouts, resets
            log.warning("amap geocode unreachable: %s", exc)
            return None
        if len(body) > MAX_ANSWER_BYTES:
            log.warning("amap geocode answer too large")
            return None
        try:
            payload = json.loads(body)
        except ValueError:
            log.warning("amap geocode answered something that is not JSON")
            return None
        return payload if isinstance(payload, dict) else None


def _wgs84_of(location: object) -> Point | None:
    """ "lng,lat" (GCJ-02) → a WGS-84 point; None for anything else (高德 sends [] when empty)."""
    if not isinstance(location, str):
        return None
    lng_text, sep, lat_text = location.partition(",")
    try:
        lng, lat = float(lng_text), float(lat_text)
    except ValueError:
        return None
    if not sep or not in_china(lat, lng):
        return None
    return gcj02_to_wgs84(Point(lat, lng))
