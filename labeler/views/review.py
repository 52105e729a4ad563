"""Review: a reviewer turns the annotators' labels of a group into the gold set.

The page is the group's aligned grid with one version of each paragraph per annotator and the gold set's.
Every write answers with the decision panel, and out of band the rows it changed and the count of places
still waiting.
"""

import json

from flask import Blueprint, abort, g, make_response, render_template, request
from sqlmodel import select

from labeler import adjudication, review
from labeler.alignment import current_documents
from labeler.annotations import SpanError
from labeler.db import get_session
from labeler.models import Document, User
from labeler.reading import columns as reading_columns
from labeler.views import SAVED_EVENT, group_or_404, project_or_404
from labeler.views.annotations import LABEL_KEYS, SPAN_FIELDS, _form, _int, span_fields

bp = Blueprint("review", __name__, url_prefix="/projects/<slug>/groups/<key>/review")


def _context(slug: str, key: str):
    project = project_or_404(slug)
    group = group_or_404(project, key)
    if g.user.role not in adjudication.REVIEWERS:
        abort(403, description="Only reviewers and admins adjudicate a group.")
    return project, group


def _names() -> dict[int, str]:
    return dict(get_session().exec(select(User.id, User.username)).all())


def _refuse(error: SpanError):
    get_session().rollback()
    abort(error.status, description=error.message)


@bp.get("")
def show(slug: str, key: str):
    """Show the group for review: each document split into every annotator's version and the gold set.

    Opening the page first merges the places everyone marked alike into the gold set (an idempotent step).
    """
    project, group = _context(slug, key)
    session = get_session()
    adjudication.premerge(session, group)
    session.commit()
    every_row = request.args.get("rows") == "all"
    columns, documents = reading_columns(session, group)
    built = review.grid(session, group, documents, every_row=every_row)
    response = make_response(render_template(
        "groups/review.html", project=project, group=group, columns=columns, grid=built, every_row=every_row))
    response.headers["Vary"] = "HX-Request"
    return response


def _panel(project, group, place_key: str | None, message: str | None = None, changed_segments=(),
           form: dict | None = None, status: int = 200):
    """The decision panel for a place, with the rows of ``changed_segments`` and the count out of band."""
    session = get_session()
    documents = current_documents(session, group.id)
    row_ids = [r for r in (review.row_of_segment(session, s) for s in dict.fromkeys(changed_segments)) if r]
    columns, _ = reading_columns(session, group)
    built = review.grid(session, group, documents, row_ids=row_ids)
    place = review.find_place(built.places, place_key) if place_key else None
    body = render_template("partials/review_changes.html", project=project, group=group, grid=built,
                           columns=columns, place=place, form=form, documents={d.id: d for d in documents},
                           names=_names(), label_keys=LABEL_KEYS, oob=True)
    response = make_response(body, status)
    response.headers["Vary"] = "HX-Request"
    if message:
        response.headers["HX-Trigger"] = json.dumps({SAVED_EVENT: {"message": message}})
    return response


@bp.get("/places/<place_key>")
def place(slug: str, key: str, place_key: str):
    """Return the decision panel for one place: every annotator's version, the gold set's, the keys."""
    project, group = _context(slug, key)
    return _panel(project, group, place_key)


@bp.post("/<int:annotation_id>/<any(accept, reject):action>")
def decide(slug: str, key: str, annotation_id: int, action: str):
    """Accept an annotator's version of a place into the gold set, or reject the place."""
    project, group = _context(slug, key)
    session = get_session()
    try:
        made = adjudication.decide(session, group, g.user, annotation_id, action == "accept")
    except SpanError as error:
        _refuse(error)
    session.commit()
    first = made[0]
    message = f"Gold: {', '.join(a.label for a in made)}" if action == "accept" else f"Rejected “{first.surface}”"
    place_key = f"{first.document_id}-{first.layer}-{first.char_start}-{first.char_end}"
    return _panel(project, group, place_key, message, [a.segment_id for a in made])


@bp.get("/gold/new")
def gold_form(slug: str, key: str):
    """Return the form that writes a gold span of the reviewer's own at the given offsets."""
    project, group = _context(slug, key)
    document = get_session().get(Document, _int(request.args.get("document_id"), "document_id"))
    if document is None or document.group_id != group.id:
        abort(404, description="No such document in this group.")
    char_start = _int(request.args.get("char_start"), "char_start")
    char_end = _int(request.args.get("char_end"), "char_end")
    if not 0 <= char_start < char_end <= len(document.text):
        abort(422, description=f"{char_start}–{char_end} is not a stretch of this document's text.")
    layer = request.args.get("layer", "entity")
    if layer not in ("entity", "claim", "error"):
        abort(422, description=f"unknown layer {layer!r}")
    form = {"document_id": document.id, "char_start": char_start, "char_end": char_end, "layer": layer,
            "surface": document.text[char_start:char_end], "label": request.args.get("label", ""),
            "severity": request.args.get("severity", "major"), "place": request.args.get("place", "")}
    return _panel(project, group, form["place"] or None, form=form)


@bp.post("/gold")
def write_gold(slug: str, key: str):
    """Write a gold span of the reviewer's own: a label or offsets no annotator chose."""
    project, group = _context(slug, key)
    data = _form()
    fields = span_fields(data)
    if fields.get("layer") != "error":
        fields.pop("severity", None)
    session = get_session()
    try:
        gold = adjudication.write_gold(session, project, group, g.user, fields)
    except SpanError as error:
        if error.status != 422:
            _refuse(error)
        session.rollback()
        form = {**{name: data.get(name, "") for name in (*SPAN_FIELDS, "place")}, "error": error.message}
        return _panel(project, group, data.get("place") or None, form=form, status=error.status)
    session.commit()
    place_key = data.get("place") or f"{gold.document_id}-{gold.layer}-{gold.char_start}-{gold.char_end}"
    return _panel(project, group, place_key, f"Gold: {gold.label} “{gold.surface}”", [gold.segment_id])


@bp.post("/gold/<int:annotation_id>/delete")
def remove_gold(slug: str, key: str, annotation_id: int):
    """Take a span out of the gold set."""
    project, group = _context(slug, key)
    session = get_session()
    try:
        gold = adjudication.remove_gold(session, group, g.user, annotation_id)
    except SpanError as error:
        _refuse(error)
    session.commit()
    place_key = request.form.get("place") or f"{gold.document_id}-{gold.layer}-{gold.char_start}-{gold.char_end}"
    return _panel(project, group, place_key, f"Removed “{gold.surface}” from the gold set", [gold.segment_id])
