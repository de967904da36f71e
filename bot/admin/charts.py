"""Charts drawn on the server as inline SVG: no script, nothing fetched, printable as they are.

Each chart names itself (<title>, <desc>, role="img") and each bar carries its own <title>; the
pages show the same numbers in a table next to it, for screen readers and for the minutes.
Colours come from admin.css (classes), since the Content-Security-Policy forbids inline styles.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from markupsafe import Markup, escape

WIDTH = 720
ROW = 24  # height of one horizontal bar's row
LABEL_WIDTH = 270  # room for "Kiến thức cơ bản về chuyển đổi số"
VALUE_ROOM = 60
DAY_HEIGHT = 200
X_LABELS = 8  # about this many day labels under the daily chart


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    # Drawn grey: a bar that adds up several places, or those that did not say.
    muted: bool = False


def number(value: float) -> str:
    """1234567 -> "1.234.567", as figures are written in Vietnamese."""
    return f"{value:,.0f}".replace(",", ".")


def top(counts: Mapping[str, int], keep: int, others: str) -> list[Bar]:
    """The `keep` largest, then the rest added up in one bar (when there is a rest)."""
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    bars = [Bar(label, n) for label, n in ordered[:keep]]
    rest = ordered[keep:]
    if rest:
        bars.append(Bar(f"{others} ({len(rest)})", sum(n for _, n in rest), muted=True))
    return bars


def _open(chart_id: str, title: str, desc: str, height: float) -> str:
    return (
        f'<svg id="{escape(chart_id)}" class="chart" role="img" '
        f'aria-labelledby="{escape(chart_id)}-title {escape(chart_id)}-desc" '
        f'viewBox="0 0 {WIDTH} {height:g}" width="100%" preserveAspectRatio="xMinYMin meet" '
        f'xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>'
        f'<desc id="{escape(chart_id)}-desc">{escape(desc)}</desc>'
    )


def bars(chart_id: str, title: str, desc: str, items: Sequence[Bar], unit: str) -> Markup:
    """Horizontal bars, largest first as given, each labelled with its name and value."""
    if not items:
        return Markup(f'<p class="muted" id="{escape(chart_id)}">Chưa có dữ liệu.</p>')
    peak = max(max(b.value for b in items), 1)
    span = WIDTH - LABEL_WIDTH - VALUE_ROOM
    parts = [_open(chart_id, title, desc, len(items) * ROW + 4)]
    for i, item in enumerate(items):
        y = i * ROW + 2
        length = round(item.value / peak * span, 1)
        tip = f"{item.label}: {number(item.value)} {unit}"
        parts.append(
            f'<text class="label" x="{LABEL_WIDTH - 8}" y="{y + 16}" text-anchor="end">'
            f"{escape(item.label)}</text>"
            f'<rect class="bar{" muted" if item.muted else ""}" x="{LABEL_WIDTH}" y="{y + 3}" '
            f'width="{length:g}" '
            f'height="{ROW - 6}">'
            f"<title>{escape(tip)}</title></rect>"
            f'<text class="value" x="{LABEL_WIDTH + length + 6:g}" y="{y + 16}">'
            f"{number(item.value)}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def _scale(peak: int) -> int:
    """A round top for the y axis: 1, 2, 5, 10, 20, 50... at least `peak`."""
    step = 1
    while True:
        for factor in (1, 2, 5):
            if step * factor >= peak:
                return step * factor
        step *= 10


def days(chart_id: str, title: str, desc: str, per_day: Sequence[tuple[date, int, int]]) -> Markup:
    """Questions per day as columns, people per day as a line over them."""
    left, bottom, top_gap = 40, 24, 10
    plot = DAY_HEIGHT - bottom - top_gap
    ceiling = _scale(max([m for _, m, _ in per_day] + [1]))
    step = (WIDTH - left - 4) / max(len(per_day), 1)
    parts = [_open(chart_id, title, desc, DAY_HEIGHT)]
    # A middle line only where it falls on a whole number (no "0,5 câu hỏi").
    for fraction in (0.0, 0.5, 1.0) if ceiling % 2 == 0 else (0.0, 1.0):
        y = top_gap + plot * (1 - fraction)
        parts.append(
            f'<line class="grid" x1="{left}" y1="{y:g}" x2="{WIDTH - 4}" y2="{y:g}"/>'
            f'<text class="axis" x="{left - 6}" y="{y + 4:g}" text-anchor="end">'
            f"{number(ceiling * fraction)}</text>"
        )
    every = max(1, -(-len(per_day) // X_LABELS))
    points = []
    for i, (day, asked, people) in enumerate(per_day):
        x = left + i * step
        height = round(asked / ceiling * plot, 1)
        tip = f"{day:%d/%m}: {number(asked)} câu hỏi, {number(people)} người"
        parts.append(
            f'<rect class="bar" x="{x + step * 0.15:.1f}" y="{top_gap + plot - height:g}" '
            f'width="{step * 0.7:.1f}" height="{height:g}"><title>{escape(tip)}</title></rect>'
        )
        points.append(f"{x + step / 2:.1f},{top_gap + plot - people / ceiling * plot:.1f}")
        if i % every == 0:
            parts.append(
                f'<text class="axis" x="{x + step / 2:.1f}" y="{DAY_HEIGHT - 6}" '
                f'text-anchor="middle">{day:%d/%m}</text>'
            )
    if points:
        parts.append(f'<polyline class="line" points="{" ".join(points)}"/>')
    parts.append("</svg>")
    return Markup("".join(parts))
