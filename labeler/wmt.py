"""WMT MQM TSV, the format of google/wmt-mqm-human-evaluation: import, and segment and system scores.

A file has the columns ``system doc doc_id seg_id rater source target category severity`` (some add
``comment``), one row per error with exactly one ``<v>…</v>`` span, in the target or (an omission) in the
source, and ``No-error`` rows for segments a rater found no error in. Some files quote fields as CSV, some do
not quote at all.

On import, each ``doc`` becomes a group: its source and every system's translation are documents whose lines
are the segments in ``seg_id`` order; every rater becomes an annotator; every error becomes a span of the
translation layer; every (segment, rater) pair that was rated is kept, so that scores average over the raters
who rated a segment, errors or not (the WMT convention).
"""

import csv
import io
import re
import secrets
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from sqlmodel import Session, select

from labeler import mqm
from labeler.models import Annotation, Document, Group, MqmRating, Project, Segment, User
from labeler.text.normalize import TextError, decode, normalize

COLUMNS = ["system", "doc", "doc_id", "seg_id", "rater", "source", "target", "category", "severity"]
SEVERITIES = {"minor", "major", "critical", "neutral"}
NO_ERROR = "no-error"
SOURCE_DOC = "source"
MARKER = re.compile(r"</?v>")


class TsvProblem(ValueError):
    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.message, self.line = message, line


@dataclass
class MqmError:
    doc: str
    system: str
    seg_id: str
    rater: str
    side: str  # "target" or "source"
    char_start: int  # within the segment
    char_end: int
    category: str
    severity: str
    comment: str
    line: int


@dataclass
class MqmFile:
    """Segments per document, errors and ratings, checked; offsets are code points within a segment."""

    sources: dict[str, dict[str, str]] = field(default_factory=lambda: defaultdict(dict))  # doc → seg → text
    targets: dict[str, dict[str, dict[str, str]]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(dict)))
    errors: list[MqmError] = field(default_factory=list)
    ratings: set[tuple[str, str, str, str]] = field(default_factory=set)  # (doc, system, seg, rater)


def _strip_markers(text: str, line: int, column: str) -> tuple[str, tuple[int, int] | None]:
    """Remove ``<v>`` markers; return the text and the marked range (code points), if any."""
    tags = MARKER.findall(text)
    if not tags:
        return text, None
    if tags != ["<v>", "</v>"]:
        raise TsvProblem(f"the {column} has unmatched or repeated <v> markers", line)
    start = text.index("<v>")
    end = text.index("</v>") - len("<v>")
    return MARKER.sub("", text), (start, end)


def _seg_key(value: str) -> tuple:
    return (0, int(value), "") if value.isdigit() else (1, 0, value)


def read_tsv(path: Path) -> MqmFile:
    """Read and check a WMT MQM TSV file.

    :raises TsvProblem: naming the line: wrong column count, bad quoting, unmatched or missing ``<v>`` markers,
        an unknown severity, a segment whose text differs between rows, an empty segment.
    """
    try:
        content = normalize(decode(path.read_bytes()))
    except TextError as error:
        raise TsvProblem(error.message, error.line) from None
    lines = content.split("\n")
    if not lines or not lines[0].strip():
        raise TsvProblem("the file is empty", 1)
    header = [name.strip().strip('"') for name in lines[0].split("\t")]
    if header[:9] != COLUMNS or len(header) > 10 or (len(header) == 10 and header[9] != "comment"):
        raise TsvProblem(f"the header must be {' '.join(COLUMNS)} [comment]; found {' '.join(header)}", 1)
    quoted = any(line.startswith('"') or '\t"' in line for line in lines[1:])
    reader = csv.reader(io.StringIO("\n".join(lines[1:])), delimiter="\t",
                        quoting=csv.QUOTE_MINIMAL if quoted else csv.QUOTE_NONE, strict=True)
    result = MqmFile()
    first_seen: dict[tuple, int] = {}
    try:
        for row in reader:
            number = reader.line_num + 1
            if not row or row == [""]:
                continue
            if len(row) != len(header):
                raise TsvProblem(f"expected {len(header)} tab-separated columns, found {len(row)}", number)
            values = dict(zip(header, row))
            _read_row(values, number, result, first_seen)
    except csv.Error as error:
        raise TsvProblem(f"bad quoting: {error}", reader.line_num + 1) from None
    if not result.sources:
        raise TsvProblem("no rows below the header", 2)
    return result


