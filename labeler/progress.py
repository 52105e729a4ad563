"""A project's progress (issue 7, item 5): groups done, spans per layer, MQM per document, agreement over time.

One function, ``project_progress``, reads what it needs in a fixed number of queries (whatever the number of
groups) and computes the rest in Python, with the pure code of ``mqm.py`` and ``agreement.py``.

Who sees what: reviewers and admins see every annotator. An annotator sees only their own figures — their
assignments, their spans, the MQM of their own errors — and no agreement (it is a figure about others too).
The restriction is applied to the queries themselves, so nothing of anyone else is even read.

Definitions, as the page states them:

- A **group is done** when it has assignments and every one of them is submitted (for an annotator: when they
  submitted it).
- **MQM per document**: each rater's penalty (the WMT weights of the project), averaged over the document's
  raters — everyone who labelled the document, submitted its group or (WMT import) rated its paragraphs —
  per 100 words.
- **Agreement over time**: overlapping span F1 per layer, all pairs of annotators pooled, over the groups
  both of a pair had finished by the end of each day (weeks when the work spans more than ``DAILY_UP_TO``
  days). A pair finished a group when both had finished it: submitted it, or, for someone not assigned to
  the group (an open project), labelled it (from the day of their latest label there).
"""

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from itertools import combinations

from sqlalchemy import func
from sqlmodel import Session, select

from labeler import mqm
from labeler.agreement import Span, match
from labeler.assignments import sees_everything
from labeler.models import (LAYERS, Annotation, Assignment, Document, Event, Group, MqmRating, Project, Segment,
                            User)
from labeler.text.langid import language_name

DAILY_UP_TO = timedelta(days=31)
SEVERITY_ORDER = ("critical", "major", "minor", "neutral")


@dataclass
class AnnotatorProgress:
    user_id: int
    username: str
    assigned: int = 0
    submitted: int = 0
    in_progress: int = 0
    spans: dict[str, int] = field(default_factory=lambda: dict.fromkeys(LAYERS, 0))
    last_activity: datetime | None = None
    agreement: float | None = None  # overlapping span F1 with the others, on the groups finished together


@dataclass
class LanguageProgress:
    lang: str
    language: str
    documents: int = 0
    done: int = 0
    labelled: int = 0  # documents with at least one span
    spans: dict[str, int] = field(default_factory=lambda: dict.fromkeys(LAYERS, 0))
    mqm_documents: int = 0
    mqm_mean: float | None = None  # mean score per 100 words of its rated documents
    agreement: float | None = None


@dataclass
class DocumentMqm:
    lang: str
    group_key: str
    group_name: str
    doc_id: str
    title: str
    raters: int
    errors: int
    penalty: float  # mean over the raters
    words: int
    score: float  # penalty per 100 words


@dataclass
class AgreementPoint:
    label: str  # the day (2024-05-31) or the week (week of 2024-05-27)
    short: str  # the same under a chart's axis (May 31, wk May 27)
    groups: int  # groups finished by at least one pair so far
    layers: dict[str, float | None]


def _utc(moment: datetime | None) -> datetime | None:
    """Naive UTC, whatever the database returned (SQLite drops the zone, PostgreSQL keeps it)."""
    if moment is not None and moment.tzinfo is not None:
        return moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment


def _latest(*moments: datetime | None) -> datetime | None:
    present = [_utc(m) for m in moments if m is not None]
    return max(present) if present else None


def _f1(matched: int, total: int) -> float | None:
    """Span F1 from the matched count and both sides' span counts: 2m / (|a| + |b|)."""
    return round(2 * matched / total, 4) if total else None


