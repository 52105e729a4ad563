"""Server-side SVG charts: valid XML, escaped labels, proportional bars, accessible, and honest when empty."""

import xml.etree.ElementTree as ET

import pytest
from jinja2 import Environment
from markupsafe import Markup

from labeler import charts

SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = "<script>alert('x')</script> & \"quotes\""


def parse(markup: str) -> ET.Element:
    root = ET.fromstring(str(markup))
    assert root.tag == f"{SVG}svg"
    return root


def texts(root: ET.Element) -> list[str]:
    return ["".join(node.itertext()) for node in root.iter(f"{SVG}text")]


def every_chart(label: str) -> list[Markup]:
    return [
        charts.bar_chart([(label, 3), ("ORG", 1)], f"Labels {label}"),
        charts.dot_plot([(label, [(label, 2.5), ("doc 2", 7.0)])], f"MQM {label}", unit=label),
        charts.line_chart([label, "May 2"], [(label, [0.5, 0.75])], f"F1 {label}"),
        charts.line_chart([label], [(label, [0.5])], f"F1 {label}"),
        charts.progress_bar(1, 2, label, started=1),
        charts.no_data(label, message=label),
    ]


@pytest.mark.parametrize("index", range(6))
def test_hostile_labels_are_text_never_markup(index):
    chart = every_chart(HOSTILE)[index]
    assert isinstance(chart, Markup)
    assert "<script" not in chart and "&lt;script&gt;" in chart
    root = parse(chart)  # still one well-formed SVG: the label closed nothing and opened nothing
    assert not [node for node in root.iter() if node.tag.endswith("script")]
    # Parsed back, the label reads exactly as the person typed it (in the title, the tooltips or the text).
    assert HOSTILE in "".join(root.itertext()) or HOSTILE in root.get("aria-label")


def test_characters_xml_cannot_carry_are_dropped():
    root = parse(charts.bar_chart([("PER\x00\x1b", 2)], "Labels"))
    assert "PER" in texts(root)


def test_jinja_autoescape_leaves_a_chart_as_it_is():
    chart = charts.bar_chart([(HOSTILE, 1)], "Labels")
    rendered = Environment(autoescape=True).from_string("<figure>{{ chart }}</figure>").render(chart=chart)
    assert rendered == f"<figure>{chart}</figure>"


def test_bar_lengths_are_proportional_to_the_values():
    root = parse(charts.bar_chart([("PER", 12), ("ORG", 6), ("LOC", 3), ("DATE", 0)], "Entities"))
    widths = [float(bar.get("width")) for bar in root.iter(f"{SVG}rect") if bar.get("class") == "bar"]
    assert len(widths) == 4
    assert widths[1] == pytest.approx(widths[0] / 2, abs=0.01)
    assert widths[2] == pytest.approx(widths[0] / 4, abs=0.01)
    assert widths[3] == 0
    # Every value is also written as text, in the order given.
    assert [t for t in texts(root) if t.isdigit()] == ["12", "6", "3", "0"]


def test_long_labels_are_cut_but_kept_whole_in_the_tooltip():
    label = "Locale convention/Currency and something much longer"
    root = parse(charts.bar_chart([(label, 4)], "Errors"))
    assert any(t.endswith("…") and len(t) == charts.LABEL_CHARS for t in texts(root))
    assert f"{label}: 4 spans" in [node.text for node in root.iter(f"{SVG}title")]


@pytest.mark.parametrize("chart", [
    charts.bar_chart([], "Entities"),
    charts.bar_chart([("PER", 0)], "Entities"),
    charts.dot_plot([], "MQM"),
    charts.dot_plot([("es", [])], "MQM"),
    charts.line_chart([], [], "F1"),
    charts.line_chart(["May 1"], [("entity", [None])], "F1"),
])
def test_empty_data_says_so(chart):
    root = parse(chart)
    assert texts(root) == [charts.NO_DATA]
    assert charts.NO_DATA in root.get("aria-label")


def test_every_chart_is_an_accessible_image():
    for chart in every_chart("PER"):
        root = parse(chart)
        assert root.get("role") == "img" and root.get("aria-label")
        title = root.find(f"{SVG}title")
        assert title is not None and title.text and root[0] is title
        assert root.get("viewBox").startswith("0 0 ")


