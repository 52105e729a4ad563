"""The demo's team: two annotators who labelled the demo group and submitted it, so that a first look at the
review, agreement and progress pages shows a real campaign (where they agree, where they differ).
"""

from sqlmodel import Session, select

from labeler import annotations, assignments
from labeler.auth import create_user
from labeler.models import Document, Group, Project

TEAM = ("ana", "ben")

# (annotator, document, surface, layer, label, severity): what each demo annotator marked. Both agree on most
# entities; they differ on a label (MONEY vs QUANTITY), on an extent (Norvale vs Norvale Engineering) and on
# the severity of a planted translation error, and only one of them saw some of the errors.
LABELS = [
    *[(who, "en", surface, "entity", label, None) for who in TEAM for surface, label in [
        ("Port Elin", "LOC"), ("Clara Ventimiglia", "PER"), ("3 March", "DATE")]],
    ("ana", "en", "Norvale Engineering", "entity", "ORG", None),
    ("ben", "en", "Norvale", "entity", "ORG", None),
    ("ana", "en", "212 million euros", "entity", "MONEY", None),
    ("ben", "en", "212 million euros", "entity", "QUANTITY", None),
    *[(who, "es", "Clara Ventimiglia", "entity", "PER", None) for who in TEAM],
    ("ana", "es", "Norvail Engeneering", "error", "Locale convention/Name", "major"),
    ("ben", "es", "Norvail Engeneering", "error", "Locale convention/Name", "minor"),
    ("ana", "es", "The old ferry will keep running in summer for tourists.", "error", "Non-translation", "major"),
    *[(who, "de", "12.000 Meter", "error", "Accuracy/Mistranslation", "major") for who in TEAM],
]


def seed_team(session: Session, project: Project, password: str) -> list[str]:
    """Create the demo annotators, assign them every group and write their labels; each submits.

    :returns: the annotators' user names.
    """
    group = session.exec(select(Group).where(Group.project_id == project.id).order_by(Group.key)).first()
    documents = {d.origin.removesuffix(".txt"): d for d in session.exec(
        select(Document).where(Document.group_id == group.id, Document.superseded == False))}  # noqa: E712
    users = {name: create_user(session, name, password, "annotator") for name in TEAM}
    for who, doc, surface, layer, label, severity in LABELS:
        document = documents[doc]
        start = document.text.index(surface)
        fields = {"document_id": document.id, "char_start": start, "char_end": start + len(surface),
                  "surface": surface, "layer": layer, "label": label}
        if severity:
            fields["severity"] = severity
        annotations.create(session, project, group, users[who].id, fields)
    for user in users.values():
        assignments.assign(session, group, user)
        assignments.submit(session, user, group)
    return list(users)
