"""What the commands share: the app, or only its database engine, for a ``--db`` URL (a database that cannot be
opened is a one-line error, not a traceback); a session; the ``--db`` option; and a project, its groups or a user
found by name, or a clean CLI error. Like the commands, these import the services and build the app (every view)
only when a command runs, so ``labeler --help`` stays fast."""

from contextlib import contextmanager
from pathlib import Path

import click
from sqlmodel import Session

from labeler import db

db_option = click.option("--db", "database", metavar="URL", help="SQLAlchemy database URL "
                         "(default: LABELER_DATABASE_URL, else instance/labeler.db).")


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


def _user(session, username: str):
    from sqlmodel import select

    from labeler.models import User

    account = session.exec(select(User).where(User.username == username)).first()
    if account is None:
        raise click.ClickException(f"no user named {username!r}")
    return account
