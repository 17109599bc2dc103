"""The 9-box grid: nine boxes with their names and counts, axes labelled, text escaped."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from perfcycle.charts import svg

NS = "{http://www.w3.org/2000/svg}"


def test_ninebox_grid_has_nine_boxes_with_names_and_counts():
    cells = [
        [("Rough diamond", 0), ("High potential", 1), ("明星 Star", 2)],
        [("Inconsistent", 0), ("Core <player>", 5), ("High performer", 3)],
        [("Underperformer", 1), ("Effective", 0), ("Trusted", 0)],
    ]
    markup = svg.ninebox_grid(cells, label="9-box", x_label="Performance", y_label="Potential")
    root = ET.fromstring(str(markup))
    assert root.get("role") == "img" and root.get("aria-label") == "9-box"
    boxes = [r for r in root.findall(f"{NS}rect") if "chart-box" in (r.get("class") or "")]
    assert len(boxes) == 9
    assert boxes[2].find(f"{NS}title").text == "明星 Star: 2"
    texts = [t.text for t in root.findall(f"{NS}text")]
    assert "Core <player>" in texts  # escaped in the markup, parsed back here
    counts = [t.text for t in root.findall(f"{NS}text") if t.get("class") == "chart-count"]
    assert counts == ["0", "1", "2", "0", "5", "3", "1", "0", "0"]
    assert "Performance →" in texts and "Potential →" in texts
    assert "<player>" not in str(markup)