def _read_row(values: dict, number: int, result: MqmFile, first_seen: dict) -> None:
    for name in ("system", "doc", "seg_id", "rater"):
        if not values[name].strip():
            raise TsvProblem(f"the {name} column is empty", number)
    doc, system, seg, rater = values["doc"], values["system"], values["seg_id"], values["rater"]
    source, source_span = _strip_markers(values["source"], number, "source")
    target, target_span = _strip_markers(values["target"], number, "target")
    for side, text in (("source", source), ("target", target)):
        if not text.strip():
            raise TsvProblem(f"the {side} segment is empty", number)
        key = (side, doc, system if side == "target" else "", seg)
        known = result.sources[doc].get(seg) if side == "source" else result.targets[doc][system].get(seg)
        if known is not None and known != text:
            raise TsvProblem(f"the {side} of segment {seg} of {doc!r}{' by ' + system if side == 'target' else ''} "
                             f"differs from line {first_seen[key]}", number)
        first_seen.setdefault(key, number)
    result.sources[doc][seg] = source
    result.targets[doc][system][seg] = target
    category, severity = values["category"].strip(), values["severity"].strip().lower()
    result.ratings.add((doc, system, seg, rater))
    if category.lower() == NO_ERROR or severity == NO_ERROR:
        if source_span or target_span:
            raise TsvProblem("a No-error row has a <v> marker", number)
        return
    if severity not in SEVERITIES:
        raise TsvProblem(f"unknown severity {values['severity']!r} (use Minor, Major, Critical or Neutral)", number)
    if not category:
        raise TsvProblem("the category is empty", number)
    if (source_span is None) == (target_span is None):
        raise TsvProblem("an error row needs exactly one <v>…</v> span, in the target or the source", number)
    side, (start, end) = ("target", target_span) if target_span else ("source", source_span)
    if start == end:
        raise TsvProblem("the <v>…</v> span is empty", number)
    result.errors.append(MqmError(doc, system, seg, rater, side, start, end, category, severity,
                                  values.get("comment", "") or "", number))


def documents_of(mqm_file: MqmFile, path: Path, source_lang: str | None, target_lang: str | None) -> list:
    """The documents to import: per ``doc``, the source and each system's translation, a segment a line."""
    from labeler.readers import DocumentInput

    out = []
    for doc, segments in sorted(mqm_file.sources.items()):
        order = sorted(segments, key=_seg_key)
        out.append(DocumentInput(group_key=doc, group_name=doc, origin=SOURCE_DOC, lang=source_lang, role="source",
                                 title=f"{doc} · source", text="\n".join(segments[s] for s in order),
                                 source=str(path), lines_are_paragraphs=True))
        for system, by_seg in sorted(mqm_file.targets[doc].items()):
            missing = [s for s in order if s not in by_seg]
            if missing:
                raise TsvProblem(f"system {system!r} has no row for segment {missing[0]} of {doc!r}")
            out.append(DocumentInput(group_key=doc, group_name=doc, origin=system, lang=target_lang,
                                     role="translation", title=system, text="\n".join(by_seg[s] for s in order),
                                     source=str(path), lines_are_paragraphs=True))
    return out


@dataclass
class MqmReport:
    raters_created: int = 0
    errors_created: int = 0
    errors_unchanged: int = 0
    ratings: int = 0
    categories_added: list[str] = field(default_factory=list)


