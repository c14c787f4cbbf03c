"""The geocoder for development and tests, and a loopback stand-in of 高德's geocode API.

Both read one small table of 海南 places (WGS-84), matched by substring, most specific first: a
landmark or a district counts only when the address (or the city asked for) names its city, so
"深圳市龙华区" is not 海口's 龙华区.

- `GEOCODER=standin` (the default) answers in-process from the table: nothing to start.
- `AmapGeocodeStandin` is a small HTTP server on loopback that answers
  `GET /v3/geocode/geo` exactly in 高德's format (GCJ-02 "lng,lat", status "0" with
  INVALID_USER_KEY for a wrong key), so the `amap` adapter is tested over real HTTP:

    with AmapGeocodeStandin(key="dev") as amap:
        geocoder = GEOCODERS.get("amap", amap.settings())

From the shell: `python -m app.geo.standin --port 8702` prints the settings to point the app at it.
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.wrappers import Request, Response

from app.geo.base import GEOCODERS, Point
from app.geo.datum import wgs84_to_gcj02

LOOPBACK = "127.0.0.1"
PROVINCE = "海南省"


@dataclass(frozen=True)
class Place:
    key: str  # the words an address must contain
    city: str
    district: str
    lat: float  # WGS-84
    lng: float
    level: str  # 高德's 匹配级别: 兴趣点, 区县, 市

    @property
    def point(self) -> Point:
        return Point(self.lat, self.lng)

    def named_by(self, address: str, city: str) -> bool:
        if self.key not in address:
            return False
        if self.level == "市":
            return True
        short_city = self.city.removesuffix("市").removesuffix("县")
        return short_city in address or short_city in city


# Most specific first: the first place an address names is the answer.
PLACES: tuple[Place, ...] = (
    Place("海甸岛", "海口市", "美兰区", 20.0600, 110.3330, "兴趣点"),
    Place("国兴大道", "海口市", "美兰区", 20.0225, 110.3555, "兴趣点"),
    Place("骑楼老街", "海口市", "龙华区", 20.0480, 110.3480, "兴趣点"),
    Place("滨海大道", "海口市", "龙华区", 20.0420, 110.3100, "兴趣点"),
    Place("大东海", "三亚市", "吉阳区", 18.2220, 109.5260, "兴趣点"),
    Place("亚龙湾", "三亚市", "吉阳区", 18.2300, 109.6400, "兴趣点"),
    Place("博鳌", "琼海市", "", 19.1580, 110.5700, "兴趣点"),
    Place("龙华区", "海口市", "龙华区", 20.0310, 110.3280, "区县"),
    Place("美兰区", "海口市", "美兰区", 20.0290, 110.3660, "区县"),
    Place("秀英区", "海口市", "秀英区", 20.0080, 110.2930, "区县"),
    Place("琼山区", "海口市", "琼山区", 20.0030, 110.3540, "区县"),
    Place("天涯区", "三亚市", "天涯区", 18.2990, 109.5060, "区县"),
    Place("吉阳区", "三亚市", "吉阳区", 18.2760, 109.5780, "区县"),
    Place("海棠区", "三亚市", "海棠区", 18.4000, 109.7520, "区县"),
    Place("崖州区", "三亚市", "崖州区", 18.3570, 109.1710, "区县"),
    Place("海口", "海口市", "", 20.0440, 110.3200, "市"),
    Place("三亚", "三亚市", "", 18.2530, 109.5120, "市"),
    Place("琼海", "琼海市", "", 19.2580, 110.4750, "市"),
    Place("文昌", "文昌市", "", 19.5430, 110.7980, "市"),
    Place("儋州", "儋州市", "", 19.5210, 109.5810, "市"),
    Place("万宁", "万宁市", "", 18.7960, 110.3890, "市"),
    Place("五指山", "五指山市", "", 18.7750, 109.5170, "市"),
    Place("定安", "定安县", "", 19.6810, 110.3590, "市"),
    Place("澄迈", "澄迈县", "", 19.7390, 110.0070, "市"),
)


def find_place(address: str, city: str = "") -> Place | None:
    return next((place for place in PLACES if place.named_by(address, city)), None)


@GEOCODERS.register("standin")
class StandinGeocoder:
    """In-process: the table's point itself (already WGS-84), no network."""

    name = "standin"

    def __init__(self, config: Mapping[str, Any] | None = None) -> None:
        pass

    def geocode(self, address_text: str, city: str = "") -> Point | None:
        place = find_place(address_text.strip(), city.strip()) if address_text.strip() else None
        return place.point if place else None