def project_progress(session: Session, project: Project, viewer: User) -> dict:
    """Return the progress figures of a project as ``viewer`` may see them.

    :param viewer: a reviewer or admin sees everyone; an annotator only themself.
    :returns: ``{restricted, groups, assignments, annotators, languages, labels, severities, documents,
        agreement}``; ``agreement`` is None for an annotator.
    """
    restricted = not sees_everything(viewer)
    in_project = Group.project_id == project.id

    groups = {group_id: (key, name) for group_id, key, name in session.exec(
        select(Group.id, Group.key, Group.name).where(in_project))}

    assignment_query = select(Assignment.user_id, Assignment.group_id, Assignment.status, Assignment.updated_at) \
        .join(Group, Group.id == Assignment.group_id).where(in_project)
    if restricted:
        assignment_query = assignment_query.where(Assignment.user_id == viewer.id)
    assignments = list(session.exec(assignment_query))

    documents = {doc_id: (group_id, lang, origin, title, role) for doc_id, group_id, lang, origin, title, role in
                 session.exec(select(Document.id, Document.group_id, Document.lang, Document.origin, Document.title,
                                     Document.role).join(Group, Group.id == Document.group_id)
                              .where(in_project, Document.superseded == False))}  # noqa: E712

    span_query = select(Annotation.annotator_id, Annotation.document_id, Annotation.layer, Annotation.label,
                        Annotation.char_start, Annotation.char_end, Annotation.attrs, Annotation.updated_at) \
        .join(Document, Document.id == Annotation.document_id).join(Group, Group.id == Document.group_id) \
        .where(in_project, Document.superseded == False, Annotation.annotator_id != None,  # noqa: E711,E712
               Annotation.deleted_at == None, Annotation.status == "accepted")  # noqa: E711
    if restricted:
        span_query = span_query.where(Annotation.annotator_id == viewer.id)
    spans = list(session.exec(span_query))

    event_query = select(Event.user_id, func.max(Event.created_at)).join(Group, Group.id == Event.group_id) \
        .where(in_project, Event.user_id != None).group_by(Event.user_id)  # noqa: E711
    if restricted:
        event_query = event_query.where(Event.user_id == viewer.id)
    last_event = dict(session.exec(event_query).all())

    rating_query = select(Segment.document_id, MqmRating.user_id).distinct() \
        .join(Segment, Segment.id == MqmRating.segment_id).join(Document, Document.id == Segment.document_id) \
        .join(Group, Group.id == Document.group_id).where(in_project)
    if restricted:
        rating_query = rating_query.where(MqmRating.user_id == viewer.id)
    ratings = list(session.exec(rating_query))

    people = {user_id for user_id, *_ in assignments} | {row[0] for row in spans}
    names = dict(session.exec(select(User.id, User.username).where(User.id.in_(people))).all()) if people else {}

    # Groups: who is assigned, who submitted, when.
    assigned_to: dict[int, dict[int, tuple[str, datetime]]] = defaultdict(dict)
    for user_id, group_id, status, updated_at in assignments:
        assigned_to[group_id][user_id] = (status, _utc(updated_at))
    if restricted:
        scope = set(assigned_to)
        done = {g for g, by in assigned_to.items() if by[viewer.id][0] == "submitted"}
    else:
        scope = set(groups)
        done = {g for g, by in assigned_to.items() if all(status == "submitted" for status, _ in by.values())}
    started = {g for g, by in assigned_to.items()
               if g not in done and any(status != "todo" for status, _ in by.values())}

    annotators = {user_id: AnnotatorProgress(user_id, names.get(user_id, f"#{user_id}")) for user_id in people}
    for user_id, group_id, status, updated_at in assignments:
        person = annotators[user_id]
        person.assigned += 1
        person.submitted += status == "submitted"
        person.in_progress += status == "in_progress"
        person.last_activity = _latest(person.last_activity, updated_at)
    for user_id, moment in last_event.items():
        if user_id in annotators:
            annotators[user_id].last_activity = _latest(annotators[user_id].last_activity, moment)

    languages: dict[str, LanguageProgress] = {}

    def language(lang: str) -> LanguageProgress:
        if lang not in languages:
            languages[lang] = LanguageProgress(lang, language_name(lang))
        return languages[lang]

    for doc_id, (group_id, lang, *_) in documents.items():
        if group_id in scope:
            row = language(lang)
            row.documents += 1
            row.done += group_id in done

    labels: dict[str, Counter] = {layer: Counter() for layer in LAYERS}
    severities: Counter = Counter()
    labelled_docs: dict[str, set[int]] = defaultdict(set)
    errors: dict[tuple[int, int], list[tuple[str, str]]] = defaultdict(list)
    raters: dict[int, set[int]] = defaultdict(set)
    last_label: dict[tuple[int, int], datetime] = {}
    by_group: dict[int, list[Span]] = defaultdict(list)
    for user_id, doc_id, layer, label, char_start, char_end, attrs, updated_at in spans:
        group_id, lang, *_ = documents[doc_id]
        person = annotators[user_id]
        person.spans[layer] += 1
        person.last_activity = _latest(person.last_activity, updated_at)
        language(lang).spans[layer] += 1
        labelled_docs[lang].add(doc_id)
        labels[layer][label] += 1
        raters[doc_id].add(user_id)
        severity = None
        if layer == "error":
            severity = (attrs or {}).get("severity") or "major"  # as the group page scores it
            severities[severity] += 1
            errors[(user_id, doc_id)].append((label, severity))
        last_label[(user_id, group_id)] = _latest(last_label.get((user_id, group_id)), updated_at)
        by_group[group_id].append(Span(str(user_id), str(doc_id), lang, layer, char_start, char_end, label, severity))
    for lang, docs in labelled_docs.items():
        languages[lang].labelled = len(docs)
    for doc_id, user_id in ratings:
        if doc_id in documents:
            raters[doc_id].add(user_id)
    for doc_id, (group_id, *_) in documents.items():
        for user_id, (status, _) in assigned_to.get(group_id, {}).items():
            if status == "submitted":
                raters[doc_id].add(user_id)

    document_scores = _document_mqm(session, project, documents, groups, raters, errors)
    by_language = defaultdict(list)
    for item in document_scores:
        by_language[item.lang].append(item.score)
    for lang, scores in by_language.items():
        language(lang).mqm_documents = len(scores)
        language(lang).mqm_mean = round(sum(scores) / len(scores), 2)

    agreement = None
    if not restricted:
        agreement = _agreement(by_group, assigned_to, last_label, annotators, languages, documents)

    totals = {"total": len(scope), "done": len(done & scope), "started": len(started & scope),
              "assigned": len(set(assigned_to) & scope)}
    return {
        "restricted": restricted,
        "groups": totals,
        "assignments": {"total": len(assignments),
                        "submitted": sum(1 for *_, status, _ in assignments if status == "submitted"),
                        "in_progress": sum(1 for *_, status, _ in assignments if status == "in_progress")},
        "annotators": sorted(annotators.values(), key=lambda p: p.username.lower()),
        "languages": [languages[lang] for lang in sorted(languages)],
        "labels": {layer: sorted(counts.items(), key=lambda item: (-item[1], item[0]))
                   for layer, counts in labels.items()},
        "severities": [(name, severities[name]) for name in SEVERITY_ORDER if severities[name]]
        + sorted((name, n) for name, n in severities.items() if name not in SEVERITY_ORDER),
        "documents": document_scores,
        "agreement": agreement,
    }