def import_ratings(session: Session, project: Project, mqm_file: MqmFile) -> MqmReport:
    """Write raters, error spans and ratings (the documents are already imported).

    Categories the project does not have yet are added to its error labels: they are the file's typology.
    """
    from labeler.auth import create_user

    report = MqmReport()
    labels = project.label_schema.setdefault("error", {}).setdefault("labels", [])
    for error in mqm_file.errors:
        if error.category not in labels:
            labels.append(error.category)
            report.categories_added.append(error.category)
    if report.categories_added:
        project.label_schema = {**project.label_schema}  # a new object, so that the JSON column is written
        session.add(project)
    users = dict(session.exec(select(User.username, User.id)).all())
    for rater in sorted({rating[3] for rating in mqm_file.ratings}):
        if rater not in users:
            # Raters become annotators who cannot log in until an admin resets their password.
            users[rater] = create_user(session, rater, secrets.token_urlsafe(24), "annotator").id
            report.raters_created += 1
    segments: dict[tuple[str, str], list[Segment]] = {}

    def segments_of(doc: str, origin: str) -> tuple[Document, list[Segment]]:
        if (doc, origin) not in segments:
            group = session.exec(select(Group).where(Group.project_id == project.id, Group.key == doc)).one()
            document = session.exec(select(Document).where(Document.group_id == group.id, Document.origin == origin)
                                    .order_by(Document.version.desc())).first()
            rows = list(session.exec(select(Segment).where(Segment.document_id == document.id).order_by(Segment.position)))
            segments[(doc, origin)] = (document, rows)
        return segments[(doc, origin)]

    order = {doc: {seg: index for index, seg in enumerate(sorted(segs, key=_seg_key))}
             for doc, segs in mqm_file.sources.items()}
    existing_ratings = set(session.exec(select(MqmRating.segment_id, MqmRating.user_id)).all())
    for doc, system, seg, rater in sorted(mqm_file.ratings):
        _, rows = segments_of(doc, system)
        key = (rows[order[doc][seg]].id, users[rater])
        if key not in existing_ratings:
            session.add(MqmRating(segment_id=key[0], user_id=key[1]))
            existing_ratings.add(key)
            report.ratings += 1
    for error in mqm_file.errors:
        document, rows = segments_of(error.doc, error.system if error.side == "target" else SOURCE_DOC)
        segment = rows[order[error.doc][error.seg_id]]
        line_start = _line_start(document.text, segment)
        start, end = line_start + error.char_start, line_start + error.char_end
        if start < segment.char_start or end > segment.char_end:
            raise TsvProblem("the <v>…</v> span covers only the white space around the segment", error.line)
        attrs = {"severity": error.severity}
        if error.comment:
            attrs["note"] = error.comment
        if error.side == "source":
            attrs["system"] = error.system  # a source-side span (an omission) belongs to one system's rating
        found = session.exec(select(Annotation.id).where(
            Annotation.document_id == document.id, Annotation.annotator_id == users[error.rater],
            Annotation.char_start == start, Annotation.char_end == end, Annotation.layer == "error",
            Annotation.label == error.category, Annotation.deleted_at == None)).first()  # noqa: E711
        if found is not None:
            report.errors_unchanged += 1
            continue
        session.add(Annotation(document_id=document.id, segment_id=segment.id, char_start=start, char_end=end,
                               surface=document.text[start:end], layer="error", label=error.category, attrs=attrs,
                               annotator_id=users[error.rater], origin="import", status="accepted"))
        report.errors_created += 1
    session.flush()
    return report


def _line_start(text: str, segment: Segment) -> int:
    """Where the segment's line starts (the paragraph may be trimmed of leading white space)."""
    return text.rfind("\n", 0, segment.char_start) + 1


def scores(session: Session, project: Project) -> tuple[list[dict], list[dict]]:
    """Per-segment and per-system MQM scores: a rater's penalty per segment, averaged over its raters.

    :returns: ``(segments, systems)``; a system's score is the mean of its segment scores.
    """
    weights = project.label_schema.get("mqm_weights", {})
    rows = []
    for group in session.exec(select(Group).where(Group.project_id == project.id).order_by(Group.key)):
        documents = list(session.exec(select(Document).where(
            Document.group_id == group.id, Document.superseded == False, Document.role != "source")  # noqa: E712
            .order_by(Document.origin)))
        source = session.exec(select(Document).where(Document.group_id == group.id, Document.origin == SOURCE_DOC,
                                                     Document.superseded == False)).first()  # noqa: E712
        source_segments = list(session.exec(select(Segment).where(Segment.document_id == source.id)
                                            .order_by(Segment.position))) if source else []
        for document in documents:
            segments = list(session.exec(select(Segment).where(Segment.document_id == document.id)
                                         .order_by(Segment.position)))
            raters: dict[int, set[int]] = defaultdict(set)
            for segment_id, user_id in session.exec(select(MqmRating.segment_id, MqmRating.user_id).where(
                    MqmRating.segment_id.in_([s.id for s in segments]))):
                raters[segment_id].add(user_id)
            penalties: dict[tuple[int, int], float] = defaultdict(float)
            by_position = {s.id: s.position for s in segments + source_segments}
            for annotation in session.exec(select(Annotation).where(
                    Annotation.document_id.in_([document.id] + ([source.id] if source else [])),
                    Annotation.layer == "error", Annotation.deleted_at == None,  # noqa: E711
                    Annotation.annotator_id != None)):  # noqa: E711
                if annotation.document_id != document.id and (annotation.attrs or {}).get("system") != document.origin:
                    continue
                position = by_position[annotation.segment_id]
                target_segment = segments[position].id if position < len(segments) else None
                raters[target_segment].add(annotation.annotator_id)
                penalties[(position, annotation.annotator_id)] += mqm.weight(
                    annotation.label, (annotation.attrs or {}).get("severity", "major"), weights)
            for segment in segments:
                who = raters.get(segment.id, set())
                if not who:
                    continue
                total = sum(penalties.get((segment.position, user), 0.0) for user in who)
                rows.append({"system": document.origin, "doc": group.key, "seg": segment.position + 1,
                             "raters": len(who), "score": round(total / len(who), 4)})
    by_system: dict[str, list[float]] = defaultdict(list)
    for row in rows:
        by_system[row["system"]].append(row["score"])
    systems = sorted(({"system": name, "segments": len(values), "score": round(sum(values) / len(values), 4)}
                      for name, values in by_system.items()), key=lambda item: (item["score"], item["system"]))
    return rows, systems


