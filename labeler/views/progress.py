"""Progress: a project's dashboard of groups done, spans per layer, MQM per document and agreement over time."""

from flask import Blueprint, g

from labeler import charts
from labeler.db import get_session
from labeler.progress import project_progress
from labeler.views import page_or_fragment, project_or_404

bp = Blueprint("progress", __name__, url_prefix="/projects")

LAYER_TITLES = {"entity": "Entities", "claim": "Claims", "error": "Translation errors"}


def _charts(report: dict) -> dict:
    """Draw the report's charts (presentation only: every figure comes from the report)."""
    drawn = {
        "groups": charts.progress_bar(report["groups"]["done"], report["groups"]["total"], "Groups done",
                                      started=report["groups"]["started"], width=240),
        "annotators": {person.user_id: charts.progress_bar(
            person.submitted, person.assigned, f"{person.username}: groups submitted", started=person.in_progress)
            for person in report["annotators"]},
        "languages": {row.lang: charts.progress_bar(row.done, row.documents, f"{row.lang}: documents done")
                      for row in report["languages"]},
        "labels": {layer: charts.bar_chart(items, f"{LAYER_TITLES[layer]}: spans per label")
                   for layer, items in report["labels"].items()},
        "severities": charts.bar_chart(report["severities"], "Translation errors: spans per severity"),
        "mqm": charts.dot_plot(
            [(f"{row.lang} · {row.language}", [(f"{d.group_name} / {d.doc_id}", d.score)
                                               for d in report["documents"] if d.lang == row.lang])
             for row in report["languages"]],
            "MQM score per document, by language", unit="penalty per 100 words"),
    }
    agreement = report["agreement"]
    if agreement is not None:
        drawn["agreement"] = charts.line_chart(
            [point.short for point in agreement["points"]],
            [(LAYER_TITLES[layer], [point.layers[layer] for point in agreement["points"]])
             for layer in agreement["layers"]],
            "Overlapping span F1 over time, per layer")
    return drawn


@bp.get("/<slug>/progress")
def show(slug: str):
    """Show the project's progress: everyone's for reviewers and admins, an annotator's own otherwise."""
    project = project_or_404(slug)
    report = project_progress(get_session(), project, g.user)
    return page_or_fragment("projects/progress.html", "partials/progress_report.html", project=project,
                            report=report, charts=_charts(report), layer_titles=LAYER_TITLES)
