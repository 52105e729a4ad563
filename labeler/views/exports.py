"""Exports: download a project's gold dataset, every annotator's labels or its alignment."""

from tempfile import SpooledTemporaryFile

from flask import Blueprint, abort, g, request, send_file

from labeler.db import get_session
from labeler.export import ExportError, export
from labeler.views import project_or_404

bp = Blueprint("exports", __name__, url_prefix="/projects/<slug>/exports")

# What the project page offers: (value, label, format, label set, file suffix).
CHOICES = {
    "gold": ("jsonl", "gold", "gold.jsonl"),
    "all": ("jsonl", "all", "all.jsonl"),
    "alignment": ("alignment", "gold", "alignment.jsonl"),
}
SPOOL_BYTES = 16 * 1024 * 1024  # larger exports go to a temporary file, not memory


@bp.post("")
def create(slug: str):
    """Export the project and send the file."""
    project = project_or_404(slug)
    if g.user.role not in ("admin", "reviewer"):
        abort(403, description="Only reviewers and admins export a project.")
    choice = request.form.get("what", "gold")
    if choice not in CHOICES:
        abort(422, description=f"unknown export {choice!r}: choose gold, all or alignment")
    export_format, labels, suffix = CHOICES[choice]
    session = get_session()
    out = SpooledTemporaryFile(max_size=SPOOL_BYTES)
    try:
        export(session, project, out, export_format, labels, request.form.get("group") or None, g.user.id)
    except ExportError as error:
        session.rollback()
        abort(422, description=str(error))
    session.commit()
    out.seek(0)
    return send_file(out, mimetype="application/jsonl", as_attachment=True,
                     download_name=f"{project.slug}.{suffix}", max_age=0)