class AmapGeocodeStandin:
    """高德 `GET /v3/geocode/geo` on a free loopback port.

    Answers like the vendor: HTTP 200 always, status "1" with `count` and `geocodes` (location
    "lng,lat" in GCJ-02, six decimals), status "0" with INVALID_USER_KEY for another key and
    INVALID_PARAMS without an address. `delay` seconds before answering simulate a slow service;
    `requests` records the query of each request.
    """

    def __init__(self, key: str = "dev", delay: float = 0.0) -> None:
        self.key = key
        self.delay = delay
        self.requests: list[dict[str, str]] = []
        self._lock = threading.Lock()
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    def start(self, port: int = 0) -> str:
        if self._server is None:
            self._server = make_server(LOOPBACK, port, self._wsgi, threaded=True)
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": 0.05},
                name="amap-geocode-standin",
                daemon=True,
            )
            self._thread.start()
        return self.url

    def stop(self) -> None:
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> AmapGeocodeStandin:
        self.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("amap geocode stand-in is not started")
        return f"http://{LOOPBACK}:{self._server.server_port}"

    def settings(self) -> dict[str, str]:
        """The settings that point the app's `amap` geocoder at this stand-in."""
        return {"GEOCODER": "amap", "AMAP_KEY": self.key, "AMAP_BASE_URL": self.url}

    def _wsgi(self, environ, start_response):
        request = Request(environ)
        return self.handle(request)(environ, start_response)

    def handle(self, request: Request) -> Response:
        if request.path != "/v3/geocode/geo":
            return Response("not found", status=404)
        query = {name: request.args.get(name, "") for name in ("key", "address", "city")}
        with self._lock:
            self.requests.append(query)
        if self.delay:
            time.sleep(self.delay)
        return self._json(self.answer(query))

    def answer(self, query: Mapping[str, str]) -> dict[str, Any]:
        if query.get("key") != self.key:
            return {"status": "0", "info": "INVALID_USER_KEY", "infocode": "10001"}
        address = (query.get("address") or "").strip()
        if not address:
            return {"status": "0", "info": "INVALID_PARAMS", "infocode": "20000"}
        place = find_place(address, query.get("city") or "")
        if place is None:
            return {"status": "1", "info": "OK", "infocode": "10000", "count": "0", "geocodes": []}
        there = wgs84_to_gcj02(place.point)
        geocode = {
            "formatted_address": f"{PROVINCE}{place.city}{place.district}"
            + (place.key if place.level == "兴趣点" else ""),
            "country": "中国",
            "province": PROVINCE,
            "citycode": "0898",
            "city": place.city,
            "district": place.district or [],
            "township": [],
            "street": [],
            "number": [],
            "location": f"{there.lng:.6f},{there.lat:.6f}",
            "level": place.level,
        }
        return {
            "status": "1",
            "info": "OK",
            "infocode": "10000",
            "count": "1",
            "geocodes": [geocode],
        }

    @staticmethod
    def _json(payload: dict) -> Response:
        return Response(
            json.dumps(payload, ensure_ascii=False), content_type="application/json;charset=UTF-8"
        )


def serve_forever(port: int = 0, key: str = "dev") -> None:
    """Run the stand-in in the foreground and print the settings that point the app at it."""
    standin = AmapGeocodeStandin(key)
    standin.start(port)
    for name, value in standin.settings().items():
        print(f"{name}={value}")
    print(f"# 高德 geocode stand-in on {standin.url}; Ctrl-C stops it", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        standin.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=serve_forever.__doc__)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--key", default="dev")
    options = parser.parse_args()
    serve_forever(options.port, options.key)
