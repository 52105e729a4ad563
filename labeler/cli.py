"""The ``labeler`` command line. Library code lives in the services; this module parses, calls and prints."""

import gc
import os
import sys
from contextlib import contextmanager
from pathlib import Path

import click
from sqlmodel import Session

from labeler import db
from labeler.auth import AccountError, create_user
from labeler.models import ROLES

DEMO_CORPUS = Path(__file__).parent / "demo_corpus"
DEMO_PROJECT = "Demo: news in many languages"
DEMO_USER, DEMO_PASSWORD = "demo", "demo"


def _app(database: str | None):
    from labeler import create_app

    with _opening(database):
        return create_app({"DATABASE_URL": database} if database else None)


@contextmanager
def _opening(database: str | None):
    """Turn a database that cannot be opened (a malformed URL, an unknown driver, a file or server out of reach)
    into a one-line error instead of a traceback."""
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError

    try:
        yield
    except (ArgumentError, NoSuchModuleError, OperationalError) as error:
        reason = getattr(error, "orig", None) or error
        where = f" {_without_password(database)}" if database else ""
        raise click.ClickException(f"cannot open the database{where}: {str(reason).splitlines()[0]}") from None


def _without_password(url: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 (a URL SQLAlchemy cannot even parse holds no password it would show)
        return url


def _session(app) -> Session:
    return Session(app.extensions["labeler.engine"], expire_on_commit=False)


def _engine(database: str | None):
    """The app's database engine (the same URL and settings, the schema upgraded) without the app.

    Building the app imports every view: a command that only reads and writes the database starts faster
    without it.
    """
    from flask import Flask

    from labeler import config

    # The URL create_app would use: --db, else LABELER_DATABASE_URL, else the database in the app's instance folder.
    url = database or config.database_url(Path(Flask("labeler").instance_path))
    with _opening(database):
        engine = db.make_engine(url)
        db.upgrade(engine)
    return engine


def _project(session, name: str):
    """The project named ``name``, or a clean CLI error."""
    from sqlmodel import select

    from labeler.models import Project

    project = session.exec(select(Project).where(Project.name == name)).first()
    if project is None:
        raise click.ClickException(f"no project named {name!r}")
    return project


def _groups(session, project, group_key: str | None) -> list:
    """The project's groups in key order, or only the one named ``group_key`` (a clean CLI error when none)."""
    from sqlmodel import select

    from labeler.models import Group

    query = select(Group).where(Group.project_id == project.id).order_by(Group.key)
    if group_key is not None:
        query = query.where(Group.key == group_key)
    groups = list(session.exec(query))
    if not groups:
        raise click.ClickException(f"no group {group_key!r} in project {project.name!r}")
    return groups


db_option = click.option("--db", "database", metavar="URL", help="SQLAlchemy database URL "
                         "(default: LABELER_DATABASE_URL, else instance/labeler.db).")


@click.group()
def main():
    """Annotate multilingual text side by side."""


def run() -> None:
    """The ``labeler`` command: ``main``, with what the imports built kept out of the garbage collector's way."""
    # Modules, classes and their schemas live as long as the process. Frozen, the collector's passes skip them,
    # the last one at exit included (0.2 s of every command, issue 8), and forked workers read their pages
    # without copying them.
    gc.freeze()
    main(prog_name="labeler")


@main.command("import")
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
    from labeler.ingest import ImportProblem, import_documents, read_paths

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


@main.command("align")
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


@main.command("export")
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


@main.command("mqm")
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


@main.command("suggest")
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


@main.command("agreement")
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


@main.command("assign")
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


@main.command("adjudicate")
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


@main.command("backup")
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True, help="The backup file to create.")
@db_option
def backup_command(output, database):
    """Back up a SQLite database while the server runs (SQLite's online backup API).

    For PostgreSQL use pg_dump.

    Example:

        labeler backup -o backups/labeler-2026-11-23.db
    """
    from labeler.backup import BackupError, backup

    try:
        size = backup(_database_url(database), output)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"backed up to {output} ({size / 1e6:.1f} MB, integrity checked)")


@main.command("restore")
@click.argument("backup_file", type=click.Path(path_type=Path))
@click.option("--force", is_flag=True, help="Replace the existing database.")
@db_option
def restore_command(backup_file, force, database):
    """Restore a SQLite database from a backup. Stop the server first.

    Example:

        labeler restore backups/labeler-2026-11-23.db --force
    """
    from labeler.backup import BackupError, restore

    url = _database_url(database)
    try:
        restore(backup_file, url, force=force)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"restored {backup_file} into {url}")


def _database_url(database: str | None) -> str:
    """The database a command works on, without opening (or upgrading) it."""
    from labeler import ROOT, config

    return database or config.database_url(ROOT / "instance")


@main.group()
def user():
    """Manage accounts."""


@user.command("add")
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), default="annotator", show_default=True)
@db_option
def user_add(username, role, database):
    """Add an account; the password is read from a prompt, or from stdin when it is not a terminal.

    Example:

        labeler user add ana --role annotator
        printf 'secret\\n' | labeler user add bot --role reviewer
    """
    password = _read_password()
    app = _app(database)
    with _session(app) as session:
        try:
            create_user(session, username, password, role)
            session.commit()
        except AccountError as error:
            raise click.ClickException(str(error)) from None
    click.echo(f"added {role} {username!r}")


@user.command("list")
@db_option
def user_list(database):
    """List the accounts: name, role, and whether an API token is set.

    Example:

        labeler user list
    """
    from sqlmodel import select

    from labeler.models import User

    app = _app(database)
    with _session(app) as session:
        for account in session.exec(select(User).order_by(User.username)):
            click.echo(f"{account.username}\t{account.role}\t{'token' if account.api_token_hash else '-'}")


