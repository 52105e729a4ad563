"""Figures about a project's annotators: agreement (from ``agreement.py``) over what is stored."""

from collections import defaultdict

from sqlmodel import Session, select

from labeler import mqm
from labeler.agreement import Span, alignment_agreement, report
from labeler.models import Annotation, Document, Event, Group, Project, User


def agreement_report(session: Session, project: Project) -> dict:
    """Agreement between the project's annotators on their live labels (the gold set and suggestions apart)."""
    usernames = dict(session.exec(select(User.id, User.username)).all())
    weights = project.label_schema.get("mqm_weights", {})
    spans, errors, worked = [], defaultdict(list), defaultdict(set)
    rows = session.exec(
        select(Annotation, Document.origin, Document.lang, Group.key)
        .join(Document, Document.id == Annotation.document_id).join(Group, Group.id == Document.group_id)
        .where(Group.project_id == project.id, Document.superseded == False,  # noqa: E712
               Annotation.annotator_id != None, Annotation.deleted_at == None,  # noqa: E711
               Annotation.status == "accepted")
    )
    for annotation, origin, lang, key in rows:
        who, doc = usernames.get(annotation.annotator_id, str(annotation.annotator_id)), f"{key}/{origin}"
        severity = (annotation.attrs or {}).get("severity") if annotation.layer == "error" else None
        spans.append(Span(who, doc, lang, annotation.layer, annotation.char_start, annotation.char_end,
                          annotation.label, severity))
        worked[who].add(doc)
        if annotation.layer == "error":
            errors[(who, doc)].append((annotation.label, severity or "major"))
    penalties = {who: {doc: mqm.penalty(errors.get((who, doc), []), weights) for doc in docs}
                 for who, docs in worked.items()}
    result = report(spans, penalties)
    result["alignment"] = alignment_agreement(alignment_judgements(session, project))
    return result


def alignment_judgements(session: Session, project: Project) -> dict[str, dict[int, frozenset[int]]]:
    """What each annotator said about the alignment: for every paragraph in a row they corrected or confirmed,
    the other paragraphs of that row as they left it (their last correction wins)."""
    judged: dict[str, dict[int, frozenset[int]]] = defaultdict(dict)
    for after, who in session.exec(
        select(Event.after, User.username).join(User, User.id == Event.user_id)
        .join(Group, Group.id == Event.group_id)
        .where(Group.project_id == project.id, Event.object_type == "alignment_row")
        .order_by(Event.id)
    ):
        partners: dict[int, frozenset[int]] = {}
        for row in (after or {}).get("rows", [after or {}]):
            members = frozenset(row.get("segments", []))
            for paragraph in members:  # a paragraph in several rows goes with the paragraphs of all of them
                partners[paragraph] = partners.get(paragraph, frozenset()) | (members - {paragraph})
        judged[who].update(partners)
    return dict(judged)


def agreement_table(result: dict) -> str:
    """The report as plain text: a pairwise matrix of overlapping span F1 per layer, then per-label rows, then
    agreement on alignment corrections."""
    lines = []
    names = result["annotators"]
    for layer, summary in result["layers"].items():
        lines.append(f"{layer}: {summary['spans']} spans; F1 exact {_fmt(summary['exact_f1'])}, overlapping "
                     f"{_fmt(summary['overlap_f1'])}; kappa {_fmt(summary['kappa'])}; alpha {_fmt(summary['alpha'])}"
                     + (f"; severity agreement {_fmt(summary['severity_agreement'])}"
                        if summary.get("severity_agreement") is not None else ""))
        width = max([len(n) for n in names] + [6])
        lines.append(" " * width + "  " + "  ".join(n.rjust(width) for n in names))
        for a in names:
            cells = []
            for b in names:
                if a == b:
                    cells.append("—".rjust(width))
                    continue
                pair = next(p for p in result["pairs"] if {p["a"], p["b"]} == {a, b})
                cells.append(_fmt(pair["layers"][layer]["overlap_f1"]).rjust(width))
            lines.append(a.rjust(width) + "  " + "  ".join(cells))
        lines.append("  label                      spans  F1 exact  F1 overlap")
        for label, figures in summary["by_label"].items():
            lines.append(f"  {label[:26]:<26} {figures['spans']:>5}  {_fmt(figures['exact_f1']):>8}  "
                         f"{_fmt(figures['overlap_f1']):>10}")
        lines.append("")
    mqm_pairs = [p for p in result["pairs"] if p.get("mqm_r") is not None]
    for pair in mqm_pairs:
        lines.append(f"MQM per document, {pair['a']} vs {pair['b']}: r = {_fmt(pair['mqm_r'])}")
    aligned = result.get("alignment") or {}
    if aligned.get("paragraphs"):
        lines.append(f"alignment corrections: {aligned['paragraphs']} paragraphs judged by two annotators; placed "
                     f"alike {_fmt(aligned['placed_alike'])}; link F1 {_fmt(aligned['link_f1'])}")
        for pair in aligned["pairs"]:
            if pair["paragraphs"]:
                lines.append(f"  {pair['a']} vs {pair['b']}: {pair['paragraphs']} paragraphs, placed alike "
                             f"{_fmt(pair['placed_alike'])}, link F1 {_fmt(pair['link_f1'])}")
    return "\n".join(lines).rstrip() + "\n"


def _fmt(value) -> str:
    return "n/a" if value is None else f"{value:.3f}"
