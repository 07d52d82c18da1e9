"""Twelve months of a village or a township as plain SVG geometry (no JavaScript).

:func:`score_chart` and :func:`volume_chart` turn :class:`MonthPoint` rows into coordinates; the
template ``scorecards/_charts.html`` draws them. Pure: no Flask, no database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from ..services.scorecard import MonthPoint

WIDTH = 640
HEIGHT = 200
LEFT, RIGHT, TOP, BOTTOM = 40, 10, 12, 28


@dataclass
class Chart:
    width: int = WIDTH
    height: int = HEIGHT
    x_labels: list[tuple[float, str, bool]] = field(
        default_factory=list
    )  # x, "11月"/"2026-11", frozen
    y_ticks: list[tuple[float, str]] = field(default_factory=list)
    lines: list[dict] = field(default_factory=list)  # {"name", "points": "x,y x,y", "dots": [...]}
    bars: list[dict] = field(default_factory=list)  # {"name", "x", "y", "w", "h", "title"}

    @property
    def plot(self) -> dict:
        return {
            "left": LEFT,
            "right": self.width - RIGHT,
            "top": TOP,
            "bottom": self.height - BOTTOM,
        }


def _x(index: int, count: int) -> float:
    step = (WIDTH - LEFT - RIGHT) / max(count, 1)
    return round(LEFT + step * (index + 0.5), 1)


def _y(value: float, top: float) -> float:
    span = HEIGHT - TOP - BOTTOM
    return round(HEIGHT - BOTTOM - span * (value / top if top else 0), 1)


def _frame(points: list[MonthPoint], top: float, ticks: list[float], tick_text) -> Chart:
    chart = Chart()
    chart.x_labels = [(_x(i, len(points)), str(p.month), p.is_frozen) for i, p in enumerate(points)]
    chart.y_ticks = [(_y(tick, top), tick_text(tick)) for tick in ticks]
    return chart


def _line(
    name: str, points: list[MonthPoint], values: list[float | None], top: float, titles: list[str]
) -> dict:
    dots = [
        {
            "x": _x(i, len(points)),
            "y": _y(value, top),
            "title": title,
            "value": value,
            "is_full": value >= top,
        }
        for i, (value, title) in enumerate(zip(values, titles))
        if value is not None
    ]
    return {
        "name": name,
        "points": " ".join(f"{dot['x']},{dot['y']}" for dot in dots),
        "dots": dots,
    }


def score_chart(points: list[MonthPoint], *, is_village: bool = False) -> Chart:
    """The score (0-100) and the three-zero rate (as 0-100) of each month; for a village the
    three zeros are a mark per month (met or not), not a line."""
    chart = _frame(points, 100, [0, 25, 50, 75, 100], lambda tick: str(int(tick)))
    scores = [float(p.score) if p.score is not None else None for p in points]
    rates = [
        float(p.three_zero_rate * 100) if p.three_zero_rate is not None else None for p in points
    ]
    chart.lines = [
        _line(
            "score",
            points,
            scores,
            100,
            [f"{p.month}: {p.score if p.score is not None else '—'}" for p in points],
        ),
        _line(
            "three_zero",
            points,
            rates,
            100,
            [f"{p.month}: {_percent(p.three_zero_rate)}" for p in points],
        ),
    ]
    if is_village:
        chart.lines[1]["points"] = ""
    return chart


def volume_chart(points: list[MonthPoint]) -> Chart:
    """Cases received and concluded each month, side by side."""
    highest = max([p.received for p in points] + [p.concluded for p in points] + [1])
    top = _nice_top(highest)
    chart = _frame(points, top, [0, top // 2, top] if top % 2 == 0 else [0, top], str)
    step = (WIDTH - LEFT - RIGHT) / max(len(points), 1)
    width = round(step * 0.35, 1)
    for index, point in enumerate(points):
        middle = _x(index, len(points))
        for name, value, x in (
            ("received", point.received, middle - width),
            ("concluded", point.concluded, middle),
        ):
            y = _y(value, top)
            chart.bars.append(
                {
                    "name": name,
                    "x": round(x, 1),
                    "y": y,
                    "w": width,
                    "h": round(HEIGHT - BOTTOM - y, 1),
                    "title": f"{point.month}: {value}",
                }
            )
    return chart


def _nice_top(value: int) -> int:
    """The next round number above ``value`` for the axis: 1, 2, 5, 10, 20, 50…"""
    scale = 1
    while True:
        for factor in (1, 2, 5):
            if factor * scale >= value:
                return factor * scale
        scale *= 10


def _percent(value: Decimal | None) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"
