"""Review: a reviewer turns the annotators' labels of a group into the gold set."""

import json

from flask import Blueprint, abort, g, make_response, render_template

from labeler import adjudication
from labeler.alignment import current_documents
from labeler.annotations import SpanError
from labeler.db import get_session
from labeler.models import User
from labeler.views import SAVED_EVENT, group_or_404, page_or_fragment, project_or_404

bp = Blueprint("review", __name__, url_prefix="/projects/<slug>/groups/<key>/review")


def _context(slug: str, key: str):
    project = project_or_404(slug)
    group = group_or_404(project, key)
    if g.user.role not in ("admin", "reviewer"):
        abort(403, description="Only reviewers and admins adjudicate a group.")
    return project, group


def _decided_by(session) -> dict[int, str]:
    from sqlmodel import select

    return dict(session.exec(select(User.id, User.username)).all())


@bp.get("")
def show(slug: str, key: str):
    """Show every place the annotators marked, per document, with their labels and the gold decision.

    Opening the page first merges the places everyone marked alike into the gold set (an idempotent step).
    """
    project, group = _context(slug, key)
    session = get_session()
    adjudication.premerge(session, group)
    session.commit()
    annotators = adjudication.annotators_of(session, group)
    found = adjudication.places(session, group)
    documents = current_documents(session, group.id)
    by_document = {d.id: [p for p in found if p.document_id == d.id] for d in documents}
    waiting, total = adjudication.disputed_count(session, group)
    return page_or_fragment("groups/review.html", "groups/review.html", project=project, group=group,
                            documents=documents, by_document=by_document, annotators=annotators,
                            waiting=waiting, total=total, names=_decided_by(session))


@bp.post("/<int:annotation_id>/<any(accept, reject):action>")
def decide(slug: str, key: str, annotation_id: int, action: str):
    """Accept an annotator's span into the gold set, or reject its place."""
    project, group = _context(slug, key)
    session = get_session()
    try:
        gold = adjudication.decide(session, group, g.user, annotation_id, action == "accept")
    except SpanError as error:
        session.rollback()
        abort(error.status, description=error.message)
    session.commit()
    place = next(p for p in adjudication.places(session, group)
                 if (p.document_id, p.layer, p.char_start, p.char_end) ==
                 (gold.document_id, gold.layer, gold.char_start, gold.char_end))
    body = render_template("partials/review_place.html", project=project, group=group, place=place,
                           annotators=adjudication.annotators_of(session, group), names=_decided_by(session))
    response = make_response(body)
    message = f"Gold: {gold.label}" if action == "accept" else f"Rejected “{gold.surface}”"
    response.headers["HX-Trigger"] = json.dumps({SAVED_EVENT: {"message": message}})
    return response
