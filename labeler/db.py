"""The database: engine with the right SQLite settings, one session per request, Alembic migrations.

Every SQLite connection gets foreign keys, WAL and a busy timeout (a one-off PRAGMA would cover only the first
connection). Any other SQLAlchemy URL, PostgreSQL included, works unchanged.
"""

import ast
import re
from pathlib import Path

from flask import Flask, abort, current_app, g, request
from sqlalchemy import event
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.engine import Engine
from sqlmodel import Session, create_engine

from labeler.text.normalize import holds_nul

MIGRATIONS = Path(__file__).parent / "migrations"
BUSY_TIMEOUT_MS = 5000


def make_engine(url: str) -> Engine:
    """Create an engine for ``url``; for SQLite, set the per-connection pragmas.

    :param url: an SQLAlchemy database URL.
    :returns: the engine.
    """
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000})
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode = WAL")
    # NORMAL is durable in WAL mode except across power loss of the last commits; FULL keeps every 2xx on disk.
    cursor.execute("PRAGMA synchronous = FULL")
    cursor.close()


def alembic_config(engine: Engine):
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # The configuration interpolates %(name)s: a URL's own % (a %-escaped password, a folder's name) is written %%.
    config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%"))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Create or upgrade the schema to ``revision`` through the Alembic migrations.

    :param engine: the database to upgrade.
    :param revision: the target revision.
    """
    # Alembic weighs 10 MB of memory: a server that starts on an up-to-date database never imports it (issue 8).
    if revision == "head" and _current_revisions(engine) == {_head_revision()}:
        return
    from alembic import command

    command.upgrade(alembic_config(engine), revision)


_REVISION_LINE = re.compile(r"^(revision|down_revision)\b[^=\n]*=(.+)$", re.MULTILINE)


def _head_revision() -> str | None:
    """The newest migration's id, read from the files: the one revision that no migration follows (None if unclear)."""
    revisions, followed = set(), set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        for name, value in _REVISION_LINE.findall(path.read_text(encoding="utf-8")):
            try:
                value = ast.literal_eval(value.strip())
            except (ValueError, SyntaxError):
                return None
            if name == "revision":
                revisions.add(value)
            elif value is not None:
                followed.update(value if isinstance(value, (tuple, list)) else [value])
    heads = revisions - followed
    return heads.pop() if len(heads) == 1 else None


def _current_revisions(engine: Engine) -> set[str]:
    """The revisions the database is at (empty for a new database)."""
    try:
        with engine.connect() as connection:
            return {row[0] for row in connection.exec_driver_sql("SELECT version_num FROM alembic_version")}
    except SQLAlchemyError:
        return set()


def get_engine() -> Engine:
    return current_app.extensions["labeler.engine"]


def get_session() -> Session:
    """Return this request's session, opened on first use and closed at teardown."""
    if "db_session" not in g:
        g.db_session = Session(get_engine(), expire_on_commit=False)
    return g.db_session


def close_session(_error=None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()


def refuse_nul() -> None:
    """Refuse a request whose URL, query, form or JSON holds a NUL character (U+0000).

    PostgreSQL cannot store NUL in text, nor take it as a query parameter: it would fail deep inside a write or a
    lookup (a 500). SQLite can, but the answer must not depend on the database, so both refuse it here.
    """
    parts = [request.path, list(request.args.lists())]
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        parts += [list(request.form.lists()), request.get_json(silent=True) if request.is_json else None]
    if holds_nul(parts):
        abort(400, description="Text must not contain NUL characters (U+0000).")


def init_app(app: Flask) -> None:
    engine = make_engine(app.config["DATABASE_URL"])
    app.extensions["labeler.engine"] = engine
    if app.config.get("AUTO_UPGRADE", True):
        upgrade(engine)
    app.before_request(refuse_nul)
    app.teardown_appcontext(close_session)
