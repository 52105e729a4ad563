"""Import a ``labeler.gold/1`` export back: its documents, its labels and its alignment.

The labels become the gold set (by default), the labels of the annotator each record names (files made with
``--all``), or the labels of one annotator chosen on the command line. Importing the same file twice adds
nothing the second time. Every problem names the line and nothing of the batch is written.
"""

from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import delete, insert
from sqlmodel import Session, select

from labeler.models import (
    AlignmentMember, AlignmentRow, Annotation, Concept, Document, Group, Project, Segment, User,
)

GOLD_SCHEMA = "labeler.gold/1"
LAYERS = {"entities": "entity", "claims": "claim", "errors": "error"}


class GoldProblem(ValueError):
    """A record that cannot be imported; ``line`` is its line in the file."""

    def __init__(self, message: str, line: int, path: str = ""):
        super().__init__(message)
        self.message, self.line, self.path = message, line, path


@dataclass
class GoldLabels:
    """The labels, concepts and alignment of one gold record, checked for shape but not yet against the text."""

    line: int
    path: str
    text_sha256: str
    annotator: str | None
    spans: list[dict]  # each with "layer" added
    concepts: dict[str, dict]
    paragraphs: list[dict]


@dataclass
class LabelReport:
    spans_created: int = 0
    spans_unchanged: int = 0
    concepts_created: int = 0
    groups_realigned: list[str] = field(default_factory=list)


def _fail(condition: bool, message: str, line: int, path: str = "") -> None:
    if condition:
        raise GoldProblem(message, line, path)


def parse_labels(record: dict, path: Path | str, line: int) -> GoldLabels:
    """Check the shape of a gold record's labels (types and required fields).

    :raises GoldProblem: naming the first problem.
    """
    spans = []
    for key, layer in LAYERS.items():
        items = record.get(key, [])
        _fail(not isinstance(items, list), f"{key} must be a list", line)
        for item in items:
            _fail(not isinstance(item, dict), f"every item of {key} must be an object", line)
            name = item.get("id", "?")
            for field_name in ("id", "surface"):
                _fail(not isinstance(item.get(field_name), str), f"{key} {name}: {field_name} must be a string", line)
            for field_name in ("char_start", "char_end"):
                value = item.get(field_name)
                _fail(not isinstance(value, int) or isinstance(value, bool),
                      f"{key} {name}: {field_name} must be a whole number", line)
            label_field = "category" if layer == "error" else "label"
            _fail(not isinstance(item.get(label_field), str), f"{key} {name}: {label_field} must be a string", line)
            if layer == "error":
                _fail(not isinstance(item.get("severity"), str), f"errors {name}: severity must be a string", line)
                counterpart = item.get("counterpart")
                _fail(counterpart is not None and not (isinstance(counterpart, dict) and isinstance(
                    counterpart.get("doc_id"), str) and isinstance(counterpart.get("id"), str)),
                    f"errors {name}: counterpart must be null or {{doc_id, id}}", line)
            _fail(not isinstance(item.get("attrs", {}), dict), f"{key} {name}: attrs must be an object", line)
            annotators = item.get("annotators", [])
            _fail(not isinstance(annotators, list) or not all(isinstance(a, str) for a in annotators),
                  f"{key} {name}: annotators must be a list of names", line)
            spans.append({**item, "layer": layer})
    concepts = {}
    _fail(not isinstance(record.get("concepts", []) or [], list), "concepts must be a list", line)
    for concept in record.get("concepts", []) or []:
        _fail(not (isinstance(concept, dict) and isinstance(concept.get("id"), str) and isinstance(
            concept.get("name"), str) and concept.get("kind") in ("entity", "claim")),
            "every concept needs an id, a name and a kind (entity or claim)", line)
        concepts[concept["id"]] = concept
    paragraphs = record.get("paragraphs", []) or []
    _fail(not isinstance(paragraphs, list) or not all(isinstance(p, dict) for p in paragraphs),
          "paragraphs must be a list of objects", line)
    annotator = record.get("annotator")
    _fail(annotator is not None and not isinstance(annotator, str), "annotator must be a name or null", line)
    return GoldLabels(line=line, path=str(path), text_sha256=str(record.get("text_sha256", "")),
                      annotator=annotator, spans=spans, concepts=concepts, paragraphs=paragraphs)


def import_labels(session: Session, project: Project, documents: list, annotator: str | None = None,
                  new_groups: set[str] = frozenset(), as_suggestions: bool = False) -> LabelReport:
    """Write the labels of imported gold records (documents already written).

    :param documents: ``DocumentInput`` objects; the ``labels`` of each (one per record: a file made with
        ``--all`` has a record per annotator) are imported.
    :param annotator: put every label in this user's set instead of the gold set or the record's annotator.
    :param new_groups: keys of groups this import created: their alignment is taken from the file.
    :param as_suggestions: make the labels pre-annotations that every annotator accepts or rejects.
    :raises GoldProblem: on a span that is not in the text, an unknown label, user or counterpart.
    """
    report = LabelReport()
    schema = project.label_schema
    users = dict(session.exec(select(User.username, User.id)).all())
    concepts: dict[tuple, Concept] = {}
    by_group: dict[str, list] = defaultdict(list)
    for document in documents:
        if document.labels:
            by_group[document.group_key].append(document)
    _import_groups(session, project, by_group, annotator, new_groups, schema, users, concepts, report, as_suggestions)
    session.flush()
    return report


