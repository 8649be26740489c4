"""Charts as server-rendered SVG: no chart library and no JavaScript in the browser (DESIGN §3 „Charts“).

Every chart stands above a table of the same numbers, which ``aria-describedby`` names; the SVG is an image
(``role="img"`` with a ``<title>``). Bars run horizontally with their values written beside them, so the text
stays readable on a 320 px wide phone (the viewBox scales the whole chart). Two series differ by fill *and*
pattern, and a legend names them in words: never by colour alone. Colours are set by classes (wir.css can turn
them to system colours in forced-colours mode), with presentation attributes of at least 3:1 (bars) and 4.5:1
(text) against white as their fallback. A missing value is drawn as missing (a dashed marker and „fehlt“), never
as a bar of zero.

The PDF (wir.pdf.consumption_info) draws the same bars from the same data with ``bar_length``.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from markupsafe import Markup, escape

from wir.formatting import number

INK = "#1a1a1a"  # text: 17:1 on white
BRAND = "#003d7a"  # the current bars: 11:1
MUTED = "#4a4a4a"  # the earlier bars' hatching and outline: 8.9:1

WIDTH = 400  # viewBox units; a 360 px phone shows the chart at 0.9
LABEL_WIDTH = 74  # the months' names left of the bars
BAR_LEFT = 78
BAR_SPACE = 230  # the longest bar; its value's text follows it
BAR_HEIGHT = 13
BAR_GAP = 2
GROUP_GAP = 9
COMPARISON_SPACE = 196  # room for "12,3 kWh/m²" after the longest bar
LEGEND_HEIGHT = 30
FONT = 12


def bar_length(value: Decimal | None, largest: Decimal, full: float) -> float:
    """The length of a bar for ``value`` when the largest value gets ``full``; 0 for a missing value or no scale."""
    if value is None or not largest or largest <= 0:
        return 0.0
    return round(float(Decimal(value) / Decimal(largest)) * full, 2)


def largest(values) -> Decimal:
    present = [Decimal(value) for value in values if value is not None]
    return max(present, default=Decimal(0))


@dataclass(frozen=True)
class MonthPoint:
    """One month of the month chart: its value and that of the same month a year earlier (None: missing)."""

    label: str  # "Nov 2026", beside the bars
    name: str  # "November 2026", in the bar's title
    value: Decimal | None
    year_before_name: str  # "November 2025"
    year_before: Decimal | None


def _amount(value: Decimal | None, unit: str, places: int) -> str:
    return "fehlt" if value is None else f"{number(value, places)} {unit}"


def _text(x: float, y: float, text: str, css: str = "chart__text", anchor: str = "start", size: int = FONT,
          weight: str = "normal") -> str:
    return (f'<text class="{css}" x="{x:g}" y="{y:g}" font-size="{size}" fill="{INK}" text-anchor="{anchor}" '
            f'font-weight="{weight}">{escape(text)}</text>')


def _bar(x: float, y: float, value: Decimal | None, scale: Decimal, unit: str, places: int, name: str,
         pattern_id: str | None = None, space: float = BAR_SPACE) -> str:
    """A bar with its value after it (hatched with ``pattern_id``: the earlier one), or the marker of a missing
    value."""
    earlier = pattern_id is not None
    height = BAR_HEIGHT
    middle = y + height / 2 + FONT * 0.35
    if value is None:
        marker = (f'<line class="chart__missing" x1="{x:g}" y1="{y:g}" x2="{x:g}" y2="{y + height:g}" '
                  f'stroke="{MUTED}" stroke-width="2" stroke-dasharray="3 2"/>')
        return marker + _text(x + 5, middle, "fehlt", css="chart__text chart__text--missing")
    length = bar_length(value, scale, space)
    css = "chart__bar chart__bar--earlier" if earlier else "chart__bar chart__bar--current"
    fill = f"url(#{pattern_id})" if earlier else BRAND
    stroke = f' stroke="{MUTED}" stroke-width="1"' if earlier else ""
    title = f"{name}: {_amount(value, unit, places)}"
    rect = (f'<rect class="{css}" x="{x:g}" y="{y:g}" width="{length:g}" height="{height}" fill="{fill}"{stroke}>'
            f"<title>{escape(title)}</title></rect>")
    return rect + _text(x + length + 4, middle, _amount(value, unit, places))


def _open(chart_id: str, height: float, title: str, table_id: str) -> str:
    return (
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height:g}" role="img" '
        f'aria-labelledby="{chart_id}-title" aria-describedby="{table_id}" id="{chart_id}" '
        f'font-family="system-ui, sans-serif">'
        f'<title id="{chart_id}-title">{escape(title)}</title>'
    )


def _pattern(pattern_id: str) -> str:
    """Diagonal hatching for the earlier year's bars."""
    return (
        f'<defs><pattern id="{pattern_id}" width="6" height="6" patternUnits="userSpaceOnUse" '
        f'patternTransform="rotate(45)"><rect width="6" height="6" fill="#ffffff"/>'
        f'<line class="chart__hatch" x1="0" y1="0" x2="0" y2="6" stroke="{MUTED}" stroke-width="3"/>'
        f"</pattern></defs>"
    )


