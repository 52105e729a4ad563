"""Split a document's text into paragraphs, as half-open code-point ranges.

The rule (also in the README): a paragraph is a non-empty line, except in a hard-wrapped file, where a block of
lines between blank lines is one paragraph. A file counts as hard-wrapped when its lines have a width (none is
longer than ``MAX_WRAP_WIDTH``, the longest at least ``MIN_WRAP_WIDTH``) and, in at least ``FILLED_SHARE`` of the places where a block continues on the
next line, the next line's first word would not have fitted on the line before: which is what a wrapping
editor does, and what a list of short one-line paragraphs does not.
"""

from typing import NamedTuple

MAX_WRAP_WIDTH = 120
MIN_WRAP_WIDTH = 40
FILLED_SHARE = 0.8
MIN_EVIDENCE = 2  # continuations needed before calling a file hard-wrapped


class Span(NamedTuple):
    char_start: int
    char_end: int


def _lines(text: str) -> list[Span]:
    """Return every line's range without its newline."""
    spans, start = [], 0
    for line in text.split("\n"):
        spans.append(Span(start, start + len(line)))
        start += len(line) + 1
    return spans


def _blocks(text: str, lines: list[Span]) -> list[list[Span]]:
    blocks: list[list[Span]] = []
    current: list[Span] = []
    for line in lines:
        if text[line.char_start : line.char_end].strip():
            current.append(line)
        elif current:
            blocks.append(current)
            current = []
    if current:
        blocks.append(current)
    return blocks


def is_hard_wrapped(text: str) -> bool:
    """Tell whether ``text`` is hard-wrapped (see the module docstring).

    :param text: normalised document text.
    :returns: True when blocks of lines, not lines, are the paragraphs.
    """
    # The widest line first, in C: most texts have a line too long (or none long enough) to be wrapped. The
    # blank lines (no block has them) count as 0, less than any other line's width.
    width = max(map(len, map(str.rstrip, text.split("\n"))))
    if not MIN_WRAP_WIDTH <= width <= MAX_WRAP_WIDTH:
        return False
    blocks = _blocks(text, _lines(text))
    continuations = filled = 0
    for block in blocks:
        for line, following in zip(block, block[1:]):
            next_words = text[following.char_start : following.char_end].split()
            line_length = len(text[line.char_start : line.char_end].rstrip())
            if line_length == width:
                continue  # nothing fits after the longest line: it proves nothing
            continuations += 1
            if line_length + 1 + len(next_words[0]) > width:
                filled += 1
    return continuations >= MIN_EVIDENCE and filled >= FILLED_SHARE * continuations


def _trimmed(text: str, start: int, end: int) -> Span:
    """Shrink ``[start, end)`` to exclude surrounding white space."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return Span(start, end)


def paragraphs(text: str, lines_only: bool = False) -> list[Span]:
    """Return the paragraphs of ``text`` in order, each trimmed of surrounding white space.

    :param text: normalised document text (``\\n`` newlines).
    :param lines_only: every line is a paragraph, whatever the wrapping looks like (segment files).
    :returns: non-empty, non-overlapping half-open ranges; ``text[start:end]`` is the paragraph.
    """
    if not lines_only and is_hard_wrapped(text):
        units = [(block[0].char_start, block[-1].char_end) for block in _blocks(text, _lines(text))]
        spans = [_trimmed(text, start, end) for start, end in units]
        return [span for span in spans if span.char_start < span.char_end]
    # Each line, trimmed: str.strip() strips what str.isspace() calls white space, as _trimmed does.
    spans, start = [], 0
    for line in text.split("\n"):
        kept = line.lstrip()
        if kept:
            left = start + len(line) - len(kept)
            spans.append(Span(left, left + len(kept.rstrip())))
        start += len(line) + 1
    return spans