def _import_groups(session, project, by_group, annotator, new_groups, schema, users, concepts, report,
                   as_suggestions) -> None:
    for group_key, members in by_group.items():
        group = session.exec(select(Group).where(Group.project_id == project.id, Group.key == group_key)).one()
        written: dict[tuple[str, str | None, str], Annotation] = {}
        pending_counterparts = []
        stored = {}
        for document in members:
            for labels in document.labels:
                try:
                    _import_document(session, project, group, document, labels, annotator, schema, users, concepts,
                                     report, written, pending_counterparts, stored, as_suggestions)
                except GoldProblem as problem:
                    raise GoldProblem(problem.message, problem.line, labels.path) from None
        for annotation, owner, counterpart, name, line, path in pending_counterparts:
            target = written.get((counterpart["doc_id"], owner, counterpart["id"]))
            _fail(target is None, f"errors {name}: no span {counterpart['id']} in document "
                                  f"{counterpart['doc_id']!r} of this group to point at", line, path)
            _fail(target.document_id == annotation.document_id,
                  f"errors {name}: a counterpart is a span in another document", line, path)
            if annotation.counterpart_id is None:
                annotation.counterpart_id = target.id
                session.add(annotation)
        if group_key in new_groups and _restore_rows(session, group, stored):
            report.groups_realigned.append(group_key)


def _import_document(session, project, group, document, labels, annotator, schema, users, concepts, report,
                     written, pending_counterparts, stored, as_suggestions) -> None:
    """Write one record's spans (counterparts are linked once the whole group is in)."""
    row = session.exec(select(Document).where(Document.group_id == group.id, Document.origin == document.origin)
                       .order_by(Document.version.desc())).first()
    _fail(labels.text_sha256 and labels.text_sha256 != row.text_sha256,
          "text_sha256 does not match the text", labels.line)
    owner = None if as_suggestions else annotator or labels.annotator
    status = "suggested" if as_suggestions else "accepted"
    _fail(owner is not None and owner not in users,
          f"no user {owner!r}: add it with 'labeler user add' or choose one with --annotator", labels.line)
    owner_id = users[owner] if owner is not None else None
    segments = list(session.exec(select(Segment).where(Segment.document_id == row.id).order_by(Segment.position)))
    stored[document.origin] = (row, segments, labels)
    starts = [segment.char_start for segment in segments]
    for item in labels.spans:
        span = _check_span(item, row, segments, starts, schema, labels.line)
        concept = _concept(session, project, labels, item, concepts, report)
        existing = session.exec(select(Annotation).where(
            Annotation.document_id == row.id, Annotation.annotator_id == owner_id,
            Annotation.char_start == span["char_start"], Annotation.char_end == span["char_end"],
            Annotation.layer == span["layer"], Annotation.label == span["label"], Annotation.status == status,
            Annotation.deleted_at == None)).first()  # noqa: E711
        if existing is not None:
            report.spans_unchanged += 1
            annotation = existing
        elif as_suggestions:
            annotation = Annotation(
                document_id=row.id, segment_id=span["segment_id"], char_start=span["char_start"],
                char_end=span["char_end"], surface=item["surface"], layer=span["layer"], label=span["label"],
                attrs=span["attrs"], concept_id=concept.id if concept else None, annotator_id=None,
                origin="import", status=status)
            session.add(annotation)
            session.flush()
            report.spans_created += 1
        else:
            decided = item.get("decided_by")
            annotation = Annotation(
                document_id=row.id, segment_id=span["segment_id"], char_start=span["char_start"],
                char_end=span["char_end"], surface=item["surface"], layer=span["layer"], label=span["label"],
                attrs=span["attrs"], concept_id=concept.id if concept else None, annotator_id=owner_id,
                decided_by_id=users.get(decided) if owner_id is None and decided != "unanimous" else None,
                decision=("unanimous" if decided == "unanimous" else "import") if owner_id is None else None,
                source_annotators=sorted({str(name) for name in item.get("annotators") or []})
                if owner_id is None else None,
                origin="import", status="accepted")
            session.add(annotation)
            session.flush()
            report.spans_created += 1
        written[(document.origin, owner, item["id"])] = annotation
        if item.get("counterpart"):
            pending_counterparts.append((annotation, owner, item["counterpart"], item["id"], labels.line,
                                         labels.path))


