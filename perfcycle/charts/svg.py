"""Charts drawn on the server as inline SVG: a progress bar, a status heatmap, actuals
per period against the target line.

No JavaScript and nothing from a CDN. Each chart is an accessible image: ``role="img"``,
an ``aria-label`` and a ``<title>``. Every piece of text is escaped here, so callers may
pass names and titles as they are; the result is marked safe for templates. Colours
come from CSS classes (``chart-...``) with inline fallbacks so a chart reads without the
stylesheet too.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

STATUS_COLOURS = {
    "on_track": "#1a7f37",
    "at_risk": "#bf8700",
    "off_track": "#cf222e",
    "no_data": "#d0d7de",
}
INK = "#24292f"
MUTED = "#57606a"
BAR = "#0969da"
LINE = "#8250df"


def _n(value: float) -> str:
    """A coordinate, short and without a trailing ``.0``."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _svg(width: int, height: int, label: str, body: list[str], css: str) -> SafeString:
    safe = escape(label)
    return mark_safe(  # noqa: S308 - every piece of text is escaped above
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart {css}" role="img" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" aria-label="{safe}">'
        f"<title>{safe}</title>{''.join(body)}</svg>"
    )


def _short(text: str, limit: int) -> str:
    """Text cut to ``limit`` characters with an ellipsis (the full text is in a tooltip)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _number(value: Decimal | float | int) -> str:
    d = Decimal(str(value)).normalize()
    if d == d.to_integral_value():
        return f"{d.to_integral_value():,f}"
    return f"{d:,f}"


def progress_bar(
    percent: Decimal | float | None,
    *,
    label: str,
    status: str = "",
    marker: Decimal | float | None = None,
    width: int = 240,
    height: int = 16,
) -> SafeString:
    """A horizontal bar filled to ``percent`` (clamped 0–100); ``marker`` draws a tick,
    e.g. the progress expected by now."""
    body = [
        f'<rect class="chart-track" x="0" y="0" width="{width}" height="{height}" rx="3" '
        f'fill="#eaeef2"/>'
    ]
    if percent is not None:
        share = max(0.0, min(100.0, float(percent))) / 100
        colour = STATUS_COLOURS.get(status, BAR)
        body.append(
            f'<rect class="chart-fill chart-{escape(status or "bar")}" x="0" y="0" '
            f'width="{_n(width * share)}" height="{height}" rx="3" fill="{colour}"/>'
        )
    if marker is not None:
        x = width * max(0.0, min(100.0, float(marker))) / 100
        body.append(
            f'<line class="chart-marker" x1="{_n(x)}" y1="0" x2="{_n(x)}" y2="{height}" '
            f'stroke="{INK}" stroke-width="2"/>'
        )
    return _svg(width, height, label, body, "chart-progress")


def text_width(text: str, size: float) -> int:
    """An estimate of rendered width: full-width (CJK) characters are about one em wide,
    others about 0.6 em; good enough to keep labels from overlapping."""
    em = sum(1.0 if unicodedata.east_asian_width(ch) in "WF" else 0.6 for ch in text)
    return int(em * size + 0.5)


def heatmap(
    rows: Sequence[str],
    columns: Sequence[str],
    cells: Sequence[Sequence[str | None]],
    *,
    label: str,
    legend: dict[str, str] | None = None,
    cell: int = 22,
    row_label_width: int = 150,
    column_label_height: int = 90,
) -> SafeString:
    """People × goals: ``cells[i][j]`` is a status key (``on_track``, ``at_risk``,
    ``off_track``, ``no_data``) or None for "no such goal"."""
    legend_width = sum(24 + text_width(text, 11) for text in (legend or {}).values()) + 8
    width = max(row_label_width + cell * max(1, len(columns)) + 10, legend_width)
    legend_height = 24 if legend else 0
    height = column_label_height + cell * max(1, len(rows)) + legend_height + 4
    body: list[str] = []
    for j, name in enumerate(columns):
        x = row_label_width + j * cell + cell / 2
        y = column_label_height - 4
        body.append(
            f'<text x="{_n(x)}" y="{_n(y)}" font-size="11" fill="{MUTED}" '
            f'transform="rotate(-45 {_n(x)} {_n(y)})">{escape(_short(name, 16))}</text>'
        )
    for i, name in enumerate(rows):
        y = column_label_height + i * cell
        body.append(
            f'<text x="{row_label_width - 6}" y="{_n(y + cell * 0.7)}" font-size="12" '
            f'text-anchor="end" fill="{INK}">{escape(_short(name, 20))}</text>'
        )
        for j in range(len(columns)):
            status = cells[i][j] if i < len(cells) and j < len(cells[i]) else None
            x = row_label_width + j * cell
            if status is None:
                body.append(
                    f'<rect class="chart-empty" x="{x + 1}" y="{y + 1}" width="{cell - 2}" '
                    f'height="{cell - 2}" fill="none" stroke="#eaeef2"/>'
                )
                continue
            title = legend.get(status, status) if legend else status
            body.append(
                f'<rect class="chart-cell chart-{escape(status)}" x="{x + 1}" y="{y + 1}" '
                f'width="{cell - 2}" height="{cell - 2}" rx="2" '
                f'fill="{STATUS_COLOURS.get(status, BAR)}">'
                f"<title>{escape(name)} · {escape(columns[j])}: {escape(title)}</title></rect>"
            )
    if legend:
        y = height - legend_height + 6
        x = 4
        for key, text in legend.items():
            body.append(
                f'<rect x="{x}" y="{y}" width="12" height="12" fill="{STATUS_COLOURS.get(key, BAR)}"/>'
                f'<text x="{x + 16}" y="{y + 11}" font-size="11" fill="{INK}">{escape(text)}</text>'
            )
            x += 24 + text_width(text, 11)
    return _svg(int(width), int(height), label, body, "chart-heatmap")


def actuals_chart(
    periods: Sequence[str],
    values: Sequence[Decimal | None],
    *,
    label: str,
    target: Decimal | None = None,
    running: Sequence[Decimal | None] | None = None,
    kind: str = "bar",
    width: int = 480,
    height: int = 220,
    labels: dict[str, Any] | None = None,
) -> SafeString:
    """Actuals per period as bars (or a line), the target as a dashed line, and
    optionally ``running``: the goal's combined value so far, drawn as a line."""
    left, right, top, bottom = 56, 12, 12, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    known = [float(v) for v in values if v is not None]
    known += [float(v) for v in (running or []) if v is not None]
    if target is not None:
        known.append(float(target))
    high = max([0.0, *known]) or 1.0
    low = min([0.0, *known])
    span = (high - low) or 1.0

    def y_of(value: float) -> float:
        return top + plot_h * (high - value) / span

    body = [
        f'<line class="chart-axis" x1="{left}" y1="{_n(y_of(0))}" x2="{width - right}" '
        f'y2="{_n(y_of(0))}" stroke="{MUTED}"/>',
        f'<text x="{left - 6}" y="{_n(y_of(high) + 4)}" font-size="11" text-anchor="end" '
        f'fill="{MUTED}">{escape(_number(Decimal(str(high))))}</text>',
        f'<text x="{left - 6}" y="{_n(y_of(low) + 4)}" font-size="11" text-anchor="end" '
        f'fill="{MUTED}">{escape(_number(Decimal(str(low))))}</text>',
    ]
    count = max(1, len(periods))
    step = plot_w / count
    points: list[tuple[float, float]] = []
    for i, (period, value) in enumerate(zip(periods, values, strict=False)):
        centre = left + step * (i + 0.5)
        if count <= 16 or i % max(1, count // 12) == 0:
            body.append(
                f'<text x="{_n(centre)}" y="{height - bottom + 16}" font-size="11" '
                f'text-anchor="middle" fill="{MUTED}">{escape(period)}</text>'
            )
        if value is None:
            continue
        v = float(value)
        if kind == "bar":
            y0, y1 = sorted((y_of(0), y_of(v)))
            body.append(
                f'<rect class="chart-bar" x="{_n(centre - step * 0.3)}" y="{_n(y0)}" '
                f'width="{_n(step * 0.6)}" height="{_n(max(y1 - y0, 1))}" fill="{BAR}">'
                f"<title>{escape(period)}: {escape(_number(value))}</title></rect>"
            )
        else:
            points.append((centre, y_of(v)))
    if kind != "bar" and points:
        body.append(_polyline(points, BAR, "chart-line"))
        body += [
            f'<circle class="chart-point" cx="{_n(x)}" cy="{_n(y)}" r="3" fill="{BAR}"/>'
            for x, y in points
        ]
    if running:
        line = [
            (left + step * (i + 0.5), y_of(float(v)))
            for i, v in enumerate(running)
            if v is not None
        ]
        if line:
            body.append(_polyline(line, LINE, "chart-running"))
    if target is not None:
        y = y_of(float(target))
        name = (labels or {}).get("target", "target")
        body.append(
            f'<line class="chart-target" x1="{left}" y1="{_n(y)}" x2="{width - right}" '
            f'y2="{_n(y)}" stroke="{STATUS_COLOURS["off_track"]}" stroke-dasharray="6 4">'
            f"<title>{escape(name)}: {escape(_number(target))}</title></line>"
        )
    return _svg(width, height, label, body, "chart-actuals")


def _polyline(points: list[tuple[float, float]], colour: str, css: str) -> str:
    coords = " ".join(f"{_n(x)},{_n(y)}" for x, y in points)
    return f'<polyline class="{css}" points="{coords}" fill="none" stroke="{colour}" stroke-width="2"/>'


def distribution_chart(
    bars: Sequence[tuple[str, Decimal | float, Decimal | float | None, bool]],
    *,
    label: str,
    tolerance: Decimal | float = 0,
    labels: dict[str, str] | None = None,
    width: int = 360,
    height: int = 200,
) -> SafeString:
    """Share per grade: ``bars`` are ``(grade, actual %, target % or None, off)``. The
    actual share is a bar (red when ``off``), the target a dashed line across it and the
    tolerance a shaded band around the target."""
    names = {"actual": "actual", "target": "target", "band": "tolerance", **(labels or {})}
    left, right, top, bottom = 36, 8, 10, 46
    plot_w, plot_h = width - left - right, height - top - bottom
    tol = float(tolerance or 0)
    values = [float(a) for _c, a, _t, _o in bars]
    values += [float(t) + tol for _c, _a, t, _o in bars if t is not None]
    high = max([10.0, *values])
    high = min(100.0, (int(high / 10) + 1) * 10) if high < 100 else 100.0

    def y_of(value: float) -> float:
        return top + plot_h * (1 - max(0.0, min(high, value)) / high)

    body = [
        f'<line class="chart-axis" x1="{left}" y1="{_n(y_of(0))}" x2="{width - right}" '
        f'y2="{_n(y_of(0))}" stroke="{MUTED}"/>',
        f'<text x="{left - 4}" y="{_n(y_of(high) + 4)}" font-size="11" text-anchor="end" '
        f'fill="{MUTED}">{_n(high)}%</text>',
        f'<text x="{left - 4}" y="{_n(y_of(0) + 4)}" font-size="11" text-anchor="end" '
        f'fill="{MUTED}">0</text>',
    ]
    step = plot_w / max(1, len(bars))
    for i, (code, actual, target, off) in enumerate(bars):
        x0 = left + step * i
        centre = x0 + step / 2
        if target is not None:
            t = float(target)
            y_hi, y_lo = y_of(t + tol), y_of(t - tol)
            body.append(
                f'<rect class="chart-band" x="{_n(x0 + step * 0.1)}" y="{_n(y_hi)}" '
                f'width="{_n(step * 0.8)}" height="{_n(max(y_lo - y_hi, 1))}" fill="#eaeef2">'
                f"<title>{escape(code)} · {escape(names['band'])}: "
                f"{escape(_number(max(0.0, t - tol)))}–{escape(_number(t + tol))}%</title></rect>"
            )
        a = float(actual)
        y = y_of(a)
        colour = STATUS_COLOURS["off_track"] if off else BAR
        body.append(
            f'<rect class="chart-bar{" chart-off" if off else ""}" x="{_n(centre - step * 0.22)}" '
            f'y="{_n(y)}" width="{_n(step * 0.44)}" height="{_n(max(y_of(0) - y, 1))}" '
            f'fill="{colour}"><title>{escape(code)} · {escape(names["actual"])}: '
            f"{escape(_number(actual))}%</title></rect>"
        )
        if target is not None:
            yt = y_of(float(target))
            body.append(
                f'<line class="chart-target" x1="{_n(x0 + step * 0.1)}" y1="{_n(yt)}" '
                f'x2="{_n(x0 + step * 0.9)}" y2="{_n(yt)}" stroke="{INK}" stroke-width="2" '
                f'stroke-dasharray="4 3"><title>{escape(code)} · {escape(names["target"])}: '
                f"{escape(_number(target))}%</title></line>"
            )
        body.append(
            f'<text x="{_n(centre)}" y="{height - bottom + 14}" font-size="12" '
            f'text-anchor="middle" fill="{INK}">{escape(_short(code, 8))}</text>'
        )
    y = height - 16
    x = 4.0
    for key, colour, dash in (("actual", BAR, ""), ("target", INK, "4 3"), ("band", "#eaeef2", "")):
        if key == "target":
            body.append(
                f'<line x1="{_n(x)}" y1="{y + 6}" x2="{_n(x + 12)}" y2="{y + 6}" '
                f'stroke="{colour}" stroke-width="2" stroke-dasharray="{dash}"/>'
            )
        else:
            body.append(f'<rect x="{_n(x)}" y="{y}" width="12" height="12" fill="{colour}"/>')
        text = names[key]
        body.append(
            f'<text x="{_n(x + 16)}" y="{y + 11}" font-size="11" fill="{INK}">{escape(text)}</text>'
        )
        x += 24 + text_width(text, 11)
    return _svg(width, height, label, body, "chart-distribution")


def ninebox_grid(
    cells: Sequence[Sequence[tuple[str, int]]],
    *,
    label: str,
    x_label: str,
    y_label: str,
    levels: Sequence[str] = ("low", "medium", "high"),
    cell_width: int = 120,
    cell_height: int = 64,
) -> SafeString:
    """The 9-box (performance × potential): ``cells`` are three rows, top (high
    potential) to bottom, of three ``(box name, people)`` left (low performance) to right.
    ``levels`` name the thirds low → high on both axes."""
    left, bottom, top = 58, 40, 6
    width = left + 3 * cell_width + 4
    height = top + 3 * cell_height + bottom
    shades = ("#fff8c5", "#ddf4ff", "#dafbe1")  # by how far up and right a box lies
    body: list[str] = []
    for i in range(3):
        for j in range(3):
            name, count = cells[i][j] if i < len(cells) and j < len(cells[i]) else ("", 0)
            x, y = left + j * cell_width, top + i * cell_height
            shade = shades[min(2, max(0, (j + (2 - i)) // 2))]
            body.append(
                f'<rect class="chart-box" x="{x + 1}" y="{y + 1}" width="{cell_width - 2}" '
                f'height="{cell_height - 2}" rx="4" fill="{shade}" stroke="#d0d7de">'
                f"<title>{escape(name)}: {count}</title></rect>"
                f'<text x="{_n(x + cell_width / 2)}" y="{y + 22}" font-size="12" '
                f'text-anchor="middle" fill="{INK}">{escape(_short(name, 18))}</text>'
                f'<text class="chart-count" x="{_n(x + cell_width / 2)}" y="{y + 48}" '
                f'font-size="20" font-weight="700" text-anchor="middle" fill="{INK}">{count}</text>'
            )
    for k, level in enumerate(levels[:3]):
        x = left + k * cell_width + cell_width / 2
        body.append(
            f'<text x="{_n(x)}" y="{top + 3 * cell_height + 14}" font-size="11" '
            f'text-anchor="middle" fill="{MUTED}">{escape(_short(level, 16))}</text>'
        )
        y = top + (2 - k) * cell_height + cell_height / 2
        body.append(
            f'<text x="{left - 4}" y="{_n(y + 4)}" font-size="11" text-anchor="end" '
            f'fill="{MUTED}">{escape(_short(level, 8))}</text>'
        )
    body.append(
        f'<text x="{_n(left + 1.5 * cell_width)}" y="{height - 6}" font-size="12" '
        f'text-anchor="middle" fill="{INK}">{escape(x_label)} →</text>'
    )
    y_mid = top + 1.5 * cell_height
    body.append(
        f'<text x="12" y="{_n(y_mid)}" font-size="12" text-anchor="middle" fill="{INK}" '
        f'transform="rotate(-90 12 {_n(y_mid)})">{escape(y_label)} →</text>'
    )
    return _svg(width, height, label, body, "chart-ninebox")


def histogram(
    bins: Sequence[tuple[str, int]],
    *,
    label: str,
    description: str = "",
    highlight: Sequence[int] = (),
    width: int = 320,
    height: int = 150,
) -> SafeString:
    """How many fall in each bin: ``bins`` are ``(bin label, count)`` left to right;
    bins whose index is in ``highlight`` are drawn in the off-track colour (e.g. the
    bins below the threshold). ``description`` becomes the chart's ``<desc>``, so a
    screen reader hears the counts as well as the title."""
    left, right, top, bottom = 28, 6, 10, 34
    plot_w, plot_h = width - left - right, height - top - bottom
    high = max([1, *(count for _b, count in bins)])

    def y_of(value: float) -> float:
        return top + plot_h * (1 - value / high)

    text = description or ", ".join(f"{name}: {count}" for name, count in bins)
    body = [
        f"<desc>{escape(text)}</desc>",
        f'<line class="chart-axis" x1="{left}" y1="{_n(y_of(0))}" x2="{width - right}" '
        f'y2="{_n(y_of(0))}" stroke="{MUTED}"/>',
        f'<text x="{left - 4}" y="{_n(y_of(high) + 4)}" font-size="11" text-anchor="end" '
        f'fill="{MUTED}">{high}</text>',
        f'<text x="{left - 4}" y="{_n(y_of(0) + 4)}" font-size="11" text-anchor="end" '
        f'fill="{MUTED}">0</text>',
    ]
    step = plot_w / max(1, len(bins))
    every = max(1, -(-len(bins) // 5))  # about five labels, so they never overlap
    for i, (name, count) in enumerate(bins):
        x0 = left + step * i
        off = i in highlight
        if count:
            y = y_of(count)
            body.append(
                f'<rect class="chart-bar{" chart-off" if off else ""}" x="{_n(x0 + step * 0.08)}" '
                f'y="{_n(y)}" width="{_n(step * 0.84)}" height="{_n(max(y_of(0) - y, 1))}" '
                f'fill="{STATUS_COLOURS["off_track"] if off else BAR}">'
                f"<title>{escape(name)}: {count}</title></rect>"
            )
        if i % every == 0:
            body.append(
                f'<text x="{_n(x0 + step / 2)}" y="{height - bottom + 14}" font-size="10" '
                f'text-anchor="middle" fill="{MUTED}">{escape(_short(name, 10))}</text>'
            )
    return _svg(width, height, label, body, "chart-histogram")


# --- Trends across cycles (insights) ---------------------------------------------------

TREND_COLOURS = ("#0969da", "#8250df", "#1a7f37", "#bf8700", "#cf222e", "#57606a")


def trend_chart(
    categories: Sequence[str],
    series: Sequence[tuple[str, Sequence[Decimal | float | None]]],
    *,
    label: str,
    description: str = "",
    target: Decimal | float | None = None,
    width: int = 520,
    height: int = 220,
) -> SafeString:
    """Lines over cycles: ``categories`` are the cycle names left to right, ``series``
    are ``(name, values)`` with one value (or None, a gap) per cycle. An optional
    ``target`` is a dashed line. ``description`` becomes the ``<desc>``; without one
    it lists every value, so a screen reader hears the numbers too."""
    left, right, top, bottom = 44, 12, 12, 52
    plot_w, plot_h = width - left - right, height - top - bottom
    known = [float(v) for _n2, values in series for v in values if v is not None]
    if target is not None:
        known.append(float(target))
    high = max([1.0, *known])
    high = high * 1.1 if high > 1 else high
    low = min([0.0, *known])
    span = (high - low) or 1.0

    def y_of(value: float) -> float:
        return top + plot_h * (high - value) / span

    text = description or "; ".join(
        f"{name}: "
        + ", ".join(
            f"{cat} {'—' if v is None else _number(v)}"
            for cat, v in zip(categories, values, strict=False)
        )
        for name, values in series
    )
    body = [
        f"<desc>{escape(text)}</desc>",
        f'<line class="chart-axis" x1="{left}" y1="{_n(y_of(low))}" x2="{width - right}" '
        f'y2="{_n(y_of(low))}" stroke="{MUTED}"/>',
        f'<text x="{left - 4}" y="{_n(y_of(high) + 4)}" font-size="11" text-anchor="end" '
        f'fill="{MUTED}">{escape(_number(round(high)))}</text>',
        f'<text x="{left - 4}" y="{_n(y_of(low) + 4)}" font-size="11" text-anchor="end" '
        f'fill="{MUTED}">{escape(_number(round(low)))}</text>',
    ]
    count = max(1, len(categories))
    step = plot_w / count
    every = max(1, -(-count // 8))
    for i, cat in enumerate(categories):
        if i % every == 0:
            body.append(
                f'<text x="{_n(left + step * (i + 0.5))}" y="{height - bottom + 14}" '
                f'font-size="11" text-anchor="middle" fill="{MUTED}">{escape(_short(cat, 12))}</text>'
            )
    if target is not None:
        y = y_of(float(target))
        body.append(
            f'<line class="chart-target" x1="{left}" y1="{_n(y)}" x2="{width - right}" '
            f'y2="{_n(y)}" stroke="{STATUS_COLOURS["off_track"]}" stroke-dasharray="6 4">'
            f"<title>{escape(_number(target))}</title></line>"
        )
    for k, (name, values) in enumerate(series):
        colour = TREND_COLOURS[k % len(TREND_COLOURS)]
        points = [
            (left + step * (i + 0.5), y_of(float(v)), cat, v)
            for i, (cat, v) in enumerate(zip(categories, values, strict=False))
            if v is not None
        ]
        if len(points) > 1:
            body.append(_polyline([(x, y) for x, y, _c, _v in points], colour, "chart-line"))
        body += [
            f'<circle class="chart-point" cx="{_n(x)}" cy="{_n(y)}" r="3.5" fill="{colour}">'
            f"<title>{escape(name)} · {escape(cat)}: {escape(_number(v))}</title></circle>"
            for x, y, cat, v in points
        ]
    x = 4.0
    y = height - 18
    for k, (name, _values) in enumerate(series):
        colour = TREND_COLOURS[k % len(TREND_COLOURS)]
        body.append(f'<rect x="{_n(x)}" y="{y}" width="12" height="12" fill="{colour}"/>')
        body.append(
            f'<text x="{_n(x + 16)}" y="{y + 11}" font-size="11" fill="{INK}">'
            f"{escape(_short(name, 40))}</text>"
        )
        x += 28 + text_width(_short(name, 40), 11)
    return _svg(width, height, label, body, "chart-trend")
