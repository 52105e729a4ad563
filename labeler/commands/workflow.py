"""Working on a project's groups: ``align`` them again, ``suggest`` labels, ``assign`` groups to annotators,
``adjudicate`` what they agree on; and what the labels add up to: ``agreement`` between annotators and ``mqm``
scores per segment and system."""

import click

from labeler.commands.common import _app, _groups, _project, _session, _user, db_option


@click.command("align")
@click.option("--project", "project_name", required=True, help="Project name.")
@click.option("--group", "group_key", default=None, help="Only this group (its key).")
@db_option
def align_command(project_name, group_key, database):
    """Align the paragraphs of a project's groups again; rows a person confirmed stay as they are.

    Example:

        labeler align --project "News" --group news-01
    """
    from labeler.alignment import realign_group

    app = _app(database)
    with _session(app) as session:
        project = _project(session, project_name)
        groups = _groups(session, project, group_key)
        rows = sum(realign_group(session, group) for group in groups)
        session.commit()
    click.echo(f"aligned {len(groups)} group(s): {rows} suggested rows written, confirmed rows kept")


@click.command("suggest")
@click.option("--project", "project_name", required=True, help="Project name.")
@click.option("--group", "group_key", default=None, help="Only this group (its key).")
@click.option("--only", default=None, help="Comma-separated suggesters (default: projection,numbers,names,language).")
@db_option
def suggest_command(project_name, group_key, only, database):
    """Run the suggesters and keep what they find as suggestions; print one JSON object per suggestion.

    Annotators see the suggestions dashed on the group page and accept (Enter) or reject (Backspace) them.
    Running again adds only what is new.

    Example:

        labeler suggest --project "News" --only numbers,names
    """
    import json

    from labeler.suggesters import SUGGESTERS
    from labeler.suggesting import run

    which = tuple(name.strip() for name in only.split(",")) if only else tuple(SUGGESTERS)
    unknown = [name for name in which if name not in SUGGESTERS]
    if unknown:
        raise click.ClickException(f"unknown suggester(s): {', '.join(unknown)}; choose from {', '.join(SUGGESTERS)}")
    app = _app(database)
    with _session(app) as session:
        project = _project(session, project_name)
        groups = _groups(session, project, group_key)
        found = run(session, project, groups, which)
        session.commit()
    for item in found:
        click.echo(json.dumps({k: v for k, v in item.items() if k not in ("new", "suggester")}, ensure_ascii=False))
    click.echo(f"{len(found)} suggestions, {sum(item['new'] for item in found)} new", err=True)


@click.command("assign")
@click.option("--project", "project_name", required=True, help="Project name.")
@click.option("--group", "group_key", default=None, help="Assign this group (with --user).")
@click.option("--user", "username", default=None, help="To this annotator (with --group).")
@click.option("--per-group", type=int, default=None, help="Give every group this many annotators, least loaded first.")
@click.option("--close", "visibility", flag_value="close", default=None,
              help="From now on annotators see only the groups assigned to them.")
@click.option("--open", "visibility", flag_value="open", help="Annotators see every group of the project again.")
@db_option
def assign_command(project_name, group_key, username, per_group, visibility, database):
    """Assign groups to annotators, by hand or N per group, and print everyone's queue.

    Example:

        labeler assign --project "News" --per-group 2 --close
        labeler assign --project "News" --group news-07 --user ana
    """
    from sqlmodel import select

    from labeler import assignments
    from labeler.models import User

    if (group_key is None) != (username is None):
        raise click.ClickException("give --group and --user together")
    app = _app(database)
    with _session(app) as session:
        project = _project(session, project_name)
        try:
            if group_key is not None:
                (group,) = _groups(session, project, group_key)
                assignments.assign(session, group, _user(session, username))
            if per_group is not None:
                made = assignments.assign_evenly(session, project, per_group, list(session.exec(select(User))))
                click.echo(f"{made} new assignments", err=True)
        except assignments.AssignmentError as error:
            raise click.ClickException(str(error)) from None
        if visibility is not None:
            assignments.set_open(session, project, visibility == "open")
        session.commit()
        click.echo(f"project {project.name!r} is {'open to every annotator' if project.is_open else 'closed: annotators see their assignments'}")
        for user in session.exec(select(User).where(User.role == "annotator").order_by(User.username)):
            mine = assignments.queue(session, user, project)
            if mine:
                done = sum(a.status == "submitted" for _, a in mine)
                click.echo(f"{user.username}\t{done}/{len(mine)} submitted\t" + " ".join(g.key for g, _ in mine))


@click.command("adjudicate")
@click.option("--project", "project_name", required=True, help="Project name.")
@click.option("--group", "group_key", default=None, help="Only this group (its key).")
@db_option
def adjudicate_command(project_name, group_key, database):
    """Put into the gold set every place that all of a group's annotators labelled alike, and say how many
    places per group still wait for a reviewer.

    Example:

        labeler adjudicate --project "News"
    """
    from labeler.adjudication import disputed_count, premerge

    app = _app(database)
    with _session(app) as session:
        project = _project(session, project_name)
        for group in _groups(session, project, group_key):
            added = premerge(session, group)
            waiting, total = disputed_count(session, group)
            click.echo(f"{group.key}\t{added} agreed spans merged into gold\t{waiting} of {total} places wait for a reviewer")
        session.commit()


@click.command("agreement")
@click.option("--project", "project_name", required=True, help="Project name.")
@click.option("--format", "output_format", type=click.Choice(["table", "json"]), default="table", show_default=True)
@db_option
def agreement_command(project_name, output_format, database):
    """Print inter-annotator agreement: span F1 (exact and overlapping), Cohen's kappa and Krippendorff's
    alpha on labels, severity agreement and MQM correlation; per layer, language and label.

    Example:

        labeler agreement --project "News" --format json
    """
    import json

    from labeler.reports import agreement_report, agreement_table

    app = _app(database)
    with _session(app) as session:
        result = agreement_report(session, _project(session, project_name))
    if len(result["annotators"]) < 2:
        raise click.ClickException("agreement needs the labels of at least two annotators in this project")
    click.echo(json.dumps(result, indent=2) if output_format == "json" else agreement_table(result), nl=False)


@click.command("mqm")
@click.option("--project", "project_name", required=True, help="Project name.")
@click.option("--format", "output_format", type=click.Choice(["tsv", "json"]), default="tsv", show_default=True)
@db_option
def mqm_command(project_name, output_format, database):
    """Print MQM scores per segment and per system (WMT convention: a rater's penalties summed per segment,
    averaged over the segment's raters; a system's score is the mean over its segments; lower is better).

    Example:

        labeler mqm --project "WMT TED en-de"
    """
    import json

    from labeler.wmt import scores

    app = _app(database)
    with _session(app) as session:
        project = _project(session, project_name)
        segments, systems = scores(session, project)
    if output_format == "json":
        click.echo(json.dumps({"segments": segments, "systems": systems}, ensure_ascii=False, indent=2))
        return
    click.echo("system\tdoc\tsegment\traters\tscore")
    for row in segments:
        click.echo(f"{row['system']}\t{row['doc']}\t{row['seg']}\t{row['raters']}\t{row['score']:g}")
    click.echo("\nsystem\tsegments\tscore")
    for row in systems:
        click.echo(f"{row['system']}\t{row['segments']}\t{row['score']:g}")
