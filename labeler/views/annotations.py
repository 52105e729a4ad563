"""Annotations on the group page: the label picker, saving, the span editor, undo and redo, concepts.

Writes answer with out-of-band fragments: the paragraph that changed (its highlights computed again on the
server), the column's MQM figure and, when open, the editor. An ``HX-Trigger`` event tells the page what
happened so it can say so and flash the span.
"""

import json
from urllib.parse import quote

from flask import Blueprint, abort, g, make_response, render_template, request
from sqlmodel import select

from labeler import annotations, corrections, reading, suggestions
from labeler.db import get_session
from labeler.models import INT_MAX, Annotation, Concept, Document
from labeler.views import SAVED_EVENT, project_and_group_or_404, rows

bp = Blueprint("annotations", __name__, url_prefix="/projects/<slug>/groups/<key>")
LABEL_KEYS = "123456789abcdefghijklmnopqrstuvwxyz"


def _context(slug: str, key: str):
    return project_and_group_or_404(slug, key)


def _form() -> dict:
    """Request fields from a form or a JSON body."""
    if request.is_json:
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            abort(400, description="expected a JSON object")
        return data
    return request.form.to_dict()


def _int(value, name: str) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        abort(422, description=f"{name} must be a whole number")
    if abs(number) > INT_MAX:
        abort(422, description=f"{name} is out of range")
    return number


def _refuse(error: annotations.SpanError):
    get_session().rollback()
    abort(error.status, description=error.message)


def _render_changes(project, group, segment_ids: list[int], editor_ids: list[int] | None, message: str,
                    flash: int | None = None, status: int = 200, loaded=(), known=None, figures: bool = True,
                    accept_all=None):
    """Render the changed paragraphs, MQM figures and editor as out-of-band fragments.

    :param loaded: ``(paragraph, document)`` pairs the save already read (not read again).
    :param known: the saved span with its document, as the save left them (not read again for the editor).
    :param figures: answer with the MQM figures too (False: the change cannot have moved them).
    :param accept_all: ``(row id, suggestions left)``: that row's "accept all" button, counted again.
    """
    paragraphs, columns = reading.changes(get_session(), segment_ids, g.user.id,
                                          project.label_schema.get("mqm_weights"), loaded, figures)
    editor = _editor_context(project, group, editor_ids, known) if editor_ids is not None else None
    body = render_template("partials/annotation_changes.html", project=project, group=group,
                           paragraphs=paragraphs, columns=columns, editor=editor, accept_all=accept_all,
                           tool_urls=rows.tool_urls(project, group) if accept_all else None)
    response = make_response(body, status)
    response.headers["HX-Trigger"] = json.dumps({SAVED_EVENT: {"message": message, "span": flash}})
    response.headers["HX-Reswap"] = "none"
    response.headers["Vary"] = "HX-Request"
    return response


def _editor_context(project, group, ids: list[int], known=None) -> dict:
    """The editor of these spans (those the reader may edit or answer).

    :param known: a span this request just wrote, with its document: ``(span, document)``.
    """
    session = get_session()
    spans = []
    for annotation_id in ids:
        if known is not None and known[0].id == annotation_id:
            annotation, document = known
        else:
            annotation = session.get(Annotation, annotation_id)
            document = session.get(Document, annotation.document_id) if annotation is not None else None
        if annotation is None or annotation.deleted_at is not None:
            continue
        offered = annotation.annotator_id is None and annotation.status == suggestions.SUGGESTED
        if not offered and (annotation.annotator_id != g.user.id or annotation.status != "accepted"):
            continue
        if document.group_id != group.id:
            continue
        concept = session.get(Concept, annotation.concept_id) if annotation.concept_id else None
        counterpart = session.get(Annotation, annotation.counterpart_id) if annotation.counterpart_id else None
        counterpart_doc = session.get(Document, counterpart.document_id) if counterpart else None
        spans.append({"annotation": annotation, "document": document, "concept": concept,
                      "counterpart": counterpart, "counterpart_doc": counterpart_doc, "suggestion": offered})
    return {"spans": spans, "schema": project.label_schema, "ids": ids}


@bp.get("/picker")
def picker(slug: str, key: str):
    """Return the label picker for a layer."""
    project, group = _context(slug, key)
    layer = request.args.get("layer", "entity")
    if layer not in ("entity", "claim", "error"):
        abort(422, description=f"unknown layer {layer!r}")
    labels = project.label_schema.get(layer, {}).get("labels", [])
    return render_template("partials/picker.html", project=project, group=group, layer=layer,
                           labels=list(zip(LABEL_KEYS, labels)),
                           severities=project.label_schema.get("error", {}).get("severities", []))


