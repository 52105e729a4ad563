"""Highlighting computed on the server: a paragraph's text and its spans become runs of text, each run with the
spans that cover it. Templates only loop over runs; corpus text is escaped like any other text.

Overlapping and nested spans all stay visible: within a layer every span gets a *band* (0 for the outermost
level, 1 for a span nested in or crossing a band-0 span, …), and the stylesheet draws each band apart.
"""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class SpanView:
    id: int
    char_start: int  # code points into the document text
    char_end: int
    layer: str  # entity, claim or error
    label: str
    severity: str | None = None
    concept_id: int | None = None
    status: str = "accepted"
    origin: str = "human"


@dataclass
class Run:
    text: str
    char_start: int
    char_end: int
    spans: list[SpanView] = field(default_factory=list)
    starts: list[SpanView] = field(default_factory=list)  # spans that begin with this run (label chips)
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
        order = {"critical": 0, "major": 1, "minor": 2, "neutral": 3}
        errors = self.layer("error")
        return min(errors, key=lambda s: order.get(s.severity or "", 4)) if errors else None

    @property
    def depth(self) -> int:
        """How many entity bands this run stacks (1 = a single entity)."""
        return max((self.bands[span.id] + 1 for span in self.layer("entity")), default=0)

    @property
    def title(self) -> str:
        return "; ".join(
            f"{span.layer}: {span.label}" + (f" ({span.severity})" if span.severity else "") for span in self.spans
        )


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
    cuts = {char_start, char_end}
    for span in inside:
        cuts.add(max(span.char_start, char_start))
        cuts.add(min(span.char_end, char_end))
    bands = assign_bands(inside)
    ordered = sorted(cuts)
    out = []
    for start, end in zip(ordered, ordered[1:]):
        covering = [s for s in inside if s.char_start <= start and s.char_end >= end]
        covering.sort(key=lambda s: (s.layer, bands[s.id], s.id))
        out.append(Run(
            text=text[start - char_start:end - char_start], char_start=start, char_end=end, spans=covering,
            starts=[s for s in covering if s.char_start == start],
            bands={s.id: bands[s.id] for s in covering},
        ))
    return out
