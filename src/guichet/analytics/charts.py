"""Server-rendered SVG charts: readable at a glance, accessible (role="img", title, desc) and always shown
beside a data table. Series differ by colour *and* dash pattern, so colour is never the only cue."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT = 760, 260
LEFT, RIGHT, TOP, BOTTOM = 56, 44, 16, 44
# Colours with >= 3:1 contrast on white; dashes tell series apart without colour.
STYLES = (("#1f4e8c", ""), ("#a4262c", "6 3"), ("#1d6b2f", "2 3"), ("#6b3fa0", "10 3 2 3"))
_ids = itertools.count(1)


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | None]


@dataclass(frozen=True)
class Chart:
    svg: SafeString
    title: str


def _nice_max(value: float) -> float:
    """The smallest 1/2/2.5/5 x 10^n at or above `value`: round axis labels."""
    if value <= 0:
        return 1.0
    magnitude = 10 ** math.floor(math.log10(value))
    return next(step * magnitude for step in (1, 2, 2.5, 5, 10) if step * magnitude >= value)


def _scale(maximum: float) -> Callable[[float], float]:
    plot_height = HEIGHT - TOP - BOTTOM
    return lambda value: TOP + plot_height * (1 - value / maximum)


def _x_positions(count: int) -> list[float]:
    plot_width = WIDTH - LEFT - RIGHT
    if count <= 1:
        return [LEFT + plot_width / 2] * count
    return [LEFT + plot_width * i / (count - 1) for i in range(count)]


def _frame(title: str, description: str, body: list[str], maximum: float, fmt: Callable[[float], str],
           labels: Sequence[str], xs: Sequence[float], legend: Sequence[Series]) -> Chart:
    uid = next(_ids)
    y = _scale(maximum)
    parts = [f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT + 20 * len(legend)}" role="img" '
             f'aria-labelledby="chart-{uid}-title chart-{uid}-desc" xmlns="http://www.w3.org/2000/svg">',
             f'<title id="chart-{uid}-title">{escape(title)}</title>',
             f'<desc id="chart-{uid}-desc">{escape(description)}</desc>']
    for step in range(5):  # grid and y axis labels
        value = maximum * step / 4
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(value):.1f}" y2="{y(value):.1f}" '
                     f'stroke="#d0d0d0" stroke-width="1"/>')
        parts.append(f'<text x="{LEFT - 6}" y="{y(value) + 4:.1f}" text-anchor="end" font-size="11" '
                     f'fill="#1b1b1b">{escape(fmt(value))}</text>')
    every = max(1, len(labels) // 8)
    for index, (label, x) in enumerate(zip(labels, xs, strict=True)):
        if index % every == 0:
            parts.append(f'<text x="{x:.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle" font-size="11" '
                         f'fill="#1b1b1b">{escape(label)}</text>')
    parts += body
    for index, serie in enumerate(legend):
        colour, dash = STYLES[index % len(STYLES)]
        top = HEIGHT + 20 * index - 4
        parts.append(f'<line x1="{LEFT}" x2="{LEFT + 28}" y1="{top}" y2="{top}" stroke="{colour}" '
                     f'stroke-width="3" stroke-dasharray="{dash}"/>')
        parts.append(f'<text x="{LEFT + 36}" y="{top + 4}" font-size="12" fill="#1b1b1b">{escape(serie.name)}</text>')
    parts.append("</svg>")
    return Chart(svg=mark_safe("".join(parts)), title=title)  # noqa: S308 - every text above is escaped


def line_chart(title: str, description: str, labels: Sequence[str], series: Sequence[Series],
               fmt: Callable[[float], str] = lambda v: f"{v:g}", maximum: float | None = None) -> Chart:
    values = [v for serie in series for v in serie.values if v is not None]
    top = maximum if maximum is not None else _nice_max(max(values, default=0))
    y, xs = _scale(top), _x_positions(len(labels))
    body = []
    for index, serie in enumerate(series):
        colour, dash = STYLES[index % len(STYLES)]
        # A missing value (nothing to measure) breaks the line instead of pretending it was zero.
        segments: list[list[str]] = [[]]
        for x, value in zip(xs, serie.values, strict=True):
            if value is None:
                segments.append([])
            else:
                segments[-1].append(f"{x:.1f},{y(value):.1f}")
        for points in segments:
            if len(points) > 1:
                body.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" stroke-dasharray="{dash}" '
                            f'points="{" ".join(points)}"/>')
            elif points:
                px, py = points[0].split(",")
                body.append(f'<circle cx="{px}" cy="{py}" r="2.5" fill="{colour}"/>')
    return _frame(title, description, body, top, fmt, labels, xs, series)


def bar_chart(title: str, description: str, labels: Sequence[str], serie: Series,
              fmt: Callable[[float], str] = lambda v: f"{v:g}", maximum: float | None = None) -> Chart:
    values = [v for v in serie.values if v is not None]
    top = maximum if maximum is not None else _nice_max(max(values, default=0))
    y, xs = _scale(top), _x_positions(len(labels))
    plot_width = WIDTH - LEFT - RIGHT
    bar = max(1.0, 0.7 * plot_width / max(1, len(labels)))
    if len(labels) > 1:
        xs = [LEFT + bar / 2 + (plot_width - bar) * i / (len(labels) - 1) for i in range(len(labels))]
    colour = STYLES[0][0]
    body = [f'<rect x="{x - bar / 2:.1f}" y="{y(v):.1f}" width="{bar:.1f}" height="{y(0) - y(v):.1f}" '
            f'fill="{colour}"/>' for x, v in zip(xs, serie.values, strict=True) if v]
    return _frame(title, description, body, top, fmt, labels, xs, [serie])
