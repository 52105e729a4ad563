"""Views: one blueprint per resource. Helpers shared by all of them live here."""

from flask import Flask, abort, g, jsonify, make_response, render_template, request
from urllib.parse import quote
import zlib

from werkzeug.exceptions import HTTPException
from sqlmodel import select

from labeler import assignments, htmx, links
from labeler.db import get_session
from labeler.models import Group, Project
from labeler.schema import ENTITY_TYPES

# The event a response triggers after a save: the page shows its message and flashes the changed span.
SAVED_EVENT = "labeler:saved"


def page_or_fragment(page_template: str, fragment_template: str, **context):
    """Render the full page, or only the fragment for an htmx (not boosted) request.

    One URL has two bodies, so the response varies on ``HX-Request`` (caches and the back button care).
    """
    template = fragment_template if htmx and not htmx.boosted else page_template
    response = make_response(render_template(template, **context))
    response.headers["Vary"] = "HX-Request"
    return response


def project_or_404(slug: str) -> Project:
    """The project, if the user may see it (an annotator of a closed project needs an assignment in it)."""
    project = get_session().exec(select(Project).where(Project.slug == slug)).first()
    if project is None or not assignments.may_see_project(get_session(), g.user, project):
        abort(404, description=f"No project {slug!r}.")
    return project


def group_or_404(project: Project, key: str) -> Group:
    """The group, if the user may see it: every route of a group goes through here."""
    group = get_session().exec(select(Group).where(Group.project_id == project.id, Group.key == key)).first()
    if group is None or not assignments.may_see_group(get_session(), g.user, project, group):
        abort(404, description=f"No group {key!r} in project {project.name!r}.")
    return group


def render_error(error: HTTPException):
    """Show an HTTP error as a page, a JSON object (API) or a message the page's toast picks up (htmx)."""
    message = error.description or error.name
    if request.path.startswith("/api/"):
        if error.response is not None:  # already a JSON answer (a 409 with the current span)
            return error.response
        response = jsonify(error=message, status=error.code)
        response.status_code = error.code
        if error.code == 401:
            response.headers["WWW-Authenticate"] = 'Bearer realm="labeler"'
        return response
    template = "partials/error.html" if htmx and not htmx.boosted else "error.html"
    response = make_response(render_template(template, error=error, message=message), error.code)
    # The page reads this header to show the message, whatever the swap (URL-quoted: headers are Latin-1).
    response.headers["X-Labeler-Message"] = quote(message)
    return response


def entity_class(label: str) -> str:
    """The CSS class that colours an entity label: its own for the default types, one of eight for others."""
    if label in ENTITY_TYPES:
        return f"ent-{label.lower()}"
    return f"ent-c{zlib.crc32(label.encode()) % 8}"


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, render_error)
    app.jinja_env.filters["entity_class"] = entity_class
    app.jinja_env.filters["kb_url"] = links.kb_url
