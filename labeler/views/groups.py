"""Groups: the side-by-side page where annotators read and label a group."""

from flask import Blueprint, g, current_app, render_template, request

from labeler import reading
from labeler.db import get_session
from labeler.views import group_or_404, page_or_fragment, project_or_404

bp = Blueprint("groups", __name__, url_prefix="/projects/<slug>/groups")


@bp.get("/<key>")
def show(slug: str, key: str):
    """Show a group side by side: one column per document, one row per aligned paragraph set."""
    session = get_session()
    project = project_or_404(slug)
    group = group_or_404(project, key)
    columns, documents = reading.columns(session, group, g.user.id, project.label_schema.get("mqm_weights"))
    limit = current_app.config["ROWS_PER_PAGE"]
    rows = reading.rows(session, group, documents, None, limit, g.user.id)
    total = reading.row_count(session, group)
    previous, following, number, count = reading.neighbours(session, group)
    return page_or_fragment(
        "groups/show.html", "partials/group_grid.html", project=project, group=group, columns=columns, rows=rows,
        limit=limit, total=total, previous=previous, following=following, number=number, count=count,
    )


@bp.get("/<key>/rows")
def rows(slug: str, key: str):
    """Return the next page of rows (loaded as the reader scrolls)."""
    session = get_session()
    project = project_or_404(slug)
    group = group_or_404(project, key)
    columns, documents = reading.columns(session, group, g.user.id, project.label_schema.get("mqm_weights"))
    after = request.args.get("after", type=int)
    limit = current_app.config["ROWS_PER_PAGE"]
    rows = reading.rows(session, group, documents, after, limit, g.user.id)
    response = render_template("partials/rows.html", project=project, group=group, columns=columns, rows=rows,
                               limit=limit)
    return response, 200, {"Vary": "HX-Request"}