def _document_mqm(session: Session, project: Project, documents: dict, groups: dict, raters: dict[int, set[int]],
                  errors: dict[tuple[int, int], list[tuple[str, str]]]) -> list[DocumentMqm]:
    """MQM of every rated translation (and of any other document that carries errors), raters averaged."""
    weights = project.label_schema.get("mqm_weights") or {}
    with_errors = {doc_id for _, doc_id in errors}
    rated = [doc_id for doc_id, who in raters.items()
             if who and (documents[doc_id][4] == "translation" or doc_id in with_errors)]
    if not rated:
        return []
    # Only the rated documents' texts are read, for their word counts (cached by hash in ``mqm``).
    texts = {doc_id: (text, sha) for doc_id, text, sha in session.exec(
        select(Document.id, Document.text, Document.text_sha256).where(Document.id.in_(rated)))}
    out = []
    for doc_id in rated:
        group_id, lang, origin, title, _ = documents[doc_id]
        who = raters[doc_id]
        mean_penalty = sum(mqm.penalty(errors.get((user_id, doc_id), []), weights) for user_id in who) / len(who)
        words = mqm.document_words(*texts[doc_id])
        key, name = groups[group_id]
        out.append(DocumentMqm(lang=lang, group_key=key, group_name=name, doc_id=origin, title=title,
                               raters=len(who), errors=sum(len(errors.get((u, doc_id), [])) for u in who),
                               penalty=round(mean_penalty, 2), words=words,
                               score=round(100 * mean_penalty / words, 2) if words else 0.0))
    return sorted(out, key=lambda d: (d.lang, d.group_key, d.doc_id))


