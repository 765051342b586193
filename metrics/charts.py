"""Charts drawn on the server as inline SVG: no JavaScript, nothing fetched from the internet.

Pure functions from numbers to safe markup. Every mark carries a <title> (the browser's tooltip and
what a screen reader reads) and the axes carry text labels, so colour is never the only signal.

Direction: the SVG sets direction="ltr" on itself, so an inherited dir="rtl" cannot flip what
"start" and "end" mean for its text anchors. Time runs left to right in every language (as on
the clocks and calendars the readers know); the horizontal bar chart mirrors itself for a
right-to-left page, labels on the right and bars growing leftwards. Labels isolate their own
text direction (unicode-bidi: plaintext), so a Persian team name next to a number reads right.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

Format = Callable[[float], str]

# Colours pass WCAG AA contrast against white for the marks that carry text.
LINE = "#2457a6"
BAR = "#5b84c4"
GRID = "#d9dee4"
TEXT = "#1f2933"
MUTED = "#616e7c"
FONT = 'font-family="inherit" font-size="11"'


def _join(parts: Iterable[SafeString | str]) -> SafeString:
    return format_html_join("", "{}", ((part,) for part in parts))


def _n(value: float) -> str:
    """A coordinate: short, dot as decimal separator whatever the locale."""
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _svg(width: int, height: int, label: str, body: SafeString, css_class: str) -> SafeString:
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" class="chart {}" viewBox="0 0 {} {}" width="100%" '
        'preserveAspectRatio="xMidYMid meet" role="img" aria-label="{}" direction="ltr" {}>'
        "<title>{}</title>{}</svg>",
        css_class,
        width,
        height,
        label,
        SafeString(FONT),
        label,
        body,
    )


def _text(x: float, y: float, text: str, *, anchor: str = "start", fill: str = MUTED, extra: str = "") -> SafeString:
    return format_html(
        '<text x="{}" y="{}" text-anchor="{}" fill="{}" style="unicode-bidi: plaintext"{}>{}</text>',
        _n(x),
        _n(y),
        anchor,
        fill,
        SafeString(extra),
        text,
    )


def nice_max(value: float) -> float:
    """The top of a number axis: the value rounded up to 1, 2, 4, 6 or 8 times a power of ten
    (even steps, so the middle grid line is a round number too)."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 4, 6, 8, 10):
        if value <= step * power:
            return step * power
    return 10 * power


# Tops for an axis of seconds: whole minutes, hours or days a reader can halve in their head.
_DURATION_TOPS = [
    *(minutes * 60 for minutes in (1, 2, 4, 10, 20, 30, 40, 60)),
    *(hours * 3600 for hours in (2, 4, 6, 8, 12, 16, 24)),
    *(days * 86_400 for days in (2, 4, 6, 8, 10, 14, 20, 30, 60, 90, 180, 366)),
]


def duration_max(seconds: float) -> float:
    """The top of an axis of seconds (see _DURATION_TOPS); beyond a year, as for plain numbers."""
    return next((top for top in _DURATION_TOPS if seconds <= top), nice_max(seconds))


def _y_axis(left: int, top: int, width: int, height: int, top_value: float, fmt: Format) -> SafeString:
    """Three grid lines (0, half, top) with their values; a value rounded to its neighbour's text is left out."""
    marks = []
    written: set[str] = set()
    for fraction in (0.0, 0.5, 1.0):
        y = top + height - fraction * height
        text = fmt(top_value * fraction)
        marks.append(
            format_html(
                '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="{}" stroke-width="1"/>',
                left,
                left + width,
                _n(y),
                _n(y),
                GRID,
            )
        )
        if text not in written:
            marks.append(_text(left - 6, y + 4, text, anchor="end"))
            written.add(text)
    return _join(marks)


