"""Views: one blueprint per resource. Helpers shared by all of them live here."""

from flask import Flask, abort, g, jsonify, make_response, render_template, request
from urllib.parse import quote

from werkzeug.exceptions import HTTPException
from sqlalchemy import bindparam
from sqlmodel import select

from labeler import assignments, htmx, links
from labeler.db import get_session
from labeler.models import Group, Project
from labeler.render import entity_class

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


# The lookups of every group route, built once (issue 8: building a statement costs as much as running it).
_PROJECT = select(Project).where(Project.slug == bindparam("slug"))
_GROUP = select(Group).where(Group.project_id == bindparam("project_id"), Group.key == bindparam("key"))
_PROJECT_AND_GROUP = select(Project, Group).join(Group, Group.project_id == Project.id).where(
    Project.slug == bindparam("slug"), Group.key == bindparam("key"))


def project_or_404(slug: str) -> Project:
    """The project, if the user may see it (an annotator of a closed project needs an assignment in it)."""
    project = get_session().exec(_PROJECT, params={"slug": slug}).first()
    if project is None or not assignments.may_see_project(get_session(), g.user, project):
        abort(404, description=f"No project {slug!r}.")
    return project


def group_or_404(project: Project, key: str) -> Group:
    """The group, if the user may see it: every route of a group goes through here."""
    group = get_session().exec(_GROUP, params={"project_id": project.id, "key": key}).first()
    if group is None or not assignments.may_see_group(get_session(), g.user, project, group):
        abort(404, description=f"No group {key!r} in project {project.name!r}.")
    return group


def project_and_group_or_404(slug: str, key: str) -> tuple[Project, Group]:
    """The project and the group, in one query, with the same answers as ``project_or_404`` then ``group_or_404``."""
    session = get_session()
    found = session.exec(_PROJECT_AND_GROUP, params={"slug": slug, "key": key}).first()
    if found is None:
        project = project_or_404(slug)  # no project (or not the user's) says so; else the group is missing
        abort(404, description=f"No group {key!r} in project {project.name!r}.")
    project, group = found
    visible = assignments.visible_group_ids(session, g.user, project)
    if visible is not None and not visible:
        abort(404, description=f"No project {slug!r}.")
    if visible is not None and group.id not in visible:
        abort(404, description=f"No group {key!r} in project {project.name!r}.")
    return project, group


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


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, render_error)
    app.jinja_env.filters["entity_class"] = entity_class
    app.jinja_env.filters["kb_url"] = links.kb_url
