// labeler: a text selection inside one paragraph → document offsets in code points (the DOM counts UTF-16
// units). Shared by the group page (annotate.js) and the review page (review.js).
(function () {
  "use strict";

  function codePoints(text) { let count = 0; for (const _ of text) count++; return count; }
  function offsetWithin(paragraph, node, offset) {
    const range = document.createRange();
    range.setStart(paragraph, 0);
    range.setEnd(node, offset);
    return range.toString().length;
  }
  // Snap to whole words (Intl.Segmenter knows CJK, Thai, …); with Alt, only to whole characters (graphemes),
  // so an emoji or a letter with its combining mark is never cut.
  function snap(text, start, end, lang, exact) {
    const segmenter = new Intl.Segmenter(lang || undefined, { granularity: exact ? "grapheme" : "word" });
    for (const piece of segmenter.segment(text)) {
      const pieceEnd = piece.index + piece.segment.length;
      if (piece.index < start && start < pieceEnd && (exact || piece.isWordLike)) start = piece.index;
      if (piece.index < end && end < pieceEnd && (exact || piece.isWordLike)) end = pieceEnd;
    }
    while (start < end && /\s/.test(text[start])) start++;
    while (end > start && /\s/.test(text[end - 1])) end--;
    return [start, end];
  }
  // The selection as {para, rect, surface, documentId, start, end}, or null; `complain` is told when a
  // selection crosses paragraphs.
  function read(event, complain) {
    const selection = window.getSelection();
    if (!selection || selection.isCollapsed || selection.rangeCount === 0) return null;
    const range = selection.getRangeAt(0);
    const startPara = range.startContainer.parentElement && range.startContainer.parentElement.closest(".para");
    const endPara = range.endContainer.parentElement && range.endContainer.parentElement.closest(".para");
    const para = startPara || (range.startContainer.closest && range.startContainer.closest(".para"));
    if (!para || para !== (endPara || para)) {
      if ((startPara || endPara) && complain) complain("A span stays inside one paragraph.");
      return null;
    }
    const text = para.textContent;
    let start = offsetWithin(para, range.startContainer, range.startOffset);
    let end = offsetWithin(para, range.endContainer, range.endOffset);
    [start, end] = snap(text, start, end, para.getAttribute("lang"), event.altKey);
    if (end <= start) return null;
    const before = codePoints(text.slice(0, start));
    const surface = text.slice(start, end);
    const base = Number(para.dataset.start);
    return {
      para: para, rect: range.getBoundingClientRect(), surface: surface,
      documentId: para.dataset.document, start: base + before, end: base + before + codePoints(surface),
    };
  }
  window.labelerSelection = { read: read, codePoints: codePoints };
})();