def _agreement(by_group: dict[int, list[Span]], assigned_to: dict, last_label: dict, annotators: dict,
               languages: dict[str, LanguageProgress], documents: dict) -> dict:
    """Overlapping span F1 over time, per annotator and per language (see the module docstring).

    Each pair's spans are matched once per document and layer; every figure is then a sum of those counts, so
    the cost grows with the number of spans, not with the number of days.
    """
    # (pair, doc, layer) -> (matched, spans of both), and when the pair finished the document's group.
    counts: list[tuple[datetime, tuple[int, int], int, str, int, int]] = []
    for group_id, spans in by_group.items():
        people = sorted({int(s.annotator) for s in spans} | set(assigned_to.get(group_id, {})))
        finished = {}
        for user_id in people:
            status, moment = assigned_to.get(group_id, {}).get(user_id, (None, None))
            if status == "submitted":
                finished[user_id] = moment
            elif status is None and (user_id, group_id) in last_label:
                finished[user_id] = last_label[(user_id, group_id)]
        places = defaultdict(list)
        for span in spans:
            places[(int(span.annotator), int(span.doc), span.layer)].append(span)
        docs = {int(s.doc) for s in spans}
        for a, b in combinations(sorted(finished), 2):
            when = max(finished[a], finished[b])
            for doc_id in docs:
                for layer in LAYERS:
                    mine, theirs = places.get((a, doc_id, layer), []), places.get((b, doc_id, layer), [])
                    if mine or theirs:
                        counts.append((when, (a, b), doc_id, layer, len(match(mine, theirs, overlap=True)),
                                       len(mine) + len(theirs)))
    counts.sort(key=lambda item: item[0])

    per_person = defaultdict(lambda: [0, 0])
    per_language = defaultdict(lambda: [0, 0])
    for _, (a, b), doc_id, _, matched, total in counts:
        for who in (a, b):
            per_person[who][0] += matched
            per_person[who][1] += total
        lang = documents[doc_id][1]
        per_language[lang][0] += matched
        per_language[lang][1] += total
    for who, (matched, total) in per_person.items():
        annotators[who].agreement = _f1(matched, total)
    for lang, (matched, total) in per_language.items():
        languages[lang].agreement = _f1(matched, total)

    if not counts:
        return {"bucket": "day", "points": [], "layers": []}
    weekly = counts[-1][0] - counts[0][0] > DAILY_UP_TO

    def bucket(moment: datetime) -> date:
        day = moment.date()
        return day - timedelta(days=day.weekday()) if weekly else day

    layers_seen = [layer for layer in LAYERS if any(item[3] == layer for item in counts)]
    running = {layer: [0, 0] for layer in layers_seen}
    groups_seen: set[int] = set()
    points: list[AgreementPoint] = []
    for index, (when, _, doc_id, layer, matched, total) in enumerate(counts):
        running[layer][0] += matched
        running[layer][1] += total
        groups_seen.add(documents[doc_id][0])
        if index + 1 == len(counts) or bucket(counts[index + 1][0]) != bucket(when):
            day = bucket(when)
            short = f"{day:%b} {day.day}"
            points.append(AgreementPoint(label=f"week of {day.isoformat()}" if weekly else day.isoformat(),
                                         short=f"wk {short}" if weekly else short,
                                         groups=len(groups_seen),
                                         layers={name: _f1(*running[name]) for name in layers_seen}))
    return {"bucket": "week" if weekly else "day", "points": points, "layers": layers_seen}