def tsv_lines(session: Session, project: Project, groups: list[Group], counts: dict):
    """Yield the project's translation errors as WMT MQM TSV lines (header first), in file order.

    Each group with a source document (``role`` source) and translations of as many paragraphs as the source
    is one ``doc``; each translation is a ``system``; each annotator who rated a segment or marked an error in
    it is a ``rater``: one row per error, with its ``<v>…</v>`` span in the target, or in the source for a
    span on the source; a ``No-error`` row for a rated segment without errors. ``doc_id`` numbers the docs
    and ``seg_id`` the segments of the whole file, from 1. Fields are written unquoted, or all quoted (CSV
    style) when some field holds a tab or starts with a quote.
    """
    usernames = dict(session.exec(select(User.id, User.username)).all())
    rows: list[list[str]] = []
    with_comment = False
    seg_number = 0
    for doc_number, group in enumerate(groups, start=1):
        documents = list(session.exec(select(Document).where(Document.group_id == group.id,
                                                             Document.superseded == False)))  # noqa: E712
        source = next((d for d in documents if d.role == "source"), None)
        systems = sorted((d for d in documents if d is not source and d.role == "translation"),
                         key=lambda d: d.origin)
        segments = {d.id: list(session.exec(select(Segment).where(Segment.document_id == d.id)
                                            .order_by(Segment.position))) for d in documents}
        if source is None or not systems or any(len(segments[d.id]) != len(segments[source.id]) for d in systems):
            counts["groups_skipped"] += 1
            continue
        ids = [d.id for d in documents]
        spans = list(session.exec(select(Annotation).where(
            Annotation.document_id.in_(ids), Annotation.layer == "error", Annotation.annotator_id != None,  # noqa: E711
            Annotation.deleted_at == None, Annotation.status == "accepted")  # noqa: E711
            .order_by(Annotation.char_start, Annotation.char_end, Annotation.label, Annotation.id)))
        position = {s.id: s.position for d in documents for s in segments[d.id]}
        rated = defaultdict(set)
        for segment_id, user_id in session.exec(select(MqmRating.segment_id, MqmRating.user_id).where(
                MqmRating.segment_id.in_([s.id for d in systems for s in segments[d.id]]))):
            rated[segment_id].add(user_id)
        errors = defaultdict(list)  # (system document id, position, user) → spans
        for span in spans:
            if span.document_id == source.id:
                system = next((d for d in systems if d.origin == (span.attrs or {}).get("system")), None)
                if system is None:
                    continue
                key = (system.id, position[span.segment_id], span.annotator_id)
            elif span.document_id in {d.id for d in systems}:
                key = (span.document_id, position[span.segment_id], span.annotator_id)
            else:
                continue
            errors[key].append(span)
            rated[segments[key[0]][key[1]].id].add(span.annotator_id)
        source_texts = [source.text[s.char_start:s.char_end] for s in segments[source.id]]
        for index, source_text in enumerate(source_texts):
            seg_number += 1
            for system in systems:
                segment = segments[system.id][index]
                target_text = system.text[segment.char_start:segment.char_end]
                for user in sorted(rated[segment.id], key=lambda u: usernames.get(u, "")):
                    base = [system.origin, group.key, str(doc_number), str(seg_number), usernames.get(user, "")]
                    found = errors.get((system.id, index, user), [])
                    if not found:
                        rows.append(base + [source_text, target_text, "No-error", "No-error", ""])
                    for span in found:
                        on_source = span.document_id == source.id
                        text, start = (source_text, segments[source.id][index].char_start) if on_source else \
                            (target_text, segment.char_start)
                        a, b = span.char_start - start, span.char_end - start
                        marked = f"{text[:a]}<v>{text[a:b]}</v>{text[b:]}"
                        note = (span.attrs or {}).get("note", "")
                        with_comment = with_comment or bool(note)
                        rows.append(base + [marked if on_source else source_text, target_text if on_source else marked,
                                            span.label, str((span.attrs or {}).get("severity", "major")).capitalize(), note])
                        counts["errors"] += 1
        counts["documents"] += 1 + len(systems)
    header = COLUMNS + (["comment"] if with_comment else [])
    quoted = any("\t" in field or field.startswith('"') for row in rows for field in row)
    yield "\t".join(header) + "\n"
    out = io.StringIO()
    writer = csv.writer(out, delimiter="\t", lineterminator="\n", quoting=csv.QUOTE_ALL)
    for row in rows:
        if quoted:
            writer.writerow(row[:len(header)])
            yield out.getvalue()
            out.seek(0)
            out.truncate()
        else:
            yield "\t".join(row[:len(header)]) + "\n"
