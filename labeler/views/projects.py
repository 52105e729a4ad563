"""Projects: the list of projects, one project's groups, and its labels."""

import json
from urllib.parse import quote

from flask import Blueprint, abort, flash, g, redirect, request, url_for

from labeler import assignments, htmx, reading, schema
from labeler.db import get_session
from labeler.labels import labels_in_use, save_schema
from labeler.models import INT_MAX
from labeler.reports import agreement_report
from labeler.views import SAVED_EVENT, page_or_fragment, project_or_404

bp = Blueprint("projects", __name__, url_prefix="/projects")


@bp.get("/")
def index():
    """List the projects."""
    session = get_session()
    summaries = [item for item in reading.project_summaries(session)
                 if assignments.may_see_project(session, g.user, item["project"])]
    return page_or_fragment("projects/index.html", "partials/project_list.html", summaries=summaries)


@bp.get("/<slug>")
def show(slug: str):
    """List a project's groups, filtered by ``q`` and paginated by ``page``."""
    project = project_or_404(slug)
    query = request.args.get("q", "").strip()[:200]
    # Past the last page shows an empty page; past what the database can count would fail, so it is clamped.
    page = min(max(request.args.get("page", 1, type=int) or 1, 1), INT_MAX // reading.GROUPS_PER_PAGE)
    session = get_session()
    groups, total = reading.group_summaries(session, project, query, page,
                                            only=assignments.visible_group_ids(session, g.user, project))
    pages = max((total + reading.GROUPS_PER_PAGE - 1) // reading.GROUPS_PER_PAGE, 1)
    mine = assignments.queue(session, g.user, project)
    return page_or_fragment("projects/show.html", "partials/group_table.html", project=project, groups=groups,
                            total=total, query=query, page=page, pages=pages, queue=mine,
                            next_group=assignments.next_group(session, g.user, project))


def _usage(in_use) -> dict[str, list[tuple[str, int]]]:
    usage: dict[str, list[tuple[str, int]]] = {"entity": [], "claim": [], "claim_type": [], "error": []}
    for (layer, label), count in sorted(in_use.items()):
        usage.setdefault(layer, []).append((label, count))
    return usage


def _label_form(project, fields: dict, problems: list[str], status: int = 200, message: str | None = None):
    can_edit = g.user.role == "admin"
    response = page_or_fragment("projects/labels.html", "partials/label_form.html", project=project, fields=fields,
                                problems=problems, can_edit=can_edit, fingerprint=schema.fingerprint(project.label_schema),
                                severities=project.label_schema.get("error", {}).get("severities", schema.SEVERITIES),
                                usage=_usage(labels_in_use(get_session(), project)))
    response.status_code = status
    if problems:
        response.headers["X-Labeler-Message"] = quote(
            f"Nothing was saved: {problems[0]}" if len(problems) == 1 else
            f"Nothing was saved: {len(problems)} problems, listed above the form")
    if message:
        response.headers["HX-Trigger"] = json.dumps({SAVED_EVENT: {"message": message}})
    return response


@bp.get("/<slug>/labels")
def labels(slug: str):
    """Show the project's labels and MQM weights (editable by an admin)."""
    project = project_or_404(slug)
    return _label_form(project, schema.schema_fields(project.label_schema), [])


@bp.post("/<slug>/labels")
def save_labels(slug: str):
    """Save the project's edited labels and MQM weights."""
    project = project_or_404(slug)
    if g.user.role != "admin":
        abort(403, description="Only an admin can change a project's labels.")
    fields = {name: request.form.get(name, "") for name in schema.schema_fields(project.label_schema)}
    fields["weight_overrides"] = request.form.get("weight_overrides", "")
    session = get_session()
    try:
        save_schema(session, project, fields, request.form.get("fingerprint", ""), g.user.id)
    except schema.SchemaError as error:
        session.rollback()
        return _label_form(project, fields, error.problems, status=422)
    session.commit()
    if not htmx:
        flash("Labels saved.")
        return redirect(url_for("projects.labels", slug=project.slug), code=303)
    return _label_form(project, schema.schema_fields(project.label_schema), [], message="Labels saved")


@bp.get("/<slug>/agreement")
def agreement(slug: str):
    """Show how much the project's annotators agree: pairwise matrix, per label and per language."""
    project = project_or_404(slug)
    if g.user.role not in ("admin", "reviewer"):
        abort(403, description="Only reviewers and admins see the agreement of a project.")
    result = agreement_report(get_session(), project)
    pairs = {(p["a"], p["b"]): p for p in result["pairs"]}
    pairs.update({(p["b"], p["a"]): p for p in result["pairs"]})
    return page_or_fragment("projects/agreement.html", "projects/agreement.html", project=project, result=result,
                            pairs=pairs)
