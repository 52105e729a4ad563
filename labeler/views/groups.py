"""Groups: the side-by-side page where annotators read and label a group."""

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, url_for

from labeler import assignments, reading
from labeler.db import get_session
from labeler.models import INT_MAX
from labeler.views import page_or_fragment, project_and_group_or_404
from labeler.views.rows import tool_urls

bp = Blueprint("groups", __name__, url_prefix="/projects/<slug>/groups")


@bp.get("/<key>")
def show(slug: str, key: str):
    """Show a group side by side: one column per document, one row per aligned paragraph set."""
    session = get_session()
    project, group = project_and_group_or_404(slug, key)
    columns, documents = reading.columns(session, group, g.user.id, project.label_schema.get("mqm_weights"))
    limit = current_app.config["ROWS_PER_PAGE"]
    rows = reading.rows(session, group, documents, None, limit, g.user.id)
    total = reading.row_count(session, group)
    previous, following, number, count = reading.neighbours(
        session, group, assignments.visible_group_ids(session, g.user, project))
    assignments.start(session, g.user, group)
    session.commit()
    return page_or_fragment(
        "groups/show.html", "partials/group_grid.html", project=project, group=group, columns=columns, rows=rows,
        limit=limit, total=total, previous=previous, following=following, number=number, count=count,
        assignment=assignments.assignment_of(session, g.user, group), tool_urls=tool_urls(project, group),
    )


@bp.post("/<key>/submit")
def submit(slug: str, key: str):
    """Submit your work on this group and go on to the next group of your queue."""
    session = get_session()
    project, group = project_and_group_or_404(slug, key)
    try:
        assignments.submit(session, g.user, group)
    except assignments.AssignmentError as error:
        abort(409, description=str(error))
    session.commit()
    following = assignments.next_group(session, g.user, project)
    if following is None:
        flash(f"Submitted {group.name}. Your queue in this project is done.")
        return redirect(url_for("projects.show", slug=project.slug), code=303)
    flash(f"Submitted {group.name}. Next in your queue: {following.name}.")
    return redirect(url_for("groups.show", slug=project.slug, key=following.key), code=303)


@bp.get("/<key>/rows")
def rows(slug: str, key: str):
    """Return the next page of rows (loaded as the reader scrolls)."""
    session = get_session()
    project, group = project_and_group_or_404(slug, key)
    columns, documents = reading.columns(session, group, g.user.id, project.label_schema.get("mqm_weights"))
    after = request.args.get("after", type=int)
    if after is not None and abs(after) > INT_MAX:
        abort(422, description="after is out of range")
    limit = current_app.config["ROWS_PER_PAGE"]
    rows = reading.rows(session, group, documents, after, limit, g.user.id)
    response = render_template("partials/rows.html", project=project, group=group, columns=columns, rows=rows,
                               limit=limit, tool_urls=tool_urls(project, group))
    return response, 200, {"Vary": "HX-Request"}
