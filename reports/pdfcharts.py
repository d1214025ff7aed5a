"""Small SVG charts for the PDF: the topic's threat level over its reports."""

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from reports.content import THREAT_ORDER

# One colour per level, lowest first; the badge in the PDF uses the same.
THREAT_COLOURS: dict[str, str] = {
    "low": "#2f855a",
    "guarded": "#2b6cb0",
    "elevated": "#b7791f",
    "high": "#c05621",
    "critical": "#9b2c2c",
}
_FONT = "Inter, 'Liberation Sans', 'DejaVu Sans', sans-serif"


@dataclass(frozen=True)
class ThreatPoint:
    label: str  # short date of the period's end, e.g. "14 May"
    level: str  # one of THREAT_ORDER
    current: bool = False


def threat_history_svg(
    points: Sequence[ThreatPoint], *, width: float = 300.0, height: float = 130.0
) -> str:
    """A step chart of threat levels, one column per published report."""
    points = [p for p in points if p.level in THREAT_ORDER][-10:]
    left, right, top, bottom = 62.0, 10.0, 8.0, 22.0
    plot_w = width - left - right
    plot_h = height - top - bottom
    band = plot_h / len(THREAT_ORDER)

    def y_of(level: str) -> float:
        index = THREAT_ORDER.index(level)
        return top + plot_h - (index + 0.5) * band

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:g} {height:g}" '
        f'width="{width:g}" height="{height:g}" class="chart" role="img">',
        f"<style>text{{font-family:{_FONT};font-size:7.5px;fill:#4a5563;}}"
        ".cur{font-weight:bold;fill:#1d2430;}</style>",
    ]
    for i, level in enumerate(THREAT_ORDER):
        y0 = top + plot_h - (i + 1) * band
        parts.append(
            f'<rect x="{left:g}" y="{y0:.1f}" width="{plot_w:g}" height="{band:.1f}" '
            f'fill="{THREAT_COLOURS[level]}" fill-opacity="0.09"/>'
            f'<text x="{left - 5:g}" y="{y0 + band / 2 + 2.6:.1f}" '
            f'text-anchor="end">{level.capitalize()}</text>'
        )
    parts.append(
        f'<line x1="{left:g}" y1="{top + plot_h:g}" x2="{left + plot_w:g}" '
        f'y2="{top + plot_h:g}" stroke="#9aa3ae" stroke-width="0.6"/>'
    )
    if not points:
        parts.append(
            f'<text x="{left + plot_w / 2:g}" y="{top + plot_h / 2:g}" '
            'text-anchor="middle">No published reports yet</text></svg>'
        )
        return "".join(parts)

    step = plot_w / len(points)
    xs = [left + step * (i + 0.5) for i in range(len(points))]
    path = []
    for i, (x, p) in enumerate(zip(xs, points, strict=True)):
        y = y_of(p.level)
        if i == 0:
            path.append(f"M{x - step * 0.35:.1f} {y:.1f}H{x:.1f}")
        else:
            path.append(f"V{y:.1f}H{x:.1f}")
    parts.append(
        f'<path d="{"".join(path)}" fill="none" stroke="#4a5563" '
        'stroke-width="1.2" stroke-dasharray="0"/>'
    )
    for x, p in zip(xs, points, strict=True):
        y = y_of(p.level)
        colour = THREAT_COLOURS[p.level]
        r = 5.2 if p.current else 3.6
        ring = (
            ' stroke="#1d2430" stroke-width="1.4"'
            if p.current
            else (' stroke="#ffffff" stroke-width="1"')
        )
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r}" fill="{colour}"{ring}/>'
            f'<text x="{x:.1f}" y="{height - 8:g}" text-anchor="middle"'
            f"{' class="cur"' if p.current else ''}>{escape(p.label)}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)