def _check_span(item: dict, document: Document, segments: list[Segment], starts: list[int], schema: dict,
                line: int) -> dict:
    layer, name = item["layer"], item["id"]
    where = f"{'entities' if layer == 'entity' else layer + 's'} {name}"
    start, end = item["char_start"], item["char_end"]
    _fail(not 0 <= start < end <= len(document.text), f"{where}: {start}–{end} is outside the text "
                                                       f"(0–{len(document.text)}) or empty", line)
    actual = document.text[start:end]
    _fail(actual != item["surface"], f"{where}: the surface {item['surface']!r} is not the text at "
                                     f"{start}–{end} ({actual!r})", line)
    label = item["category"] if layer == "error" else item["label"]
    _fail(label not in schema.get(layer, {}).get("labels", []),
          f"{where}: {label!r} is not one of this project's {layer} labels", line)
    attrs = dict(item.get("attrs") or {})
    if layer == "error":
        severities = schema.get("error", {}).get("severities", [])
        _fail(item["severity"] not in severities,
              f"{where}: unknown severity {item['severity']!r} (use {', '.join(severities)})", line)
        attrs["severity"] = item["severity"]
    index = bisect_right(starts, start) - 1
    _fail(index < 0 or end > segments[index].char_end, f"{where}: crosses a paragraph boundary", line)
    return {"layer": layer, "label": label, "attrs": attrs, "char_start": start, "char_end": end,
            "segment_id": segments[index].id}


def _concept(session: Session, project: Project, labels: GoldLabels, item: dict, cache: dict,
             report: LabelReport) -> Concept | None:
    reference = item.get("concept")
    if not reference or item["layer"] == "error":
        return None
    _fail(reference not in labels.concepts, f"{item['layer']} {item['id']}: concept {reference!r} is not in "
                                            f"this record's concepts", labels.line)
    described = labels.concepts[reference]
    key = (described["kind"], described["name"], described.get("kb_id"))
    if key not in cache:
        found = session.exec(select(Concept).where(
            Concept.project_id == project.id, Concept.kind == key[0], Concept.name == key[1],
            Concept.kb_id == key[2] if key[2] is not None else Concept.kb_id == None)  # noqa: E711
            .order_by(Concept.id)).first()
        if found is None:
            found = Concept(project_id=project.id, kind=key[0], name=key[1], kb_id=key[2])
            session.add(found)
            session.flush()
            report.concepts_created += 1
        cache[key] = found
    return cache[key]


def _restore_rows(session: Session, group: Group, stored: dict) -> bool:
    """Give a newly imported group the rows of the file, when they differ from the automatic ones.

    :returns: whether the rows were replaced.
    """
    wanted: dict[int, list[tuple[int, bool]]] = defaultdict(list)  # row → (segment id, continued)
    confirmed: set[int] = set()
    for row, segments, labels in stored.values():
        if not labels.paragraphs:
            return False  # the file says nothing of the alignment: keep the automatic one
        ranges = {(s.char_start, s.char_end): s.id for s in segments}
        for paragraph in labels.paragraphs:
            segment_id = ranges.get((paragraph.get("char_start"), paragraph.get("char_end")))
            if segment_id is None or not isinstance(paragraph.get("row"), int):
                return False  # paragraphs that do not match this text's: keep the automatic alignment
            wanted[paragraph["row"]].append((segment_id, False))
            goes_on = paragraph.get("continues_in") or []
            if goes_on != list(range(paragraph["row"] + 1, paragraph["row"] + 1 + len(goes_on))):
                return False  # a paragraph goes on in the rows just below its own, or the file is not ours
            for later in goes_on:
                wanted[later].append((segment_id, True))
            if paragraph.get("row_status") == "confirmed":
                confirmed.add(paragraph["row"])
    rows = list(session.exec(select(AlignmentRow).where(AlignmentRow.group_id == group.id)
                             .order_by(AlignmentRow.position)))
    current = defaultdict(set)
    for row_id, segment_id, continued in session.exec(
            select(AlignmentMember.row_id, AlignmentMember.segment_id, AlignmentMember.continued)
            .where(AlignmentMember.row_id.in_([r.id for r in rows]))):
        current[row_id].add((segment_id, continued))
    if [current[row.id] for row in rows] == [set(wanted[index]) for index in sorted(wanted)]:
        # The same rows: keep them (and their scores), confirming those the file says were confirmed.
        for row, index in zip(rows, sorted(wanted)):
            if index in confirmed:
                row.status, row.method = "confirmed", "manual"
                session.add(row)
        return bool(confirmed)
    session.execute(delete(AlignmentMember).where(AlignmentMember.row_id.in_([r.id for r in rows])))
    session.execute(delete(AlignmentRow).where(AlignmentRow.group_id == group.id))
    for position, index in enumerate(sorted(wanted)):
        row = AlignmentRow(group_id=group.id, position=position, score=1.0,
                           method="manual" if index in confirmed else "auto-parallel",
                           status="confirmed" if index in confirmed else "suggested")
        session.add(row)
        session.flush()
        session.execute(insert(AlignmentMember), [{"row_id": row.id, "segment_id": s, "continued": continued}
                                                  for s, continued in wanted[index]])
    return True
