"""WGS-84 and GCJ-02 (the "火星坐标" every map service in mainland China answers in).

We store WGS-84 everywhere (what a phone's GPS gives, what the distance maths assumes) and convert
at the one border that speaks GCJ-02: the 高德 geocoder. GCJ-02 is WGS-84 plus a published
offset polynomial (a few hundred metres); its inverse has no closed form, so `gcj02_to_wgs84`
subtracts the offset and corrects itself a few times, which lands within centimetres.

Outside mainland China the offset is not applied (Hong Kong, Macao and abroad are plain WGS-84
on 高德 too); the rough bounding box below is the one the public implementations use.
"""

from __future__ import annotations

import math

from app.geo.base import Point

_A = 6378245.0  # Krasovsky 1940 semi-major axis, as the GCJ-02 formula uses it
_EE = 0.00669342162296594323  # its first eccentricity squared
_REFINEMENTS = 4


def _outside_mainland(lat: float, lng: float) -> bool:
    return not (72.004 <= lng <= 137.8347 and 0.8293 <= lat <= 55.8271)


def _lat_term(x: float, y: float) -> float:
    value = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    value += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    value += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    value += (
        (160.0 * math.sin(y / 12.0 * math.pi) + 320.0 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    )
    return value


def _lng_term(x: float, y: float) -> float:
    value = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    value += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    value += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    value += (
        (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    )
    return value


def _offset(lat: float, lng: float) -> tuple[float, float]:
    """GCJ-02 minus WGS-84 at a WGS-84 point, in degrees (lat, lng)."""
    if _outside_mainland(lat, lng):
        return 0.0, 0.0
    dlat = _lat_term(lng - 105.0, lat - 35.0)
    dlng = _lng_term(lng - 105.0, lat - 35.0)
    radlat = lat / 180.0 * math.pi
    magic = 1 - _EE * math.sin(radlat) ** 2
    sqrt_magic = math.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrt_magic) * math.pi)
    dlng = (dlng * 180.0) / (_A / sqrt_magic * math.cos(radlat) * math.pi)
    return dlat, dlng


def wgs84_to_gcj02(point: Point) -> Point:
    dlat, dlng = _offset(point.lat, point.lng)
    return Point(point.lat + dlat, point.lng + dlng)


def gcj02_to_wgs84(point: Point) -> Point:
    """The WGS-84 point whose GCJ-02 is `point`: start one offset back, then correct by what
    the forward formula misses (each step shrinks the error about a thousandfold)."""
    guess = point
    for _ in range(_REFINEMENTS):
        there = wgs84_to_gcj02(guess)
        guess = Point(guess.lat - (there.lat - point.lat), guess.lng - (there.lng - point.lng))
    return guess
