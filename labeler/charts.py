"""Small charts drawn on the server as inline SVG: pure functions, no Flask, no database (issue 7, item 5).

Why ``Markup``: templates never mark text ``|safe`` (STYLE.md rule 5), yet a chart is markup. So every
function here returns a ``markupsafe.Markup`` that it built itself, and *every* dynamic string in it (labels
are user-defined and may be hostile, document names come from the corpus) goes through ``_text`` —
``markupsafe.escape`` after removing characters XML forbids — before it joins the markup; numbers are
formatted here, never passed through. Parts are joined as plain ``str`` and wrapped once at the end: adding a
``str`` to a ``Markup`` would escape the markup itself.

Accessibility: each chart is ``role="img"`` with an ``aria-label`` (title and a short summary), a ``<title>``
and a ``<desc>`` that lists the figures; values are written as text beside the marks and series differ by
marker shape and dash pattern, so colour is never the only signal.
"""

import math
import re

from markupsafe import Markup, escape

FONT_SIZE = 12
CHAR_WIDTH = 6.8  # average advance of a 12 px system-ui character
LABEL_CHARS = 30  # longer labels are cut with an ellipsis (the full text stays in the row's tooltip)
ACCENT = "#1f5fbf"
INK = "#1d2330"
MUTED = "#5b6472"
LINE = "#d9dde3"
# Series: colour, dash pattern and marker shape all differ, so print and colour-blind readers tell them apart.
SERIES_STYLES = [("#1f5fbf", "", "circle"), ("#b45309", "6 3", "square"), ("#1e7a3c", "2 3", "triangle"),
                 ("#7c3aed", "8 3 2 3", "diamond")]
NO_DATA = "No data yet"

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _text(value) -> str:
    """Escape any value for SVG text or an attribute (characters XML cannot carry are dropped)."""
    return str(escape(_NOT_XML.sub("", str(value))))


def _num(value: float) -> str:
    """A coordinate: two decimals at most, no trailing zeros."""
    return f"{value:.2f}".rstrip("0").rstrip(".") or "0"


def format_value(value: float) -> str:
    """A figure as people read it: integers as they are, others with up to two decimals."""
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _text_width(text: str) -> float:
    """About how wide ``text`` is at 12 px, to size label columns (capitals and CJK are wider)."""
    width = 0.0
    for char in text:
        if "\u2e80" <= char <= "\ufaff" or "\uac00" <= char <= "\ud7af":
            width += 12
        elif char.isupper() or char in "mwMW%@":
            width += 8.2
        elif char.isdigit():
            width += 7
        elif char in " .,:;'!|()[]/":
            width += 3.8
        else:
            width += CHAR_WIDTH
    return width


def _short(label: str, limit: int = LABEL_CHARS) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def _svg(width: float, height: float, title: str, summary: str, body: list[str], kind: str) -> Markup:
    """Wrap the drawn parts (already escaped ``str``) in an accessible ``<svg>`` element."""
    label = f"{title}: {summary}" if summary else title
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-{kind}" viewBox="0 0 {_num(width)} '
            f'{_num(height)}" width="{_num(width)}" height="{_num(height)}" role="img" aria-label="{_text(label)}" '
            f'font-size="{FONT_SIZE}"><title>{_text(title)}</title><desc>{_text(summary)}</desc>')
    return Markup(head + "".join(body) + "</svg>")


def no_data(title: str, message: str = NO_DATA, width: float = 420) -> Markup:
    """A chart-sized box that says there is nothing to draw yet."""
    body = [f'<rect x="0.5" y="0.5" width="{_num(width - 1)}" height="47" rx="6" fill="#fafbfc" stroke="{LINE}" '
            f'stroke-dasharray="4 3"/>',
            f'<text x="{_num(width / 2)}" y="29" text-anchor="middle" fill="{MUTED}" class="no-data">'
            f'{_text(message)}</text>']
    return _svg(width, 48, title, message, body, "empty")


