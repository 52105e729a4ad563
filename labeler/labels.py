"""A project's label schema: which labels are in use, and saving an edited schema."""

from collections import Counter

from sqlalchemy import func
from sqlmodel import Session, select

from labeler.models import Annotation, Document, Event, Group, Project
from labeler.schema import SchemaError, edit_schema, fingerprint


def labels_in_use(session: Session, project: Project) -> Counter:
    """Count the project's live spans per ``(layer, label)``, and its claims per ``("claim_type", type)``.

    Every annotator's spans and the gold set count: a label one person uses is in use.
    """
    in_project = (Annotation.document_id == Document.id) & (Document.group_id == Group.id) & (
        Group.project_id == project.id) & (Annotation.deleted_at == None)  # noqa: E711 (SQL NULL test)
    counts = Counter({
        (layer, label): count for layer, label, count in session.exec(
            select(Annotation.layer, Annotation.label, func.count(Annotation.id))
            .where(in_project).group_by(Annotation.layer, Annotation.label))
    })
    for (attrs,) in session.exec(select(Annotation.attrs).where(in_project, Annotation.layer == "claim")):
        claim_type = (attrs or {}).get("claim_type")
        if claim_type:
            counts[("claim_type", claim_type)] += 1
    return counts


def save_schema(session: Session, project: Project, fields: dict[str, str], seen_fingerprint: str,
                user_id: int) -> dict:
    """Replace the project's label schema with the edited ``fields``, and log the change.

    :param seen_fingerprint: the schema's fingerprint when the form was drawn.
    :returns: the new schema.
    :raises SchemaError: when the form is invalid, removes a label in use, or the schema changed meanwhile.
    """
    if seen_fingerprint != fingerprint(project.label_schema):
        raise SchemaError(["Someone changed these labels while you were editing: reload and apply your change again"])
    before = project.label_schema
    schema = edit_schema(before, fields, labels_in_use(session, project))
    project.label_schema = schema
    session.add(project)
    session.add(Event(user_id=user_id, action="edit", object_type="label_schema", object_id=project.id,
                      before=before, after=schema))
    session.flush()
    return schema
