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

# The viewBox is about as wide as a 360 px phone's content area (277 px), so a unit is about a pixel there: text of
# 15 units reads at about 15 px (13 px at 320 px); wir's consumption.css caps the width on large screens. Each
# month's (or row's) name stands on its own line above its bars, so the bars and their values get the full width.
WIDTH = 280
FONT = 15
CHAR_WIDTH = 0.66  # an upper estimate of a character's width in system-ui, in FONT: the room for values and legends
LABEL_HEIGHT = 19  # the name's line above the bars
BAR_HEIGHT = 17
BAR_GAP = 3
GROUP_GAP = 11
LEGEND_HEIGHT = 32
VALUE_GAP = 5  # between a bar's end and its value
LEFT = 2  # the bars start right of the axis


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
    """The value with its unit ("" for a count: "12")."""
    return "fehlt" if value is None else f"{number(value, places)} {unit}".rstrip()


def _width(text: str) -> float:
    """An upper estimate of the text's width in viewBox units (there is no font metrics on the server)."""
    return len(text) * CHAR_WIDTH * FONT


def bar_space(values: Sequence[Decimal | None], unit: str, places: int) -> float:
    """The longest bar's length: the width left after the widest value written after its bar (at least a third of
    the chart, should a value be absurdly long)."""
    widest = max((_width(_amount(value, unit, places)) for value in values), default=0)
    return max(round(WIDTH - LEFT - VALUE_GAP - widest, 2), WIDTH / 3)


def _text(x: float, y: float, text: str, css: str = "chart__text", weight: str = "normal") -> str:
    return (f'<text class="{css}" x="{x:g}" y="{y:g}" font-size="{FONT}" fill="{INK}" '
            f'font-weight="{weight}">{escape(text)}</text>')


def _middle(y: float) -> float:
    """The baseline of a text centred on a bar at ``y``."""
    return round(y + BAR_HEIGHT / 2 + FONT * 0.35, 2)


def _bar(y: float, value: Decimal | None, scale: Decimal, space: float, unit: str, places: int, name: str,
         pattern_id: str | None = None) -> str:
    """A bar with its value after it (hatched with ``pattern_id``: the earlier one), or the marker of a missing
    value."""
    earlier = pattern_id is not None
    if value is None:
        marker = (f'<line class="chart__missing" x1="{LEFT + 1:g}" y1="{y:g}" x2="{LEFT + 1:g}" '
                  f'y2="{y + BAR_HEIGHT:g}" stroke="{MUTED}" stroke-width="2" stroke-dasharray="3 2"/>')
        return marker + _text(LEFT + 6, _middle(y), "fehlt", css="chart__text chart__text--missing")
    length = bar_length(value, scale, space)
    css = "chart__bar chart__bar--earlier" if earlier else "chart__bar chart__bar--current"
    fill = f"url(#{pattern_id})" if earlier else BRAND
    stroke = f' stroke="{MUTED}" stroke-width="1"' if earlier else ""
    title = f"{name}: {_amount(value, unit, places)}"
    rect = (f'<rect class="{css}" x="{LEFT}" y="{y:g}" width="{length:g}" height="{BAR_HEIGHT}" fill="{fill}"'
            f"{stroke}><title>{escape(title)}</title></rect>")
    return rect + _text(LEFT + length + VALUE_GAP, _middle(y), _amount(value, unit, places))


def _axis(spans: Sequence[tuple[float, float]]) -> str:
    """The bars' common left edge, broken where the names stand."""
    path = " ".join(f"M1 {top:g}V{bottom:g}" for top, bottom in spans)
    return f'<path class="chart__axis" d="{path}" stroke="{INK}" stroke-width="1" fill="none"/>'


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


def _legend_entry(x: float, y: float, label: str, earlier: bool, pattern_id: str) -> str:
    css = "chart__bar chart__bar--earlier" if earlier else "chart__bar chart__bar--current"
    fill = f"url(#{pattern_id})" if earlier else BRAND
    stroke = f' stroke="{MUTED}" stroke-width="1"' if earlier else ""
    return (f'<rect class="{css}" x="{x:g}" y="{y:g}" width="18" height="{BAR_HEIGHT}" fill="{fill}"{stroke}/>'
            + _text(x + 24, _middle(y), label))