def progress_bar(done: int, total: int, label: str, started: int = 0, width: float = 140) -> Markup:
    """A progress bar: ``done`` of ``total`` solid, ``started`` more in a lighter shade, the percentage beside it.

    :param label: what is counted, for screen readers (e.g. ``"ana: groups submitted"``).
    """
    share = done / total if total else 0.0
    started_share = min(started / total, 1 - share) if total else 0.0
    percent = f"{round(100 * share)}%" if total else "—"
    summary = f"{done} of {total} ({percent})" if total else "nothing to do yet"
    if started:
        summary += f", {started} more started"
    height = 16
    body = [f'<rect class="track" x="0" y="2" width="{_num(width)}" height="12" rx="6" fill="#eef1f5" '
            f'stroke="{LINE}"/>']
    if started_share:
        # Started but not submitted: a lighter segment with a dashed edge (the summary says how many).
        body.append(f'<rect class="started" x="0" y="2" width="{_num(width * (share + started_share))}" '
                    f'height="12" rx="6" fill="#b9cdee" stroke="{ACCENT}" stroke-dasharray="3 2"/>')
    if share:
        body.append(f'<rect class="done" x="0" y="2" width="{_num(width * share)}" height="12" rx="6" '
                    f'fill="{ACCENT}"/>')
    body.append(f'<text x="{_num(width + 8)}" y="13" fill="{INK}">{_text(percent)}</text>')
    return _svg(width + 44, height, label, summary, body, "progress")


def bar_chart(items: list[tuple[str, float]], title: str, unit: str = "spans", width: float = 420) -> Markup:
    """A horizontal bar chart, one bar per ``(label, value)`` in the given order, lengths proportional to values.

    :returns: the chart, or a "no data" box when ``items`` is empty or all zero.
    """
    if not items or not any(value for _, value in items):
        return no_data(title, width=width)
    row, bar = 22, 14
    label_width = min(max(_text_width(_short(label)) for label, _ in items) + 12, width * 0.5)
    value_width = max(_text_width(format_value(value)) for _, value in items) + 12
    area = width - label_width - value_width
    top = max(value for _, value in items)
    body = []
    for index, (label, value) in enumerate(items):
        y = index * row + 4
        length = area * value / top
        body.append(f'<g class="bar-row"><title>{_text(label)}: {_text(format_value(value))} {_text(unit)}</title>'
                    f'<text x="{_num(label_width - 8)}" y="{_num(y + 11)}" text-anchor="end" fill="{INK}">'
                    f'{_text(_short(label))}</text>'
                    f'<rect class="bar" x="{_num(label_width)}" y="{_num(y)}" width="{_num(length)}" '
                    f'height="{bar}" rx="2" fill="{ACCENT}" data-value="{_text(format_value(value))}"/>'
                    f'<text x="{_num(label_width + length + 5)}" y="{_num(y + 11)}" fill="{INK}">'
                    f'{_text(format_value(value))}</text></g>')
    summary = ", ".join(f"{label} {format_value(value)}" for label, value in items)
    return _svg(width, len(items) * row + 6, title, summary, body, "bars")