SPAN_FIELDS = ("document_id", "char_start", "char_end", "surface", "layer", "label", "severity")


def span_fields(data: dict) -> dict:
    """The fields of a new span that the request filled in (empty form fields are absent)."""
    return {name: data[name] for name in SPAN_FIELDS if data.get(name) not in (None, "")}


@bp.post("/annotations")
def create(slug: str, key: str):
    """Save a new span and answer with its paragraph, highlighted."""
    project, group = _context(slug, key)
    data = _form()
    fields = span_fields(data)
    if "attrs" in data:
        fields["attrs"] = data["attrs"] if isinstance(data["attrs"], dict) else _json(data["attrs"])
    try:
        annotation, paragraph, document = annotations.create_in_paragraph(get_session(), project, group, g.user.id,
                                                                          fields)
    except annotations.SpanError as error:
        _refuse(error)
    get_session().commit()
    return _render_changes(project, group, [annotation.segment_id], None, f"Saved {annotation.label}",
                           flash=annotation.id, status=201, loaded=[(paragraph, document)],
                           figures=annotation.layer == "error")


def _json(text) -> dict:
    try:
        value = json.loads(text)
    except (json.JSONDecodeError, TypeError):  # TypeError: a JSON body's attrs that is null, a number, a list
        abort(422, description="attrs must be a JSON object")
    if not isinstance(value, dict):
        abort(422, description="attrs must be a JSON object")
    return value


@bp.get("/spans")
def editor(slug: str, key: str):
    """Return the editor for the spans under a click (all of them: nested and crossing spans included)."""
    project, group = _context(slug, key)
    ids = [_int(part, "ids") for part in request.args.get("ids", "").split() if part][:20]
    context = _editor_context(project, group, ids)
    if not context["spans"]:
        abort(404, description="no span of yours here")
    return render_template("partials/editor.html", project=project, group=group, editor=context)


def _update_fields(data: dict) -> dict:
    fields: dict = {"version": data.get("version")}
    if data.get("label"):
        fields["label"] = data["label"]
    if data.get("severity"):
        fields["severity"] = data["severity"]
    attrs = {name.removeprefix("attr_"): value for name, value in data.items() if name.startswith("attr_")}
    if attrs:
        fields["attrs"] = attrs
    elif "attrs" in data:
        fields["attrs"] = data["attrs"] if isinstance(data["attrs"], dict) else _json(data["attrs"])
    for name in ("concept_id", "counterpart_id"):
        if data.get(name) not in (None, ""):
            fields[name] = data[name]
    for name in ("clear_concept", "clear_counterpart"):
        if data.get(name):
            fields[name] = True
    return fields


@bp.post("/annotations/<int:annotation_id>")
def update(slug: str, key: str, annotation_id: int):
    """Change a span; a stale version gets 409 and the span as it is now."""
    project, group = _context(slug, key)
    data = _form()
    editor_ids = [_int(part, "editor") for part in str(data.get("editor", annotation_id)).split()]
    try:
        annotation, paragraph, document = annotations.update_in_paragraph(
            get_session(), project, group, g.user.id, annotation_id, _update_fields(data))
    except annotations.Conflict as conflict:
        get_session().rollback()
        response = _render_changes(project, group, [conflict.annotation.segment_id], editor_ids, conflict.message,
                                   status=409)
        response.headers["X-Labeler-Message"] = quote(conflict.message)
        return response
    except annotations.SpanError as error:
        _refuse(error)
    get_session().commit()
    segments = [annotation.segment_id]
    if annotation.counterpart_id:
        segments.append(get_session().get(Annotation, annotation.counterpart_id).segment_id)
    return _render_changes(project, group, segments, editor_ids, f"Updated {annotation.label}", flash=annotation.id,
                           loaded=[(paragraph, document)], known=(annotation, document),
                           figures=annotation.layer == "error")


@bp.post("/annotations/<int:annotation_id>/delete")
def delete(slug: str, key: str, annotation_id: int):
    """Delete a span (undo brings it back)."""
    project, group = _context(slug, key)
    data = _form()
    try:
        annotation, paragraph, document = annotations.delete_in_paragraph(
            get_session(), group, g.user.id, annotation_id, _int(data.get("version"), "version"))
    except annotations.Conflict as conflict:
        get_session().rollback()
        response = _render_changes(project, group, [conflict.annotation.segment_id], [annotation_id],
                                   conflict.message, status=409)
        response.headers["X-Labeler-Message"] = quote(conflict.message)
        return response
    except annotations.SpanError as error:
        _refuse(error)
    get_session().commit()
    return _render_changes(project, group, [annotation.segment_id], [], f"Deleted {annotation.label} (Ctrl+Z undoes)",
                           loaded=[(paragraph, document)], figures=annotation.layer == "error")