def _legend_entry(x: float, label: str, earlier: bool, pattern_id: str) -> str:
    css = "chart__bar chart__bar--earlier" if earlier else "chart__bar chart__bar--current"
    fill = f"url(#{pattern_id})" if earlier else BRAND
    stroke = f' stroke="{MUTED}" stroke-width="1"' if earlier else ""
    return (f'<rect class="{css}" x="{x:g}" y="6" width="16" height="{BAR_HEIGHT}" fill="{fill}"{stroke}/>'
            + _text(x + 21, 6 + BAR_HEIGHT / 2 + FONT * 0.35, label))


def month_chart(points: Sequence[MonthPoint], unit: str, places: int, *, chart_id: str, title: str,
                table_id: str, legend: tuple[str, str] = ("Monat", "ein Jahr früher")) -> Markup:
    """Bars per month: the month (solid) and below it the same month a year earlier (hatched), each with its value
    written after it. ``chart_id`` must be unique on the page (it names the hatching's pattern too)."""
    pattern_id = f"{chart_id}-hatch"
    scale = largest([p.value for p in points] + [p.year_before for p in points])
    group = BAR_HEIGHT * 2 + BAR_GAP + GROUP_GAP
    height = LEGEND_HEIGHT + group * len(points)
    parts = [_open(chart_id, height, title, table_id), _pattern(pattern_id),
             _legend_entry(0, legend[0], False, pattern_id), _legend_entry(WIDTH / 2 - 20, legend[1], True, pattern_id)]
    for index, point in enumerate(points):
        top = LEGEND_HEIGHT + index * group
        parts.append(f'<g class="chart__month" data-month="{escape(point.name)}">')
        parts.append(_text(LABEL_WIDTH - 4, top + BAR_HEIGHT + 2, point.label, anchor="end", weight="bold"))
        parts.append(_bar(BAR_LEFT, top, point.value, scale, unit, places, point.name))
        parts.append(_bar(BAR_LEFT, top + BAR_HEIGHT + BAR_GAP, point.year_before, scale, unit, places,
                          point.year_before_name, pattern_id))
        parts.append("</g>")
    parts.append(f'<line x1="{BAR_LEFT:g}" y1="{LEGEND_HEIGHT - 3:g}" x2="{BAR_LEFT:g}" y2="{height:g}" '
                 f'stroke="{INK}" stroke-width="1"/>')
    parts.append("</svg>")
    return Markup("".join(parts))


def comparison_chart(rows: Sequence[tuple[str, Decimal | None]], unit: str, places: int, *, chart_id: str,
                     title: str, table_id: str) -> Markup:
    """One horizontal bar per row (you, the average user), the first solid, the others hatched, with the values."""
    pattern_id = f"{chart_id}-hatch"
    scale = largest(value for _, value in rows)
    group = BAR_HEIGHT + 2 + GROUP_GAP
    height = 8 + group * len(rows)
    parts = [_open(chart_id, height, title, table_id), _pattern(pattern_id)]
    for index, (label, value) in enumerate(rows):
        top = 6 + index * group
        parts.append(_text(LABEL_WIDTH + 22, top + BAR_HEIGHT / 2 + FONT * 0.35, label, anchor="end",
                           weight="bold"))
        parts.append(_bar(BAR_LEFT + 26, top, value, scale, unit, places, label,
                          pattern_id if index > 0 else None, space=COMPARISON_SPACE))
    parts.append("</svg>")
    return Markup("".join(parts))
