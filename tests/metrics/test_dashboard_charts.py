"""Server-drawn SVG charts: well-formed, escaped, a tooltip on every mark, mirrored for right-to-left."""

import xml.etree.ElementTree as ET

import pytest

from metrics import charts
from metrics import views_format as fmt

SVG = "{http://www.w3.org/2000/svg}"


def _parse(markup: str) -> ET.Element:
    return ET.fromstring(str(markup))  # noqa: S314 (our own markup, parsed to check it is well-formed)


def _titles(root: ET.Element) -> list[str]:
    return [element.text or "" for element in root.iter(f"{SVG}title")]


def test_a_line_chart_has_a_tooltip_per_point_and_leaves_gaps_for_missing_values():
    points = [("1 Nov", 10.0), ("2 Nov", None), ("3 Nov", 20.0), ("4 Nov", 30.0)]

    root = _parse(charts.line_chart(points, label="Tickets", fmt=fmt.count))

    assert root.get("role") == "img"
    assert root.get("aria-label") == "Tickets"
    assert _titles(root) == ["Tickets", "1 Nov: 10", "3 Nov: 20", "4 Nov: 30"]
    # 1 Nov stands alone; 3 and 4 Nov are joined.
    assert len(root.findall(f"{SVG}polyline")) == 1


def test_labels_and_tooltips_are_escaped():
    root_markup = charts.bar_chart([("<script>alert(1)</script>", 1)], label='A "quoted" <b>', fmt=fmt.count)

    assert "<script>" not in root_markup
    assert _titles(_parse(root_markup))[1] == "<script>alert(1)</script>: 1"


def test_a_bar_chart_draws_one_bar_per_value_with_axis_labels():
    root = _parse(charts.bar_chart([("Mon", 3), ("Tue", 0), ("Wed", 7)], label="Arrivals", fmt=fmt.count))
    texts = [element.text for element in root.iter(f"{SVG}text")]

    assert len(root.findall(f"{SVG}rect")) == 3
    assert {"0", "4", "8"} <= set(texts)  # the axis: 0, the middle and a round top above 7
    assert {"Mon", "Wed"} <= set(texts)


def test_axes_of_durations_stop_at_round_times():
    assert charts.duration_max(50 * 60) == 3600
    assert charts.duration_max(5 * 3600) == 6 * 3600
    assert charts.duration_max(3 * 86_400) == 4 * 86_400
    assert charts.nice_max(7) == 8
    assert charts.nice_max(0) == 1


def test_horizontal_bars_write_their_values_and_mirror_for_right_to_left():
    rows = [("Email", 10), ("Chat", 5)]

    ltr = _parse(charts.hbar_chart(rows, label="Mix", fmt=fmt.count, width=500, label_width=100))
    rtl = _parse(charts.hbar_chart(rows, label="Mix", fmt=fmt.count, width=500, label_width=100, rtl=True))

    def first_label(root):
        return next(element for element in root.iter(f"{SVG}text") if element.text == "Email")

    def first_bar(root):
        return root.find(f"{SVG}rect")

    assert (first_label(ltr).get("x"), first_label(ltr).get("text-anchor")) == ("4", "start")
    assert (first_label(rtl).get("x"), first_label(rtl).get("text-anchor")) == ("496", "end")
    assert first_bar(ltr).get("x") == "100"
    assert float(first_bar(rtl).get("x")) + float(first_bar(rtl).get("width")) == pytest.approx(400)
    assert "10" in [element.text for element in ltr.iter(f"{SVG}text")]
    # The chart fixes its own direction: a dir="rtl" page cannot flip what its anchors mean.
    assert ltr.get("direction") == rtl.get("direction") == "ltr"


def test_a_heatmap_has_a_cell_per_weekday_and_hour_each_with_its_tooltip():
    grid = [[0] * 24 for _ in range(7)]
    grid[0][11] = 42

    root = _parse(
        charts.heatmap(
            grid,
            label="Chat",
            row_labels=["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
            column_labels=[f"{hour:02d}" for hour in range(24)],
            cell_title=lambda row, column, value: f"{row}/{column}: {value:.0f}",
        )
    )

    cells = root.findall(f"{SVG}rect")
    assert len(cells) == 7 * 24
    assert "0/11: 42" in _titles(root)
    assert cells[11].get("fill") == "#2457a6"  # the busiest cell is the darkest
    assert cells[0].get("fill") == "#f6f7f9"
    assert "42" in [element.text for element in root.iter(f"{SVG}text")]  # written in the cell, not only coloured


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(None, "—"), (45, "45 s"), (720, "12 min"), (3600, "1 h"), (11_520, "3 h 12 min"), (187_200, "2 d 4 h")],
)
def test_durations_read_like_3_h_12_min(seconds, text):
    assert fmt.duration(seconds) == text


def test_units_format_as_people_read_them():
    assert fmt.percent(74.26) == "74.3%"
    assert fmt.money(15.5) == "$15.50"
    assert fmt.score(32.4) == "+32"
    assert fmt.score(-5) == "−5"
    assert fmt.count(1234) == "1,234"
    assert fmt.change(-120, "seconds") == "−2 min"
    assert fmt.change(2.5, "percent") == "+2.5 pts"