def test_bar_chart_summary_lists_the_figures_for_screen_readers():
    chart = parse(charts.bar_chart([("PER", 3), ("ORG", 1)], "Entities: spans per label"))
    assert chart.get("aria-label") == "Entities: spans per label: PER 3, ORG 1"
    assert chart.find(f"{SVG}desc").text == "PER 3, ORG 1"


def test_progress_bar_fills_its_share_and_writes_the_percentage():
    root = parse(charts.progress_bar(3, 4, "ana: groups submitted", width=200))
    rects = {rect.get("class"): rect for rect in root.iter(f"{SVG}rect")}
    assert float(rects["track"].get("width")) == 200 and float(rects["done"].get("width")) == 150
    assert texts(root) == ["75%"]
    assert root.get("aria-label") == "ana: groups submitted: 3 of 4 (75%)"


def test_progress_bar_shows_started_work_and_nothing_to_do():
    root = parse(charts.progress_bar(1, 4, "ben", started=2, width=100))
    rects = {rect.get("class"): rect for rect in root.iter(f"{SVG}rect")}
    assert float(rects["done"].get("width")) == 25 and float(rects["started"].get("width")) == 75
    assert "2 more started" in root.get("aria-label")
    empty = parse(charts.progress_bar(0, 0, "cy"))
    assert texts(empty) == ["—"] and "nothing to do yet" in empty.get("aria-label")
    assert not [r for r in empty.iter(f"{SVG}rect") if r.get("class") == "done"]


def test_dot_plot_places_dots_by_value_and_writes_each_mean():
    root = parse(charts.dot_plot([("es", [("a", 0.0), ("b", 10.0)]), ("de", [("c", 5.0)])], "MQM", unit="per 100"))
    dots = [dot for dot in root.iter(f"{SVG}circle") if dot.get("class") == "dot"]
    xs = {dot.get("data-value"): float(dot.get("cx")) for dot in dots}
    assert xs["5"] == pytest.approx((xs["0"] + xs["10"]) / 2)
    assert "mean 5" in texts(root) and texts(root).count("mean 5") == 2
    assert [node.text for node in root.iter(f"{SVG}title")][1:] == ["a: 0 per 100", "b: 10 per 100", "c: 5 per 100"]


def test_line_chart_draws_one_line_per_series_and_breaks_at_gaps():
    root = parse(charts.line_chart(["May 1", "May 2", "May 3", "May 4"],
                                   [("Entities", [0.5, 0.6, 0.7, 0.8]), ("Claims", [0.2, 0.4, None, 1.0])], "F1"))
    series = {g.get("data-series"): g for g in root.iter(f"{SVG}g") if g.get("class") == "series"}
    assert len(series["Entities"].findall(f"{SVG}polyline")) == 1
    assert len(series["Claims"].findall(f"{SVG}polyline")) == 1  # the lone last point has no segment
    assert len(series["Claims"].findall(f"{SVG}g")) == 3  # but every value has its marker
    # Higher values sit higher: y decreases as F1 grows.
    ys = [float(p.split(",")[1]) for p in series["Entities"].find(f"{SVG}polyline").get("points").split()]
    assert ys == sorted(ys, reverse=True)
    # The legend names every series in words, and the latest value is written beside each line.
    assert {"Entities", "Claims", "0.8", "1"} <= set(texts(root))


def test_a_single_point_is_not_drawn_as_a_line():
    root = parse(charts.line_chart(["May 2"], [("Entities", [0.8])], "F1"))
    assert not list(root.iter(f"{SVG}polyline"))
    assert "One point so far: a trend needs a second one." in texts(root)
    assert "0.8" in texts(root)


def test_many_dates_keep_their_labels_apart():
    labels = [f"May {day}" for day in range(1, 31)]
    root = parse(charts.line_chart(labels, [("Entities", [0.5] * 30)], "F1"))
    shown = [t for t in texts(root) if t.startswith("May")]
    assert len(shown) <= 9 and shown[-1] == "May 30"
