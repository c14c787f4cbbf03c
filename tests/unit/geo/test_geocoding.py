"""Geocoding: the 高德 adapter over real HTTP against the loopback stand-in, the datum it
converts from, the in-process stand-in and distances."""

from __future__ import annotations

import math
import socket
import time

import pytest
from werkzeug.wrappers import Response

from app.adapters import UnknownAdapter
from app.geo import GEOCODERS, AmapGeocoder, Point, StandinGeocoder, build_geocoder, distance_km
from app.geo.datum import gcj02_to_wgs84, wgs84_to_gcj02
from app.geo.standin import AmapGeocodeStandin

HAIDIAN = Point(20.0600, 110.3330)  # the table's 海甸岛 (WGS-84)
ADDRESS = "海南省海口市美兰区海甸岛人民大道 58 号"


@pytest.fixture
def amap():
    with AmapGeocodeStandin(key="right-key") as standin:
        yield standin


def close_to(a: Point, b: Point, metres: float = 1.0) -> bool:
    return distance_km(a, b) * 1000 <= metres


# --- the 高德 adapter over HTTP ------------------------------------------------------------


def test_a_known_address_comes_back_as_wgs84(amap):
    geocoder = build_geocoder(amap.settings())

    point = geocoder.geocode(ADDRESS, "海口市")

    assert isinstance(geocoder, AmapGeocoder)
    assert point is not None and close_to(point, HAIDIAN)
    # what went over the wire: our key, the address, the city
    assert amap.requests == [{"key": "right-key", "address": ADDRESS, "city": "海口市"}]


def test_the_answer_is_gcj02_and_is_converted_not_taken_as_is(amap):
    answer = amap.answer({"key": "right-key", "address": ADDRESS})
    lng, lat = map(float, answer["geocodes"][0]["location"].split(","))
    raw = Point(lat, lng)

    point = build_geocoder(amap.settings()).geocode(ADDRESS)

    assert 100 < distance_km(raw, HAIDIAN) * 1000 < 1000  # the GCJ-02 offset in 海口
    assert close_to(point, HAIDIAN)


def test_an_address_nobody_knows_is_none(amap):
    assert build_geocoder(amap.settings()).geocode("火星基地一号", "") is None
    assert build_geocoder(amap.settings()).geocode("   ") is None


def test_a_wrong_key_is_none_not_an_error(amap):
    geocoder = build_geocoder({**amap.settings(), "AMAP_KEY": "wrong-key"})

    assert geocoder.geocode(ADDRESS, "海口市") is None
    assert amap.answer({"key": "wrong-key", "address": ADDRESS})["info"] == "INVALID_USER_KEY"


def test_a_slow_service_is_given_up_quickly(amap):
    amap.delay = 2.0
    geocoder = build_geocoder({**amap.settings(), "AMAP_TIMEOUT": 0.2})

    started = time.monotonic()
    assert geocoder.geocode(ADDRESS, "海口市") is None
    assert time.monotonic() - started < 1.5


def test_a_service_that_is_not_there_is_none():
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    geocoder = AmapGeocoder({"AMAP_KEY": "k", "AMAP_BASE_URL": f"http://127.0.0.1:{port}"})

    assert geocoder.geocode(ADDRESS) is None


@pytest.mark.parametrize(
    "answer",
    [
        {"status": "1", "count": "1", "geocodes": [{"location": []}]},  # 高德's empty location
        {"status": "1", "count": "1", "geocodes": [{"location": "abc,def"}]},
        {"status": "1", "count": "1", "geocodes": [{"location": "-74.0,40.7"}]},  # New York
        {"status": "1", "count": "1", "geocodes": [{"location": "nan,nan"}]},
        {"status": "1", "count": "1", "geocodes": "nothing"},
        {"status": "0", "info": "DAILY_QUERY_OVER_LIMIT", "infocode": "10003"},
    ],
)
def test_an_odd_answer_is_none(amap, answer):
    amap.answer = lambda query: answer

    assert build_geocoder(amap.settings()).geocode(ADDRESS) is None


def test_an_answer_that_is_not_json_is_none(amap, monkeypatch):
    monkeypatch.setattr(AmapGeocodeStandin, "_json", staticmethod(lambda payload: _html()))

    assert build_geocoder(amap.settings()).geocode(ADDRESS) is None


def _html():
    return Response("<html>502 Bad Gateway</html>", status=502, content_type="text/html")


def test_amap_needs_a_key_and_an_http_url():
    with pytest.raises(ValueError, match="AMAP_KEY"):
        AmapGeocoder({"AMAP_KEY": ""})
    with pytest.raises(ValueError, match="AMAP_BASE_URL"):
        AmapGeocoder({"AMAP_KEY": "k", "AMAP_BASE_URL": "file:///etc/passwd"})


# --- the registry and the in-process stand-in ---------------------------------------------


def test_the_settings_choose_the_geocoder():
    assert isinstance(build_geocoder({}), StandinGeocoder)
    assert set(GEOCODERS.names()) >= {"amap", "standin"}
    with pytest.raises(UnknownAdapter):
        build_geocoder({"GEOCODER": "baidu"})


@pytest.mark.parametrize(
    ("address", "city", "expected"),
    [
        (ADDRESS, "", HAIDIAN),
        ("海甸岛人民大道 58 号", "海口市", HAIDIAN),  # the city says which 海甸岛
        ("海南省海口市秀英区长滨路 1 号", "", Point(20.0080, 110.2930)),
        ("海南省三亚市吉阳区大东海旅游区", "", Point(18.2220, 109.5260)),
        ("海南省琼海市嘉积镇", "", Point(19.2580, 110.4750)),
        ("广东省深圳市龙华区民治大道", "", None),  # not 海口's 龙华区
        ("", "海口市", None),
    ],
)
def test_the_standin_finds_hainan_places_most_specific_first(address, city, expected):
    assert StandinGeocoder().geocode(address, city) == expected


# --- datum and distance ---------------------------------------------------------------------


def test_wgs84_to_gcj02_matches_the_published_formula():
    # the reference value every public implementation of the formula gives for this point
    gcj = wgs84_to_gcj02(Point(39.915, 116.404))
    assert gcj.lat == pytest.approx(39.91640428150164, abs=1e-9)
    assert gcj.lng == pytest.approx(116.41024449916938, abs=1e-9)


@pytest.mark.parametrize("point", [HAIDIAN, Point(18.2530, 109.5120), Point(39.915, 116.404)])
def test_gcj02_back_to_wgs84_lands_within_centimetres(point):
    assert distance_km(gcj02_to_wgs84(wgs84_to_gcj02(point)), point) * 1000 < 0.01


def test_outside_mainland_china_nothing_is_offset():
    tokyo = Point(35.6812, 139.7671)
    assert wgs84_to_gcj02(tokyo) == tokyo


def test_distance_km():
    assert distance_km(HAIDIAN, HAIDIAN) == 0
    assert distance_km(Point(0, 0), Point(1, 0)) == pytest.approx(111.195, abs=0.01)
    # 海口 to 三亚 is a little over 200 km as the crow flies
    assert 200 < distance_km(Point(20.0440, 110.3200), Point(18.2530, 109.5120)) < 230
    assert math.isclose(distance_km(Point(0, 0), Point(0, 180)), math.pi * 6371.0088)