def _x_labels(labels: Sequence[str], x_of: Callable[[int], float], y: float, room: float) -> SafeString:
    """As many labels along the bottom as fit in `room` (about 70 units each), the first and the last always."""
    if not labels:
        return SafeString("")
    count = len(labels)
    most = max(2, int(room // 70))
    step = max(1, math.ceil((count - 1) / (most - 1))) if count > 1 else 1
    shown = sorted({*range(0, count, step), count - 1})
    if len(shown) > 1 and shown[-1] - shown[-2] < step / 2:
        shown.pop(-2)
    return _join(_text(x_of(i), y, labels[i], anchor="middle") for i in shown)


def line_chart(
    points: Sequence[tuple[str, float | None]],
    *,
    label: str,
    fmt: Format,
    width: int = 720,
    height: int = 220,
    nice: Callable[[float], float] = nice_max,
) -> SafeString:
    """A line over (x label, value) points; None leaves a gap. Each point has a tooltip."""
    left, right, top, bottom = 64, 12, 12, 28
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [value for _, value in points if value is not None]
    top_value = nice(max(values, default=0))
    count = len(points)

    def x_of(i: int) -> float:
        return left + (plot_w * i / (count - 1) if count > 1 else plot_w / 2)

    def y_of(value: float) -> float:
        return top + plot_h - (max(value, 0) / top_value) * plot_h

    runs: list[list[tuple[float, float]]] = [[]]
    dots = []
    for i, (x_label, value) in enumerate(points):
        if value is None:
            if runs[-1]:
                runs.append([])
            continue
        runs[-1].append((x_of(i), y_of(value)))
        dots.append(
            format_html(
                '<circle cx="{}" cy="{}" r="3" fill="{}"><title>{}: {}</title></circle>',
                _n(x_of(i)),
                _n(y_of(value)),
                LINE,
                x_label,
                fmt(value),
            )
        )
    lines = [
        format_html(
            '<polyline points="{}" fill="none" stroke="{}" stroke-width="2" stroke-linejoin="round"/>',
            " ".join(f"{_n(x)},{_n(y)}" for x, y in run),
            LINE,
        )
        for run in runs
        if len(run) > 1
    ]
    body = _join(
        [
            _y_axis(left, top, plot_w, plot_h, top_value, fmt),
            *lines,
            *dots,
            _x_labels([x_label for x_label, _ in points], x_of, height - 8, plot_w),
        ]
    )
    if not values:
        body = _join([body, _text(width / 2, height / 2, "—", anchor="middle")])
    return _svg(width, height, label, body, "chart-line")


def bar_chart(
    points: Sequence[tuple[str, float | None]],
    *,
    label: str,
    fmt: Format,
    width: int = 720,
    height: int = 220,
    nice: Callable[[float], float] = nice_max,
) -> SafeString:
    """Vertical bars over (x label, value) points, each with its tooltip; None draws no bar."""
    left, right, top, bottom = 64, 12, 12, 28
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [value for _, value in points if value is not None]
    top_value = nice(max(values, default=0))
    count = max(1, len(points))
    slot = plot_w / count
    bar_w = max(1.0, slot * 0.75)

    def x_of(i: int) -> float:
        return left + slot * i + slot / 2

    bars = []
    for i, (x_label, value) in enumerate(points):
        if value is None:
            continue
        bar_h = (max(value, 0) / top_value) * plot_h
        bars.append(
            format_html(
                '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}: {}</title></rect>',
                _n(x_of(i) - bar_w / 2),
                _n(top + plot_h - bar_h),
                _n(bar_w),
                _n(bar_h),
                BAR,
                x_label,
                fmt(value),
            )
        )
    body = _join(
        [
            _y_axis(left, top, plot_w, plot_h, top_value, fmt),
            *bars,
            _x_labels([x_label for x_label, _ in points], x_of, height - 8, plot_w),
        ]
    )
    return _svg(width, height, label, body, "chart-bars")


def hbar_chart(
    rows: Sequence[tuple[str, float | None]],
    *,
    label: str,
    fmt: Format,
    rtl: bool = False,
    width: int = 560,
    row_height: int = 24,
    label_width: int = 150,
) -> SafeString:
    """Horizontal bars, one per (label, value) row, the value written at the bar's end.

    In a right-to-left page the chart is mirrored: labels on the right, bars growing leftwards.
    """
    value_width = 90
    plot_w = width - label_width - value_width
    height = max(1, len(rows)) * row_height + 4
    top_value = max([value for _, value in rows if value is not None] + [0]) or 1
    marks = []
    for i, (row_label, value) in enumerate(rows):
        y = 2 + i * row_height
        bar_w = (max(value or 0, 0) / top_value) * plot_w
        text = fmt(value) if value is not None else "—"
        if rtl:
            label_x, label_anchor = width - 4, "end"
            bar_x = width - label_width - bar_w
            value_x, value_anchor = bar_x - 6, "end"
        else:
            label_x, label_anchor = 4, "start"
            bar_x = label_width
            value_x, value_anchor = label_width + bar_w + 6, "start"
        marks.append(_text(label_x, y + row_height * 0.65, row_label, anchor=label_anchor, fill=TEXT))
        marks.append(
            format_html(
                '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}: {}</title></rect>',
                _n(bar_x),
                _n(y + 3),
                _n(bar_w),
                _n(row_height - 6),
                BAR,
                row_label,
                text,
            )
        )
        marks.append(_text(value_x, y + row_height * 0.65, text, anchor=value_anchor, fill=TEXT))
    return _svg(width, height, label, _join(marks), "chart-hbars")


def _heat_colour(share: float) -> str:
    """White to the accent blue; text on the darker half turns white (see heatmap)."""
    start, end = (246, 247, 249), (36, 87, 166)
    r, g, b = (round(s + (e - s) * share) for s, e in zip(start, end, strict=True))
    return f"#{r:02x}{g:02x}{b:02x}"


def heatmap(
    grid: Sequence[Sequence[float]],
    *,
    label: str,
    row_labels: Sequence[str],
    column_labels: Sequence[str],
    cell_title: Callable[[int, int, float], str],
    show_values: bool = True,
    cell: int = 26,
) -> SafeString:
    """Rows × columns of shaded cells (for arrivals: weekday × hour). Each cell has a tooltip and,
    when show_values, its number written in it; darker means more."""
    left, top = 40, 16
    columns = max((len(row) for row in grid), default=0)
    width, height = left + columns * cell + 2, top + len(grid) * cell + 2
    top_value = max((value for row in grid for value in row), default=0) or 1
    marks = [
        _text(left + c * cell + cell / 2, top - 4, column_labels[c], anchor="middle")
        for c in range(columns)
        if c < len(column_labels) and column_labels[c]
    ]
    for r, row in enumerate(grid):
        y = top + r * cell
        marks.append(_text(left - 4, y + cell * 0.65, row_labels[r] if r < len(row_labels) else "", anchor="end"))
        for c, value in enumerate(row):
            share = value / top_value
            x = left + c * cell
            marks.append(
                format_html(
                    '<rect x="{}" y="{}" width="{}" height="{}" fill="{}" stroke="#fff" stroke-width="1">'
                    "<title>{}</title></rect>",
                    x,
                    y,
                    cell,
                    cell,
                    _heat_colour(share),
                    cell_title(r, c, value),
                )
            )
            if show_values and value:
                marks.append(
                    _text(
                        x + cell / 2,
                        y + cell * 0.65,
                        _short(value),
                        anchor="middle",
                        fill="#fff" if share > 0.5 else TEXT,
                        extra=' font-size="9" pointer-events="none"',
                    )
                )
    return _svg(width, height, label, _join(marks), "chart-heatmap")


def _short(value: float) -> str:
    """A number that fits a small cell: 7, 42, 980, 1.2k, 15k."""
    if value >= 10_000:
        return f"{value / 1000:.0f}k"
    if value >= 1000:
        return f"{value / 1000:.1f}k"
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"
