from __future__ import annotations

import xml.etree.ElementTree as ET
from decimal import Decimal

from perfcycle.charts import svg

NS = "{http://www.w3.org/2000/svg}"


def parse(markup: str) -> ET.Element:
    root = ET.fromstring(str(markup))
    assert root.tag == f"{NS}svg"
    assert root.get("role") == "img" and root.get("aria-label")
    assert root.find(f"{NS}title") is not None
    return root


def test_progress_bar_fills_to_the_percentage_with_a_marker():
    root = parse(svg.progress_bar(Decimal("37.5"), label="Sales", status="at_risk", marker=50))
    track, fill = root.findall(f"{NS}rect")
    assert track.get("width") == "240" and fill.get("width") == "90"
    assert "chart-at_risk" in fill.get("class")
    assert root.find(f"{NS}line").get("x1") == "120"


def test_progress_bar_without_data_and_clamped():
    assert len(parse(svg.progress_bar(None, label="x")).findall(f"{NS}rect")) == 1
    root = parse(svg.progress_bar(180, label="x"))
    assert root.findall(f"{NS}rect")[1].get("width") == "240"


def test_heatmap_has_a_cell_per_person_and_goal():
    root = parse(
        svg.heatmap(
            ["Ann", "Bo"],
            ["New customers", "Revenue"],
            [["on_track", "off_track"], ["no_data", None]],
            label="Team",
            legend={"on_track": "on track", "off_track": "off track"},
        )
    )
    cells = [r for r in root.iter(f"{NS}rect") if "chart-cell" in (r.get("class") or "")]
    assert len(cells) == 3
    assert [r for r in root.iter(f"{NS}rect") if r.get("class") == "chart-empty"]
    texts = [t.text for t in root.iter(f"{NS}text")]
    assert {"Ann", "Bo", "New customers", "Revenue", "on track"} <= set(texts)


def test_actuals_chart_bars_line_and_target():
    root = parse(
        svg.actuals_chart(
            ["2026-01", "2026-02", "2026-03"],
            [Decimal(10), None, Decimal(25)],
            label="New customers",
            target=Decimal(60),
            running=[Decimal(10), None, Decimal(35)],
        )
    )
    bars = [r for r in root.iter(f"{NS}rect") if r.get("class") == "chart-bar"]
    assert len(bars) == 2
    assert root.find(f"{NS}polyline[@class='chart-running']") is not None
    assert root.find(f"{NS}line[@class='chart-target']") is not None
    line = parse(svg.actuals_chart(["a", "b"], [1, 2], label="x", kind="line"))
    assert len(line.findall(f"{NS}circle")) == 2


def test_negative_values_and_empty_series_draw():
    parse(svg.actuals_chart(["a", "b"], [Decimal(-5), Decimal(5)], label="x"))
    parse(svg.actuals_chart([], [], label="x"))


def test_text_is_escaped():
    evil = '<script>alert("x")</script> & Co'
    for markup in (
        svg.progress_bar(10, label=evil),
        svg.heatmap([evil], [evil], [["on_track"]], label=evil),
        svg.actuals_chart([evil], [Decimal(1)], label=evil, target=Decimal(2)),
    ):
        assert "<script>" not in markup
        root = parse(markup)
        assert root.get("aria-label") == evil  # the parsed attribute is the original text


def test_text_width_counts_chinese_characters_as_wide():
    from perfcycle.charts.svg import text_width

    assert text_width("进度正常", 11) == 44
    assert text_width("On track", 10) == 48
    assert text_width("进度正常", 11) > text_width("abcd", 11)


def test_axis_numbers_are_never_in_scientific_notation():
    from decimal import Decimal

    from perfcycle.charts.svg import _number

    assert _number(Decimal("500000.0000")) == "500,000"
    assert _number(Decimal("5E+5")) == "500,000"
    assert _number(Decimal("98.50")) == "98.5"
