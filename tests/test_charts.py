"""The SVG charts (wir.charts): valid XML, an image named by its title and described by the table beneath, bars
proportional to their values, missing months without a bar, two series told apart by a legend in words."""

import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest

from wir import charts

SVG = "{http://www.w3.org/2000/svg}"
D = Decimal


def _points():
    values = [D(400), D(350), None, D(200), D(0)]
    earlier = [D(500), None, D(300), D(250), D(100)]
    names = ["Juli", "August", "September", "Oktober", "November"]
    return [charts.MonthPoint(name[:3] + " 2026", f"{name} 2026", value, f"{name} 2025", before)
            for name, value, before in zip(names, values, earlier)]


def _bars(root, css):
    return [rect for rect in root.iter(f"{SVG}rect") if css in rect.get("class", "").split()
            and rect.find(f"{SVG}title") is not None]


def test_the_month_chart_is_valid_svg_described_by_its_table():
    svg = charts.month_chart(_points(), "kWh", 0, chart_id="heizung", title="Heizung je Monat", table_id="t-heizung")

    root = ET.fromstring(str(svg))

    assert root.tag == f"{SVG}svg" and root.get("role") == "img"
    assert root.get("aria-describedby") == "t-heizung" and root.get("aria-labelledby") == "heizung-title"
    assert root.find(f"{SVG}title").text == "Heizung je Monat" and root.find(f"{SVG}title").get("id") == "heizung-title"
    assert root.get("viewBox").startswith(f"0 0 {charts.WIDTH} ") and root.get("width") is None  # scales to any width


def test_the_text_reads_on_a_phone():
    """The viewBox is about as wide as a 360 px phone's content area, so a unit is about a pixel there: every text
    is at least 14 units (the browser test measures it at 360 px)."""
    for svg in (charts.month_chart(_points(), "kWh", 0, chart_id="c", title="t", table_id="t"),
                charts.comparison_chart([("Sie", D(1)), ("Durchschnitt", D(2))], "kWh/m²", 1, chart_id="v",
                                        title="t", table_id="t")):
        root = ET.fromstring(str(svg))
        assert 260 <= charts.WIDTH <= 320
        assert all(float(text.get("font-size")) >= 14 for text in root.iter(f"{SVG}text"))


def test_the_values_after_the_longest_bars_stay_inside_the_chart():
    points = [charts.MonthPoint("Nov 2026", "November 2026", D(12345), "November 2025", D(9999))]
    for unit in ("kWh", "Einheiten"):
        root = ET.fromstring(str(charts.month_chart(points, unit, 0, chart_id="c", title="t", table_id="t")))
        values = [text for text in root.iter(f"{SVG}text") if text.text.endswith(unit)]
        assert len(values) == 2
        for text in values:
            # the server's estimate of a text's width is on the safe side of system-ui's
            assert float(text.get("x")) + len(text.text) * charts.CHAR_WIDTH * charts.FONT <= charts.WIDTH


def test_bars_are_proportional_to_the_values_and_named_like_the_table():
    root = ET.fromstring(str(charts.month_chart(_points(), "kWh", 0, chart_id="c", title="t", table_id="t")))

    current = {rect.find(f"{SVG}title").text: float(rect.get("width")) for rect in _bars(root, "chart__bar--current")}
    earlier = {rect.find(f"{SVG}title").text: float(rect.get("width")) for rect in _bars(root, "chart__bar--earlier")}

    space = charts.bar_space([D(500)], "kWh", 0)  # the longest bar's length, the widest value after it
    assert earlier["Juli 2025: 500 kWh"] == space  # the largest of both series fills the space
    assert current == {"Juli 2026: 400 kWh": space * 400 / 500, "August 2026: 350 kWh": round(space * 350 / 500, 2),
                       "Oktober 2026: 200 kWh": round(space * 200 / 500, 2), "November 2026: 0 kWh": 0.0}
    assert earlier["Oktober 2025: 250 kWh"] / earlier["November 2025: 100 kWh"] == pytest.approx(2.5, rel=1e-3)
    texts = [text.text for text in root.iter(f"{SVG}text")]
    assert "400 kWh" in texts and "0 kWh" in texts


def test_a_missing_month_has_no_bar_but_a_marker_and_the_word():
    root = ET.fromstring(str(charts.month_chart(_points(), "kWh", 0, chart_id="c", title="t", table_id="t")))

    september = next(group for group in root.iter(f"{SVG}g") if group.get("data-month") == "September 2026")
    august = next(group for group in root.iter(f"{SVG}g") if group.get("data-month") == "August 2026")

    assert len(_bars(september, "chart__bar--current")) == 0 and len(_bars(september, "chart__bar--earlier")) == 1
    assert len(_bars(august, "chart__bar--earlier")) == 0
    for group in (september, august):
        assert [text.text for text in group.iter(f"{SVG}text")].count("fehlt") == 1
        assert len(list(group.iter(f"{SVG}line"))) == 1  # the dashed marker


def test_the_series_differ_by_pattern_and_a_legend_in_words():
    root = ET.fromstring(str(charts.month_chart(_points(), "kWh", 0, chart_id="c", title="t", table_id="t",
                                                legend=("Monat", "ein Jahr früher"))))

    pattern = root.find(f"{SVG}defs/{SVG}pattern")
    earlier = _bars(root, "chart__bar--earlier")[0]

    assert pattern.get("id") == "c-hatch" and earlier.get("fill") == "url(#c-hatch)"
    assert _bars(root, "chart__bar--current")[0].get("fill") == charts.BRAND
    texts = [text.text for text in root.iter(f"{SVG}text")]
    assert "Monat" in texts and "ein Jahr früher" in texts


def test_text_is_escaped():
    point = charts.MonthPoint("<b>", "<script>", D(1), "x & y", None)
    svg = str(charts.month_chart([point], "m³", 1, chart_id="c", title="A & B", table_id="t"))
    root = ET.fromstring(svg)
    assert "<script>" not in svg and root.find(f"{SVG}title").text == "A & B"


def test_the_comparison_chart():
    svg = charts.comparison_chart([("Sie", D("6.6")), ("Durchschnitt", D("7.2"))], "kWh/m²", 1,
                                  chart_id="v", title="Vergleich", table_id="tv")

    root = ET.fromstring(str(svg))
    widths = [float(rect.get("width")) for rect in root.iter(f"{SVG}rect") if rect.find(f"{SVG}title") is not None]

    space = charts.bar_space([D("7.2")], "kWh/m²", 1)
    assert widths == [round(space * 6.6 / 7.2, 2), space]
    assert [text.text for text in root.iter(f"{SVG}text")] == ["Sie", "6,6 kWh/m²", "Durchschnitt", "7,2 kWh/m²"]


def test_bar_length():
    assert charts.bar_length(None, D(10), 100) == 0 and charts.bar_length(D(5), D(0), 100) == 0
    assert charts.bar_length(D(5), D(10), 100) == 50


def test_one_series_of_counts():
    """The Auswertung's bars: every bar solid, a count written without a unit."""
    svg = charts.comparison_chart([("offen", D(3)), ("erledigt", D(12))], "", 0, chart_id="z", title="Zählung",
                                  table_id="tz", one_series=True)

    root = ET.fromstring(str(svg))

    assert [rect.get("fill") for rect in _bars(root, "chart__bar--current")] == [charts.BRAND, charts.BRAND]
    assert _bars(root, "chart__bar--earlier") == []
    assert [text.text for text in root.iter(f"{SVG}text")] == ["offen", "3", "erledigt", "12"]
