"""Highlighting computed on the server: a paragraph's text and its spans become runs of text, each run with the
spans that cover it. Templates only loop over runs; corpus text is escaped like any other text.

Overlapping and nested spans all stay visible: within a layer every span gets a *band* (0 for the outermost
level, 1 for a span nested in or crossing a band-0 span, …), and the stylesheet draws each band apart.
"""

import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from labeler.schema import ENTITY_TYPES

CHIP_CHARACTERS = 14  # a label chip longer than this (and its leeway) is cut, as Jinja's truncate(14, true, "…")
CHIP_LEEWAY = 5
ERROR_ORDER = {"critical": 0, "major": 1, "minor": 2, "neutral": 3}


class SpanView(NamedTuple):
    """A span as highlighting needs it (a tuple: a page builds hundreds of them, issue 8)."""

    id: int
    char_start: int  # code points into the document text
    char_end: int
    layer: str  # entity, claim or error
    label: str
    severity: str | None = None
    concept_id: int | None = None
    status: str = "accepted"
    origin: str = "human"


@dataclass(slots=True)
class Run:
    """A piece of a paragraph and the spans that cover all of it (slots and shared empty defaults: a group page
    holds a thousand runs, and every list they carry is work for the garbage collector, issue 8)."""

    text: str
    char_start: int
    char_end: int
    spans: Sequence[SpanView] = ()
    starts: Sequence[SpanView] = ()  # spans that begin with this run (label chips)
    bands: dict[int, int] = field(default_factory=dict)  # span id → band within its layer
    place: str = ""  # review: the key of the place the run's span belongs to
    place_state: str = ""  # review: decided, agreed, partial, split or rejected

    @property
    def span_ids(self) -> str:
        return " ".join(str(span.id) for span in self.spans)

    @property
    def suggested(self) -> bool:
        """A suggestion the reader has not answered covers this run."""
        return any(span.status == "suggested" for span in self.spans)

    def layer(self, name: str) -> list[SpanView]:
        return [span for span in self.spans if span.layer == name]

    @property
    def entity(self) -> SpanView | None:
        """The innermost entity (shortest), whose colour the run takes."""
        entities = self.layer("entity")
        return min(entities, key=lambda s: (s.char_end - s.char_start, -s.char_start)) if entities else None

    @property
    def concepts(self) -> str:
        return " ".join(sorted({str(span.concept_id) for span in self.spans if span.concept_id}))

    @property
    def worst_error(self) -> SpanView | None:
        errors = self.layer("error")
        return min(errors, key=lambda s: ERROR_ORDER.get(s.severity or "", 4)) if errors else None

    @property
    def depth(self) -> int:
        """How many entity bands this run stacks (1 = a single entity)."""
        return max((self.bands[span.id] + 1 for span in self.layer("entity")), default=0)

    @property
    def title(self) -> str:
        return "; ".join(
            f"{span.layer}: {span.label}" + (f" ({span.severity})" if span.severity else "") for span in self.spans
        )

    @property
    def css_class(self) -> str:
        """The classes that draw the run: entity colour and depth, claim, error severity, suggestion, review place.

        What ``entity``, ``depth``, ``worst_error`` and ``suggested`` say, in one pass over the spans: a group page
        draws hundreds of highlighted runs (issue 8).
        """
        entity = error = entity_key = error_rank = None
        depth, claim, suggested = 0, False, False
        for span in self.spans:
            if span.layer == "entity":
                key = (span.char_end - span.char_start, -span.char_start)
                if entity is None or key < entity_key:
                    entity, entity_key = span, key
                depth = max(depth, self.bands[span.id] + 1)
            elif span.layer == "error":
                rank = ERROR_ORDER.get(span.severity or "", 4)
                if error is None or rank < error_rank:
                    error, error_rank = span, rank
            elif span.layer == "claim":
                claim = True
            suggested = suggested or span.status == "suggested"
        classes = ["run"]
        if entity is not None:
            classes += ["ent", entity_class(entity.label), f"depth-{depth}"]
        if claim:
            classes.append("claim")
        if error is not None:
            classes += ["err", f"sev-{error.severity}"]
        if self.starts:
            classes.append("start")
        if suggested:
            classes.append("suggested")
        if self.place:
            classes.append(f"pl-{self.place_state}")
        return " ".join(classes)

    @property
    def chip(self) -> str:
        """The label chip of the spans that begin with this run (long labels cut), or empty."""
        return " · ".join(chip_text(span.label) for span in self.starts)


def entity_class(label: str) -> str:
    """The CSS class that colours an entity label: its own for the default types, one of eight for others."""
    if label in ENTITY_TYPES:
        return f"ent-{label.lower()}"
    return f"ent-c{zlib.crc32(label.encode()) % 8}"


def chip_text(label: str) -> str:
    """A label as its chip shows it: whole up to 19 characters, else its first 13 and an ellipsis."""
    if len(label) <= CHIP_CHARACTERS + CHIP_LEEWAY:
        return label
    return label[:CHIP_CHARACTERS - 1] + "…"


def assign_bands(spans: list[SpanView]) -> dict[int, int]:
    """Give each span the lowest band of its layer not taken by an overlapping span (interval colouring).

    :param spans: spans of any layers.
    :returns: span id → band (0-based), outer spans first.
    """
    bands: dict[int, int] = {}
    by_layer: dict[str, list[SpanView]] = {}
    for span in spans:
        by_layer.setdefault(span.layer, []).append(span)
    for layer_spans in by_layer.values():
        placed: list[tuple[SpanView, int]] = []
        for span in sorted(layer_spans, key=lambda s: (s.char_start, -s.char_end, s.id)):
            taken = {band for other, band in placed if other.char_start < span.char_end and span.char_start < other.char_end}
            band = next(b for b in range(len(taken) + 1) if b not in taken)
            bands[span.id] = band
            placed.append((span, band))
    return bands


def runs(text: str, char_start: int, spans: list[SpanView]) -> list[Run]:
    """Cut a paragraph into runs at every span boundary.

    :param text: the paragraph's text.
    :param char_start: where the paragraph starts in its document (spans use document offsets).
    :param spans: spans inside the paragraph; any overlap or nesting.
    :returns: runs covering the whole paragraph in order; ``"".join(r.text for r in runs) == text``.
    """
    char_end = char_start + len(text)
    inside = [s for s in spans if s.char_start < char_end and s.char_end > char_start]
    if not inside:  # most paragraphs of a page: one run, nothing to cut
        return [Run(text, char_start, char_end)]
    cuts = {char_start, char_end}
    for span in inside:
        cuts.add(max(span.char_start, char_start))
        cuts.add(min(span.char_end, char_end))
    bands = assign_bands(inside)
    # Sorted once in drawing order (layer, band, id): the spans covering each run keep that order.
    inside.sort(key=lambda s: (s.layer, bands[s.id], s.id))
    ordered = sorted(cuts)
    out = []
    for start, end in zip(ordered, ordered[1:]):
        piece = text[start - char_start:end - char_start]
        covering = tuple([s for s in inside if s.char_start <= start and s.char_end >= end])
        if covering:
            # Tuples of tuples: the garbage collector stops tracking them, and a page holds hundreds (issue 8).
            out.append(Run(piece, start, end, covering, tuple([s for s in covering if s.char_start == start]),
                           {s.id: bands[s.id] for s in covering}))
        else:
            out.append(Run(piece, start, end))
    return out