def _legend(legend: tuple[str, str], pattern_id: str) -> tuple[str, float]:
    """Both entries on one line, or the second below the first where they do not fit side by side: (the SVG,
    its height)."""
    second = 24 + _width(legend[0]) + 16
    if second + 24 + _width(legend[1]) <= WIDTH:
        x, y, height = second, 4, LEGEND_HEIGHT
    else:
        x, y, height = 0, 4 + BAR_HEIGHT + BAR_GAP + 2, LEGEND_HEIGHT + BAR_HEIGHT + BAR_GAP + 2
    return (_legend_entry(0, 4, legend[0], False, pattern_id) + _legend_entry(x, y, legend[1], True, pattern_id),
            height)


def month_chart(points: Sequence[MonthPoint], unit: str, places: int, *, chart_id: str, title: str,
                table_id: str, legend: tuple[str, str] = ("Monat", "ein Jahr früher")) -> Markup:
    """Per month its name, below it the month's bar (solid) and that of the same month a year earlier (hatched),
    each with its value written after it. ``chart_id`` must be unique on the page (it names the hatching's pattern
    too)."""
    pattern_id = f"{chart_id}-hatch"
    values = [p.value for p in points] + [p.year_before for p in points]
    scale = largest(values)
    space = bar_space(values, unit, places)
    legend_svg, legend_height = _legend(legend, pattern_id)
    group = LABEL_HEIGHT + 2 * BAR_HEIGHT + BAR_GAP + GROUP_GAP
    height = legend_height + group * len(points) - GROUP_GAP + 2
    parts = [_open(chart_id, height, title, table_id), _pattern(pattern_id), legend_svg]
    spans = []
    for index, point in enumerate(points):
        top = legend_height + index * group
        bars = top + LABEL_HEIGHT
        parts.append(f'<g class="chart__month" data-month="{escape(point.name)}">')
        parts.append(_text(0, top + FONT - 1, point.label, weight="bold"))
        parts.append(_bar(bars, point.value, scale, space, unit, places, point.name))
        parts.append(_bar(bars + BAR_HEIGHT + BAR_GAP, point.year_before, scale, space, unit, places,
                          point.year_before_name, pattern_id))
        parts.append("</g>")
        spans.append((bars - 1, bars + 2 * BAR_HEIGHT + BAR_GAP + 1))
    parts.append(_axis(spans))
    parts.append("</svg>")
    return Markup("".join(parts))


def comparison_chart(rows: Sequence[tuple[str, Decimal | None]], unit: str, places: int, *, chart_id: str,
                     title: str, table_id: str, one_series: bool = False) -> Markup:
    """Per row (you, the average user) its name and below it a bar, the first solid, the others hatched, with the
    values. ``one_series``: rows of the same kind (the Auswertung's counts), every bar solid."""
    pattern_id = f"{chart_id}-hatch"
    values = [value for _, value in rows]
    scale = largest(values)
    space = bar_space(values, unit, places)
    group = LABEL_HEIGHT + BAR_HEIGHT + GROUP_GAP
    height = group * len(rows) - GROUP_GAP + 4
    parts = [_open(chart_id, height, title, table_id), _pattern(pattern_id)]
    spans = []
    for index, (label, value) in enumerate(rows):
        top = 2 + index * group
        parts.append(_text(0, top + FONT - 1, label, weight="bold"))
        parts.append(_bar(top + LABEL_HEIGHT, value, scale, space, unit, places, label,
                          pattern_id if index > 0 and not one_series else None))
        spans.append((top + LABEL_HEIGHT - 1, top + LABEL_HEIGHT + BAR_HEIGHT + 1))
    parts.append(_axis(spans))
    parts.append("</svg>")
    return Markup("".join(parts))
