"""Distances on the Earth's surface, in kilometres."""

from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from math import asin, cos, pi, radians, sin, sqrt

EARTH_RADIUS_KM = 6371.0088
# Two points a degree of latitude apart are at least this far apart, whatever their longitudes.
KM_PER_DEGREE = EARTH_RADIUS_KM * pi / 180


@dataclass(frozen=True)
class Place:
    """A point with its trigonometry worked out once, for places measured from again and again."""
    lat: float
    lng: float
    phi: float  # latitude in radians
    lam: float  # longitude in radians
    cos_phi: float


def place(lat: float, lng: float) -> Place:
    phi = radians(lat)
    return Place(lat, lng, phi, radians(lng), cos(phi))


def km_between(a: Place, b: Place) -> float:
    """Great-circle (straight-line) distance."""
    return _arc(a.phi, a.cos_phi, a.lam, b.phi, b.cos_phi, b.lam)


def haversine_km(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle (straight-line) distance between two points given in degrees."""
    p1, p2 = radians(lat1), radians(lat2)
    return _arc(p1, cos(p1), radians(lng1), p2, cos(p2), radians(lng2))


def _arc(phi1: float, cos1: float, lam1: float, phi2: float, cos2: float, lam2: float) -> float:
    """The haversine formula."""
    h = sin((phi2 - phi1) / 2) ** 2 + cos1 * cos2 * sin((lam2 - lam1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * asin(min(1.0, sqrt(h)))


class Nearby:
    """Points found by distance from a place without measuring to every one: kept by latitude, only those
    in the band of latitude the radius spans are measured (a degree of latitude is at least
    ``KM_PER_DEGREE`` km, so none outside it can be within)."""

    def __init__(self, points: Iterable[tuple[float, float, str]]) -> None:
        self._points = sorted(points)  # (lat, lng, id)
        self._latitudes = [lat for lat, _, _ in self._points]

    def within(self, lat: float, lng: float, radius_km: float) -> list[tuple[float, str]]:
        """(km, id) of the points within the radius, nearest first (then by id)."""
        band = radius_km / KM_PER_DEGREE * (1 + 1e-9)  # (a point on the very edge stays in)
        low, high = bisect_left(self._latitudes, lat - band), bisect_right(self._latitudes, lat + band)
        found = ((haversine_km(lat, lng, p_lat, p_lng), i) for p_lat, p_lng, i in self._points[low:high])
        return sorted((km, i) for km, i in found if km <= radius_km)


def on_sphere(p: Place) -> tuple[float, float, float]:
    """The point on the unit sphere. The chord between two such points grows with their great-circle
    distance: ranking many places by it needs no trigonometry per place."""
    return p.cos_phi * cos(p.lam), p.cos_phi * sin(p.lam), sin(p.phi)
