"""Offline country borders from the bundled Natural Earth TopoJSON.

Both the editor's Leaflet base layer and the PDF's vector map draw from here,
so no tile server or network is ever needed to show where a hotspot is.
"""

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

DATA_FILE = Path(__file__).parent / "geodata" / "countries-50m.json"

Ring = list[tuple[float, float]]  # (lng, lat) points, closed


@dataclass(frozen=True)
class Country:
    name: str
    iso_numeric: str
    polygons: list[list[Ring]]  # polygon -> rings (outer first) -> points

    def bounds(self) -> tuple[float, float, float, float]:
        """(west, south, east, north) of every ring."""
        lngs = [p[0] for poly in self.polygons for ring in poly for p in ring]
        lats = [p[1] for poly in self.polygons for ring in poly for p in ring]
        return min(lngs), min(lats), max(lngs), max(lats)

    def intersects(self, west: float, south: float, east: float, north: float) -> bool:
        # Per polygon: a country spread over the globe (islands across the
        # antimeridian) must not count as near everything.
        for poly in self.polygons:
            lngs = [p[0] for p in poly[0]]
            lats = [p[1] for p in poly[0]]
            if not (
                max(lngs) < west
                or min(lngs) > east
                or max(lats) < south
                or min(lats) > north
            ):
                return True
        return False


def _decode_arcs(topology: dict[str, Any]) -> list[Ring]:
    scale_x, scale_y = topology["transform"]["scale"]
    shift_x, shift_y = topology["transform"]["translate"]
    arcs: list[Ring] = []
    for arc in topology["arcs"]:
        x = y = 0
        points: Ring = []
        # Quantised, delta-encoded positions: each pair moves from the last.
        for dx, dy in arc:
            x += dx
            y += dy
            points.append((x * scale_x + shift_x, y * scale_y + shift_y))
        arcs.append(points)
    return arcs


def _ring(arcs: list[Ring], indexes: list[int]) -> Ring:
    points: Ring = []
    for index in indexes:
        # A negative index is the one's complement of an arc walked backwards.
        arc = arcs[index] if index >= 0 else arcs[~index][::-1]
        points.extend(arc[1:] if points else arc)
    return points


@lru_cache(maxsize=1)
def countries() -> tuple[Country, ...]:
    topology = json.loads(DATA_FILE.read_text())
    arcs = _decode_arcs(topology)
    result = []
    for geometry in topology["objects"]["countries"]["geometries"]:
        if geometry["type"] == "Polygon":
            shapes = [geometry["arcs"]]
        elif geometry["type"] == "MultiPolygon":
            shapes = geometry["arcs"]
        else:
            continue
        polygons = [[_ring(arcs, ring) for ring in shape] for shape in shapes]
        result.append(
            Country(
                name=geometry.get("properties", {}).get("name", ""),
                iso_numeric=str(geometry.get("id", "")),
                polygons=polygons,
            )
        )
    return tuple(result)


def countries_in(west: float, south: float, east: float, north: float) -> list[Country]:
    return [c for c in countries() if c.intersects(west, south, east, north)]


def as_geojson(countries_: list[Country]) -> dict[str, Any]:
    """A GeoJSON FeatureCollection for Leaflet."""
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"name": c.name},
                "geometry": {
                    "type": "MultiPolygon",
                    "coordinates": [
                        [[list(p) for p in ring] for ring in poly]
                        for poly in c.polygons
                    ],
                },
            }
            for c in countries_
        ],
    }
