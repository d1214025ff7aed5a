"""Small geographic helpers: distances and a topic's area with a margin."""

import math

EARTH_RADIUS_KM = 6371.0088


def distance_km(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance by the haversine formula."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlmb = math.radians(lng2 - lng1)
    a = (
        math.sin(dphi / 2) ** 2
        + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def in_area(
    lat: float,
    lng: float,
    *,
    south: float,
    west: float,
    north: float,
    east: float,
    margin_deg: float = 1.0,
) -> bool:
    """Whether a point lies in the box, widened by `margin_deg` on each side."""
    return (
        south - margin_deg <= lat <= north + margin_deg
        and west - margin_deg <= lng <= east + margin_deg
    )
