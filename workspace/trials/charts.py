"""Geometry for the server-rendered SVG charts (templates draw them; the
numbers are computed here so they stay testable and dependency-free)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

WIDTH, HEIGHT, PAD_X, PAD_Y = 420, 170, 44, 16


@dataclass
class Chart:
    width: int = WIDTH
    height: int = HEIGHT
    points: list[dict[str, Any]] = field(default_factory=list)
    lines: list[dict[str, Any]] = field(default_factory=list)  # horizontal: target, CL, UCL...
    ticks: list[dict[str, Any]] = field(default_factory=list)
    path: str = ""


def _scale(values: list[float]) -> tuple[float, float]:
    lo, hi = min(values), max(values)
    if hi == lo:
        lo, hi = lo - 1, hi + 1
    margin = (hi - lo) * 0.08
    return lo - margin, hi + margin


def build(points: list[dict[str, Any]], lines: list[dict[str, Any]]) -> Chart:
    """points: {label, value, ...}; lines: {value, kind, label}."""
    chart = Chart()
    values = [p["value"] for p in points if p["value"] is not None]
    values += [ln["value"] for ln in lines if ln["value"] is not None]
    if not values:
        return chart
    lo, hi = _scale(values)
    inner_w, inner_h = WIDTH - PAD_X - 8, HEIGHT - 2 * PAD_Y - 14

    def y(v: float) -> float:
        return round(PAD_Y + inner_h * (hi - v) / (hi - lo), 1)

    step = inner_w / max(len(points) - 1, 1)
    coords = []
    for i, p in enumerate(points):
        x = round(PAD_X + (step * i if len(points) > 1 else inner_w / 2), 1)
        point = {**p, "x": x, "label_y": HEIGHT - 6}
        if p["value"] is not None:
            point["y"] = y(p["value"])
            coords.append(f"{x},{point['y']}")
        chart.points.append(point)
    chart.path = " ".join(coords)
    chart.lines = [{**ln, "y": y(ln["value"])} for ln in lines if ln["value"] is not None]
    chart.ticks = [{"y": y(v), "label": _fmt(v)} for v in (lo, (lo + hi) / 2, hi)]
    return chart


def _fmt(v: float) -> str:
    return f"{v:.3g}" if abs(v) < 1000 else f"{v:.0f}"


def gauge_fill(value: float | None, target: float) -> int:
    """Bar width in percent with the target at the middle."""
    if value is None or target == 0:
        return 0
    return max(0, min(100, round(50 * value / target)))
