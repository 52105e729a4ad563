"""The HTTP API (``/api/v1``): projects, groups with their paragraphs, alignment and labels, annotations,
exports. Every route but the OpenAPI description needs ``Authorization: Bearer <token>``; a token is made with
``labeler user token NAME``. Errors are ``{"error": message, "status": code}``.
"""

import io
import json
from importlib import resources

from flask import Blueprint, abort, g, jsonify, make_response, request
from sqlmodel import select

from labeler import annotations, assignments, reading, suggestions
from labeler.alignment import current_documents
from labeler.db import get_session
from labeler.export import ExportError, export
from labeler.models import INT_MAX, AlignmentMember, AlignmentRow, Segment
from labeler.views import group_or_404, project_or_404

bp = Blueprint("api", __name__, url_prefix="/api/v1")
PAGE_SIZE = 100


def _body() -> dict:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        abort(400, description="send a JSON object with Content-Type: application/json")
    return data


def _refuse(error: annotations.SpanError):
    get_session().rollback()
    if isinstance(error, annotations.Conflict):
        response = jsonify(error=error.message, status=409, current=annotations.snapshot(error.annotation))
        response.status_code = 409
        abort(response)
    abort(error.status, description=error.message)


@bp.get("/openapi.json")
def openapi():
    """Describe the API (OpenAPI 3.1)."""
    text = resources.files("labeler").joinpath("schemas/openapi.json").read_text("utf-8")
    response = make_response(text)
    response.mimetype = "application/json"
    return response


@bp.get("/projects")
def projects():
    """List the projects."""
    session = get_session()
    summaries = [item for item in reading.project_summaries(session)
                 if assignments.may_see_project(session, g.user, item["project"])]
    return jsonify(projects=[{"name": item["project"].name, "slug": item["project"].slug,
                              "groups": item["groups"], "documents": item["documents"]} for item in summaries])


@bp.get("/projects/<slug>/groups")
def groups(slug: str):
    """List a project's groups, 100 a page (``?page=2``), optionally filtered by ``?q=``."""
    project = project_or_404(slug)
    raw = request.args.get("page", "1")
    # isascii: "²".isdigit() is true, but int("²") fails.
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= INT_MAX // PAGE_SIZE:
        abort(422, description="page is a whole number from 1")
    page = int(raw)
    session = get_session()
    found, total = reading.group_summaries(session, project, request.args.get("q", "")[:200], page, PAGE_SIZE,
                                           only=assignments.visible_group_ids(session, g.user, project))
    return jsonify(total=total, page=page, groups=[
        {"key": item["group"].key, "name": item["group"].name, "rows": item["rows"], "confirmed": item["confirmed"],
         "documents": item["documents"]}
        for item in found])


@bp.get("/projects/<slug>/groups/<key>")
def group(slug: str, key: str):
    """Return a group: its documents with text and paragraphs, its alignment rows, your labels and the
    suggestions you have not answered."""
    project = project_or_404(slug)
    found = group_or_404(project, key)
    session = get_session()
    documents = current_documents(session, found.id)
    ids = [d.id for d in documents]
    segments = list(session.exec(select(Segment).where(Segment.document_id.in_(ids))
                                 .order_by(Segment.document_id, Segment.position)))
    rows = list(session.exec(select(AlignmentRow).where(AlignmentRow.group_id == found.id).order_by(AlignmentRow.position)))
    members: dict[int, list[int]] = {}
    continued: dict[int, list[int]] = {}
    for row_id, segment_id, goes_on in session.exec(
            select(AlignmentMember.row_id, AlignmentMember.segment_id, AlignmentMember.continued)
            .where(AlignmentMember.row_id.in_([r.id for r in rows]))):
        members.setdefault(row_id, []).append(segment_id)
        if goes_on:
            continued.setdefault(row_id, []).append(segment_id)
    return jsonify(
        project=project.slug, key=found.key, name=found.name,
        documents=[{"id": d.id, "doc_id": d.origin, "lang": d.lang, "role": d.role, "title": d.title,
                    "text": d.text, "text_sha256": d.text_sha256,
                    "paragraphs": [{"id": s.id, "position": s.position, "char_start": s.char_start,
                                    "char_end": s.char_end} for s in segments if s.document_id == d.id]}
                   for d in documents],
        rows=[{"id": r.id, "position": r.position, "score": r.score, "status": r.status, "method": r.method,
               "paragraphs": sorted(members.get(r.id, [])), "continued": sorted(continued.get(r.id, []))}
              for r in rows],
        annotations=[annotations.snapshot(a) for a in annotations.spans_for(session, ids, g.user.id)],
        suggestions=[annotations.snapshot(a) for a in suggestions.pending(session, ids, g.user.id)],
        offset_unit="codepoint",
    )


@bp.post("/projects/<slug>/groups/<key>/annotations")
def create_annotation(slug: str, key: str):
    """Create one of your spans: document_id, char_start, char_end, surface, layer, label[, severity, attrs]."""
    project = project_or_404(slug)
    found = group_or_404(project, key)
    try:
        annotation = annotations.create(get_session(), project, found, g.user.id, _body())
    except annotations.SpanError as error:
        _refuse(error)
    get_session().commit()
    return jsonify(annotations.snapshot(annotation)), 201


@bp.patch("/projects/<slug>/groups/<key>/annotations/<int:annotation_id>")
def update_annotation(slug: str, key: str, annotation_id: int):
    """Change one of your spans; send the version you read (409 and the current span when it changed)."""
    project = project_or_404(slug)
    found = group_or_404(project, key)
    try:
        annotation = annotations.update(get_session(), project, found, g.user.id, annotation_id, _body())
    except annotations.SpanError as error:
        _refuse(error)
    get_session().commit()
    return jsonify(annotations.snapshot(annotation))


@bp.delete("/projects/<slug>/groups/<key>/annotations/<int:annotation_id>")
def delete_annotation(slug: str, key: str, annotation_id: int):
    """Delete one of your spans (``?version=N``, the version you read)."""
    project = project_or_404(slug)
    found = group_or_404(project, key)
    version = request.args.get("version", type=int)
    if version is None:
        abort(422, description="send ?version=N, the version of the span you read")
    try:
        annotation = annotations.delete(get_session(), found, g.user.id, annotation_id, version)
    except annotations.SpanError as error:
        _refuse(error)
    get_session().commit()
    return jsonify(annotations.snapshot(annotation))


@bp.post("/projects/<slug>/exports")
def create_export(slug: str):
    """Export the project (reviewers and admins): {"format": jsonl|alignment|mqm-tsv, "labels": gold|all, "group"}."""
    project = project_or_404(slug)
    if g.user.role not in ("admin", "reviewer"):
        abort(403, description="only reviewers and admins export a project")
    data = _body() if request.data else {}
    out = io.BytesIO()
    session = get_session()
    try:
        record = export(session, project, out, str(data.get("format", "jsonl")), str(data.get("labels", "gold")),
                        data.get("group"), g.user.id)
    except ExportError as error:
        session.rollback()
        abort(422, description=str(error))
    session.commit()
    response = make_response(out.getvalue())
    response.mimetype = "text/tab-separated-values" if record.format == "mqm-tsv" else "application/jsonl"
    response.headers["X-Export-Id"] = str(record.id)
    response.headers["X-Export-SHA256"] = record.sha256
    response.headers["X-Export-Counts"] = json.dumps(record.counts, separators=(",", ":"))
    return response