def _nice_ceiling(value: float) -> float:
    """The smallest 1, 2, 2.5 or 5 times a power of ten at or above ``value`` (an axis that reads well)."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    return next(step * power for step in (1, 2, 2.5, 5, 10) if step * power >= value - 1e-9)


def dot_plot(rows: list[tuple[str, list[tuple[str, float]]]], title: str, unit: str = "",
             width: float = 560) -> Markup:
    """One line of dots per row (e.g. a language), one dot per ``(name, value)`` (e.g. a document), with the
    row's mean marked and written at the right.

    :returns: the chart, or a "no data" box when no row has a value.
    """
    rows = [(label, points) for label, points in rows if points]
    if not rows:
        return no_data(title, width=width)
    row, top_pad, axis = 30, 8, 40 if unit else 26
    label_width = min(max(_text_width(_short(label, 16)) for label, _ in rows) + 16, 150)
    mean_width = 86
    left, right = label_width, width - mean_width
    # At most four steps of a round size (0, 10, 20, 30 rather than 0, 12.5, 25…).
    step = _nice_ceiling(max(value for _, points in rows for _, value in points) / 4)
    high = step * max(1, math.ceil(max(value for _, points in rows for _, value in points) / step - 1e-9))
    ticks = [step * index for index in range(round(high / step) + 1)]
    height = top_pad + len(rows) * row + axis

    def x_of(value: float) -> float:
        return left + (right - left) * value / high

    body = []
    for tick in ticks:
        x = x_of(tick)
        body.append(f'<line x1="{_num(x)}" y1="{top_pad}" x2="{_num(x)}" y2="{_num(top_pad + len(rows) * row)}" '
                    f'stroke="{LINE}"/><text x="{_num(x)}" y="{_num(top_pad + len(rows) * row + 15)}" '
                    f'text-anchor="middle" '
                    f'fill="{MUTED}">{_text(format_value(round(tick, 2)))}</text>')
    if unit:
        body.append(f'<text x="{_num((left + right) / 2)}" y="{_num(height - 4)}" text-anchor="middle" '
                    f'fill="{MUTED}">{_text(unit)}</text>')
    summaries = []
    for index, (label, points) in enumerate(rows):
        middle = top_pad + index * row + row / 2
        mean = sum(value for _, value in points) / len(points)
        body.append(f'<g class="dot-row"><text x="{_num(label_width - 10)}" y="{_num(middle + 4)}" '
                    f'text-anchor="end" fill="{INK}">{_text(_short(label, 16))}</text>'
                    f'<line x1="{_num(left)}" y1="{_num(middle)}" x2="{_num(right)}" y2="{_num(middle)}" '
                    f'stroke="{LINE}" stroke-dasharray="2 3"/>')
        for number, (name, value) in enumerate(points):
            # Documents with close scores would hide each other: spread them over three lines.
            y = middle + ((number % 3) - 1) * 5
            body.append(f'<circle class="dot" cx="{_num(x_of(value))}" cy="{_num(y)}" r="5" fill="{ACCENT}" '
                        f'fill-opacity=".55" stroke="{ACCENT}" data-value="{_text(format_value(round(value, 2)))}">'
                        f'<title>{_text(name)}: {_text(format_value(round(value, 2)))} {_text(unit)}</title></circle>')
        body.append(f'<line class="mean" x1="{_num(x_of(mean))}" y1="{_num(middle - 11)}" x2="{_num(x_of(mean))}" '
                    f'y2="{_num(middle + 11)}" stroke="{INK}" stroke-width="2"/>'
                    f'<text x="{_num(right + 10)}" y="{_num(middle + 4)}" fill="{INK}">mean '
                    f'{_text(format_value(round(mean, 2)))}</text></g>')
        summaries.append(f"{label}: {len(points)} values, mean {format_value(round(mean, 2))}")
    return _svg(width, height, title, "; ".join(summaries), body, "dots")


def _marker(shape: str, x: float, y: float, colour: str) -> str:
    if shape == "square":
        return f'<rect x="{_num(x - 4)}" y="{_num(y - 4)}" width="8" height="8" fill="{colour}"/>'
    if shape == "triangle":
        return (f'<polygon points="{_num(x)},{_num(y - 5)} {_num(x + 5)},{_num(y + 4)} {_num(x - 5)},{_num(y + 4)}" '
                f'fill="{colour}"/>')
    if shape == "diamond":
        return (f'<polygon points="{_num(x)},{_num(y - 5)} {_num(x + 5)},{_num(y)} {_num(x)},{_num(y + 5)} '
                f'{_num(x - 5)},{_num(y)}" fill="{colour}"/>')
    return f'<circle cx="{_num(x)}" cy="{_num(y)}" r="4" fill="{colour}"/>'


def line_chart(x_labels: list[str], series: list[tuple[str, list[float | None]]], title: str,
               y_max: float = 1.0, width: float = 560) -> Markup:
    """A line per series over evenly spaced points (``None``: no value there, the line breaks).

    With a single point there is no trend to draw: the chart shows each series' value and says so.

    :returns: the chart, or a "no data" box when no series has a value.
    """
    series = [(name, values) for name, values in series if any(v is not None for v in values)]
    if not x_labels or not series:
        return no_data(title, width=width)
    left, right, top, bottom = 40, width - 64, 30, 40  # the legend sits in the top 30
    plot_height = 150
    height = top + plot_height + bottom
    inset = 16  # keeps the first and last markers off the axis labels
    step = (right - left - 2 * inset) / max(len(x_labels) - 1, 1)

    def x_of(index: int) -> float:
        return left + inset + step * index if len(x_labels) > 1 else (left + right) / 2

    def y_of(value: float) -> float:
        return top + plot_height * (1 - min(max(value / y_max, 0.0), 1.0))

    body = []
    for tick in (0, 0.25, 0.5, 0.75, 1.0):
        y = y_of(tick * y_max)
        body.append(f'<line x1="{left}" y1="{_num(y)}" x2="{_num(right)}" y2="{_num(y)}" stroke="{LINE}"/>'
                    f'<text x="{left - 6}" y="{_num(y + 4)}" text-anchor="end" fill="{MUTED}">'
                    f'{_text(format_value(tick * y_max))}</text>')
    # At most about eight dates under the axis, always the last one.
    every = max(1, math.ceil(len(x_labels) / 8))
    for index, label in enumerate(x_labels):
        if index % every == 0 or index == len(x_labels) - 1:
            if index != len(x_labels) - 1 and len(x_labels) - 1 - index < every:
                continue  # would collide with the last label
            body.append(f'<text x="{_num(x_of(index))}" y="{_num(top + plot_height + 18)}" text-anchor="middle" '
                        f'fill="{MUTED}">{_text(label)}</text>')
    x = left
    for number, (name, _) in enumerate(series):
        colour, dash, shape = SERIES_STYLES[number % len(SERIES_STYLES)]
        body.append(f'<g class="legend"><line x1="{_num(x)}" y1="10" x2="{_num(x + 24)}" y2="10" stroke="{colour}" '
                    f'stroke-width="2" stroke-dasharray="{dash}"/>{_marker(shape, x + 12, 10, colour)}'
                    f'<text x="{_num(x + 30)}" y="14" fill="{INK}">{_text(name)}</text></g>')
        x += 42 + _text_width(name)
    summaries = []
    for number, (name, values) in enumerate(series):
        colour, dash, shape = SERIES_STYLES[number % len(SERIES_STYLES)]
        parts, run = [], []
        for index, value in enumerate(values):
            if value is None:
                if len(run) > 1:
                    parts.append(run)
                run = []
            else:
                run.append(f"{_num(x_of(index))},{_num(y_of(value))}")
        if len(run) > 1:
            parts.append(run)
        group = [f'<g class="series" data-series="{_text(name)}">']
        group += [f'<polyline points="{" ".join(run)}" fill="none" stroke="{colour}" stroke-width="2" '
                  f'stroke-dasharray="{dash}"/>' for run in parts]
        for index, value in enumerate(values):
            if value is not None:
                group.append(f'<g class="point">{_marker(shape, x_of(index), y_of(value), colour)}<title>'
                             f'{_text(name)}, {_text(x_labels[index])}: {_text(format_value(round(value, 2)))}'
                             f'</title></g>')
        last = max(index for index, value in enumerate(values) if value is not None)
        # The latest value, written: the figure people look for, readable without the colours.
        group.append(f'<text x="{_num(x_of(last) + 9)}" y="{_num(y_of(values[last]) + 4)}" fill="{colour}" '
                     f'font-weight="600">{_text(format_value(round(values[last], 2)))}</text></g>')
        body.append("".join(group))
        summaries.append(f"{name}: " + ", ".join(f"{x_labels[i]} {format_value(round(v, 2))}"
                                                 for i, v in enumerate(values) if v is not None))
    if len(x_labels) == 1:
        body.append(f'<text x="{_num((left + right) / 2)}" y="{_num(top + plot_height + 34)}" text-anchor="middle" '
                    f'fill="{MUTED}" class="one-point">One point so far: a trend needs a second one.</text>')
    return _svg(width, height, title, "; ".join(summaries), body, "lines")
