"""Projects: the list of projects, and one project's groups."""

from flask import Blueprint, request

from labeler import reading
from labeler.db import get_session
from labeler.views import page_or_fragment, project_or_404

bp = Blueprint("projects", __name__, url_prefix="/projects")


@bp.get("/")
def index():
    """List the projects."""
    summaries = reading.project_summaries(get_session())
    return page_or_fragment("projects/index.html", "partials/project_list.html", summaries=summaries)


@bp.get("/<slug>")
def show(slug: str):
    """List a project's groups, filtered by ``q`` and paginated by ``page``."""
    project = project_or_404(slug)
    query = request.args.get("q", "").strip()[:200]
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    groups, total = reading.group_summaries(get_session(), project, query, page)
    pages = max((total + reading.GROUPS_PER_PAGE - 1) // reading.GROUPS_PER_PAGE, 1)
    return page_or_fragment("projects/show.html", "partials/group_table.html", project=project, groups=groups,
                            total=total, query=query, page=page, pages=pages)
