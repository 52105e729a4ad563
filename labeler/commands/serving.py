"""Serving: ``labeler serve`` runs a database in the production WSGI server (waitress), tuned for a long-lived
process; ``labeler demo`` builds a fresh demo database from the built-in corpus and serves it."""

import os
from pathlib import Path

import click

from labeler.auth import create_user
from labeler.commands.common import _app, _project, _session, db_option

DEMO_CORPUS = Path(__file__).parents[1] / "demo_corpus"
DEMO_PROJECT = "Demo: news in many languages"
DEMO_USER, DEMO_PASSWORD = "demo", "demo"


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


@click.command()
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


@click.command()
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
    from labeler.ingest import import_documents
    from labeler.readers import read_paths

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
