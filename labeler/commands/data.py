"""Data in and out of a project: ``labeler import`` (folders of .txt files, JSONL, gold exports) and
``labeler export`` (the gold dataset, every annotator's labels, the alignment or WMT MQM TSV)."""

import os
import sys
from pathlib import Path

import click
from sqlmodel import Session

from labeler.commands.common import _app, _engine, _project, _session, db_option


@click.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--project", "project_name", required=True, help="Project name (created when missing).")
@click.option("--annotator", default=None,
              help="Labels of gold exports become this user's (default: the gold set, or each record's annotator).")
@click.option("--pre-annotate", is_flag=True,
              help="Labels of gold exports become suggestions that each annotator accepts or rejects.")
@db_option
def import_command(paths, project_name, annotator, pre_annotate, database):
    """Import folders of .txt files (one folder = one group) or JSONL files, gold exports included.

    A folder of .txt files is one group; a folder of such folders is several. An optional group.json in a
    group folder names the group and, per file, its lang, role and title. A JSONL file made by
    'labeler export' brings its labels, concepts and alignment too. Nothing is imported when any file
    is bad.

    Example:

        labeler import corpus/news-01 corpus/news-02 --project "News"
        labeler import news.gold.jsonl --project "News" --annotator ana
        labeler import machine.gold.jsonl --project "News" --pre-annotate
    """
    from labeler.ingest import import_documents
    from labeler.readers import ImportProblem, read_paths

    if annotator and pre_annotate:
        raise click.ClickException("choose --annotator or --pre-annotate, not both")
    app = _app(database)
    try:
        documents = read_paths(list(paths))
        with _session(app) as session:
            report = import_documents(session, project_name, documents, annotator=annotator,
                                      pre_annotate=pre_annotate)
    except ImportProblem as problem:
        raise click.ClickException(f"{problem}\nNothing was imported.") from None
    click.echo(report.summary())


@click.command("export")
@click.option("--project", "project_name", required=True, help="Project name.")
@click.option("--format", "export_format", type=click.Choice(["jsonl", "alignment", "mqm-tsv"]), default="jsonl",
              show_default=True, help="jsonl: the gold dataset (labeler.gold/1); alignment: one line per row; "
                                      "mqm-tsv: every annotator's translation errors as WMT MQM TSV.")
@click.option("--gold/--all", "gold", default=True, show_default=True,
              help="--gold: the adjudicated gold set; --all: every annotator's labels, one record each.")
@click.option("--group", "group_key", default=None, help="Only this group (its key).")
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="The file to write (default: standard output).")
@click.option("--workers", type=click.IntRange(min=1), default=lambda: min(os.cpu_count() or 1, 4),
              show_default="the number of CPUs, at most 4",
              help="Processes a large gold export runs in (over one snapshot of the database).")
@db_option
def export_command(project_name, export_format, gold, group_key, output, workers, database):
    """Export a project: the gold dataset as JSONL, or its alignment.

    The same data always gives the same bytes (whatever the number of workers); every export is recorded with
    its SHA-256.

    Example:

        labeler export --project "News" -o news.gold.jsonl
        labeler export --project "News" --all --group news-01 > news-01.all.jsonl
    """
    from labeler.export import ExportError, export

    with Session(_engine(database), expire_on_commit=False) as session:
        project = _project(session, project_name)
        labels = "gold" if gold else "all"
        partial = output.with_name(output.name + ".partial") if output else None
        try:
            with (open(partial, "wb") if partial else _stdout_bytes()) as out:
                record = export(session, project, out, export_format, labels, group_key, workers=workers)
        except BaseException as error:  # whatever stopped it (Ctrl+C included): no half-written file is left
            if partial:
                partial.unlink(missing_ok=True)
            if isinstance(error, ExportError):
                raise click.ClickException(str(error)) from None
            raise
        if partial:
            partial.replace(output)  # a complete file or none: never a half-written export
        session.commit()
    counts = record.counts
    what = (f"{counts['rows']} rows" if export_format == "alignment" else
            f"{counts['errors']} errors, {counts['groups_skipped']} groups without a source and line-aligned "
            f"translations skipped" if export_format == "mqm-tsv" else
            f"{counts['documents']} documents, {counts['entities']} entities, {counts['claims']} claims, "
            f"{counts['errors']} errors")
    click.echo(f"exported {record.record_count} records ({what}) to {output or 'standard output'}; "
               f"sha256 {record.sha256}", err=True)
    if export_format == "jsonl" and gold and not (counts["entities"] or counts["claims"] or counts["errors"]):
        click.echo("the gold set has no labels yet (a reviewer adjudicates them); --all exports every "
                   "annotator's labels", err=True)


class _stdout_bytes:
    """Standard output as a binary stream that a ``with`` block does not close."""

    def __enter__(self):
        return sys.stdout.buffer

    def __exit__(self, *exc):
        sys.stdout.buffer.flush()
        return False