@bp.post("/annotations/<int:annotation_id>/accept")
def accept(slug: str, key: str, annotation_id: int):
    """Accept a suggestion: it becomes your span."""
    return _answer(slug, key, annotation_id, True)


@bp.post("/annotations/<int:annotation_id>/reject")
def reject(slug: str, key: str, annotation_id: int):
    """Reject a suggestion: it is hidden for you."""
    return _answer(slug, key, annotation_id, False)


def _answer(slug: str, key: str, annotation_id: int, accept: bool):
    project, group = _context(slug, key)
    try:
        own = suggestions.answer(get_session(), group, g.user.id, annotation_id, accept)
    except annotations.SpanError as error:
        _refuse(error)
    get_session().commit()
    return _render_changes(project, group, [own.segment_id], [], f"{'Accepted' if accept else 'Rejected'} {own.label}",
                           flash=own.id if accept else None, accept_all=_accept_all(group, own.segment_id))


def _accept_all(group, segment_id: int) -> tuple[int, int] | None:
    """The row where the paragraph begins, and how many of its suggestions the reader has not answered (None
    when the paragraph is in no row: a group imported without alignment shows no "accept all")."""
    try:
        row = corrections.member_row(get_session(), group.id, segment_id)[1]
    except corrections.NotInGroup:
        return None
    return row.id, len(suggestions.pending_in_row(get_session(), group, g.user.id, row.id))


@bp.post("/undo")
def undo(slug: str, key: str):
    """Undo your last change in this group."""
    return _history_step(slug, key, annotations.undo, "Undone", "Nothing to undo")


@bp.post("/redo")
def redo(slug: str, key: str):
    """Redo what you last undid in this group."""
    return _history_step(slug, key, annotations.redo, "Redone", "Nothing to redo")


def _history_step(slug: str, key: str, step, done: str, nothing: str):
    project, group = _context(slug, key)
    try:
        annotation = step(get_session(), group, g.user.id)
    except annotations.SpanError as error:
        _refuse(error)
    if annotation is None:
        return _render_changes(project, group, [], None, nothing)
    get_session().commit()
    # The step may answer a suggestion again or take an answer back: the row's "accept all" is counted again.
    return _render_changes(project, group, [annotation.segment_id], [], f"{done}: {annotation.label}",
                           flash=None if annotation.deleted_at else annotation.id,
                           accept_all=_accept_all(group, annotation.segment_id))


@bp.get("/concepts")
def concepts(slug: str, key: str):
    """Search the project's concepts (search as you type)."""
    project, group = _context(slug, key)
    annotation_id = _int(request.args.get("annotation"), "annotation")
    annotation = _own(group, annotation_id)
    found = annotations.search_concepts(get_session(), project, annotation.layer, request.args.get("q", "")[:200])
    return render_template("partials/concept_results.html", project=project, group=group, concepts=found,
                           annotation=annotation, query=request.args.get("q", ""))


def _own(group, annotation_id: int) -> Annotation:
    try:
        return annotations.own_annotation(get_session(), group, g.user.id, annotation_id)
    except annotations.SpanError as error:
        _refuse(error)


@bp.post("/concepts")
def create_concept(slug: str, key: str):
    """Create a concept and link the span to it."""
    project, group = _context(slug, key)
    data = _form()
    session = get_session()
    annotation = _own(group, _int(data.get("annotation"), "annotation"))
    try:
        concept = annotations.create_concept(session, project, annotation.layer, data.get("name", ""),
                                             data.get("kb_id"))
        annotation = annotations.update(session, project, group, g.user.id, annotation.id,
                                        {"version": data.get("version"), "concept_id": concept.id})
    except annotations.SpanError as error:
        _refuse(error)
    session.commit()
    return _render_changes(project, group, [annotation.segment_id], [annotation.id],
                           f"Linked to new concept {concept.name}", flash=annotation.id)


@bp.get("/concept-panel")
def concept_panel(slug: str, key: str):
    """List the group's concepts with their mentions per language, and the languages that have none."""
    project, group = _context(slug, key)
    session = get_session()
    columns, documents = reading.columns(session, group)
    mentions: dict[int, dict[int, list[str]]] = {}
    for annotation in annotations.spans_for(session, [d.id for d in documents], g.user.id):
        if annotation.concept_id:
            mentions.setdefault(annotation.concept_id, {}).setdefault(annotation.document_id, []).append(
                annotation.surface)
    concepts = list(session.exec(select(Concept).where(Concept.id.in_(list(mentions))).order_by(Concept.kind, Concept.name)))
    return render_template("partials/concept_panel.html", project=project, group=group, columns=columns,
                           concepts=concepts, mentions=mentions)