@user.command("set-role")
@click.argument("username")
@click.argument("role", type=click.Choice(ROLES))
@db_option
def user_set_role(username, role, database):
    """Change a user's role (the last admin stays an admin).

    Example:

        labeler user set-role ana reviewer
    """
    from labeler.auth import set_role

    _change_account(database, username, lambda session, account: set_role(session, account, role))
    click.echo(f"{username!r} is now {role}")


@user.command("reset-password")
@click.argument("username")
@db_option
def user_reset_password(username, database):
    """Set a new password, read from a prompt or from stdin when it is not a terminal.

    Example:

        printf 'new secret\\n' | labeler user reset-password ana
    """
    from labeler.auth import set_password

    password = _read_password()
    _change_account(database, username, lambda session, account: set_password(session, account, password))
    click.echo(f"new password set for {username!r}")


def _change_account(database, username: str, change) -> None:
    """Apply ``change(session, account)`` to an existing account and commit, or fail with a clean message."""
    app = _app(database)
    with _session(app) as session:
        try:
            change(session, _user(session, username))
            session.commit()
        except AccountError as error:
            raise click.ClickException(str(error)) from None


def _user(session, username: str):
    from sqlmodel import select

    from labeler.models import User

    account = session.exec(select(User).where(User.username == username)).first()
    if account is None:
        raise click.ClickException(f"no user named {username!r}")
    return account


def _read_password() -> str:
    if sys.stdin.isatty():
        return click.prompt("Password", hide_input=True, confirmation_prompt=True)
    return sys.stdin.readline().rstrip("\n")


@user.command("token")
@click.argument("username")
@db_option
def user_token(username, database):
    """Make a new API token for a user (the old one stops working) and print it: it is shown only once.

    Example:

        labeler user token ana
        curl -H "Authorization: Bearer $TOKEN" http://127.0.0.1:5000/api/v1/projects
    """
    from labeler.auth import issue_token

    app = _app(database)
    with _session(app) as session:
        token = issue_token(session, _user(session, username))
        session.commit()
    click.echo(token)


@main.group("db")
def db_group():
    """Database maintenance."""


@db_group.command("upgrade")
@db_option
def db_upgrade(database):
    """Create the schema, or upgrade it to the latest version.

    Example:

        labeler db upgrade --db sqlite:///team.db
    """
    app = _app(database)
    db.upgrade(app.extensions["labeler.engine"])
    click.echo("database is at the latest schema")


# glibc gives each thread that allocates its own malloc arena; with waitress's 8 threads the server held 5 MB more
# when idle (79 MB against 74 with two arenas). Python's GIL runs one thread at a time, so two arenas cost no speed.
MALLOC_ARENAS = 2
M_ARENA_MAX = -8  # mallopt's parameter number, from glibc's malloc.h


def _few_malloc_arenas() -> None:
    """Limit glibc's malloc arenas, before the server starts its threads (nothing to do on other C libraries)."""
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
        if libc is not None and hasattr(libc, "mallopt"):
            libc.mallopt(M_ARENA_MAX, MALLOC_ARENAS)
    except OSError:
        pass


def _serve(app, host: str, port: int) -> None:
    import gc

    from waitress import serve as waitress_serve

    # What start-up made (modules, compiled statements and templates) lives as long as the server: set it aside
    # from the garbage collector, whose full passes over it paused requests for 100-230 ms (issue 8).
    gc.collect()
    gc.freeze()
    _few_malloc_arenas()
    try:
        waitress_serve(app, host=host, port=port, threads=8, ident="labeler")
    except OSError as error:
        raise click.ClickException(f"cannot listen on {host}:{port}: {error.strerror}; try another --port") from None


@main.command()
@db_option
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
def serve(database, host, port):
    """Serve a database with the production WSGI server (waitress).

    Example:

        labeler serve --db sqlite:///team.db --host 0.0.0.0 --port 8000
    """
    app = _app(database)
    click.echo(f"labeler serving {app.config['DATABASE_URL']} on http://{host}:{port}/")
    _serve(app, host, port)


@main.command()
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--path", "db_path", type=click.Path(path_type=Path), default=None,
              help="Where the demo database goes (default: instance/labeler-demo.db, replaced each time).")
@click.option("--no-serve", is_flag=True, help="Create the demo database and stop.")
def demo(port, db_path, no_serve):
    """Create a fresh demo database with the built-in corpus and a demo account, then serve it.

    Example:

        labeler demo --port 8000
    """
    from labeler import ROOT, create_app
    from labeler.demo import seed_team
    from labeler.ingest import import_documents, read_paths

    if db_path is None:
        db_path = ROOT / "instance" / "labeler-demo.db"
    db_path.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        candidate = Path(f"{db_path}{suffix}")
        if candidate.exists():
            os.remove(candidate)
    app = create_app({"DATABASE_URL": f"sqlite:///{db_path.resolve()}"})
    with _session(app) as session:
        report = import_documents(session, DEMO_PROJECT, read_paths([DEMO_CORPUS]))
        create_user(session, DEMO_USER, DEMO_PASSWORD, "admin")
        team = seed_team(session, _project(session, DEMO_PROJECT), DEMO_PASSWORD)
        session.commit()
    click.echo(f"demo database: {db_path} ({report.summary()})")
    click.echo(f"log in as {DEMO_USER!r} with password {DEMO_PASSWORD!r} (an admin); "
               f"{' and '.join(team)} (annotators, same password) have labelled the demo group for you to review")
    if not no_serve:
        click.echo(f"open http://127.0.0.1:{port}/  (Ctrl+C stops)")
        _serve(app, "127.0.0.1", port)
