"""The database: engine with the right SQLite settings, one session per request, Alembic migrations.

Every SQLite connection gets foreign keys, WAL and a busy timeout (a one-off PRAGMA would cover only the first
connection). Any other SQLAlchemy URL, PostgreSQL included, works unchanged.
"""

from pathlib import Path

from alembic import command
from alembic.config import Config
from flask import Flask, current_app, g
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, create_engine

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


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Create or upgrade the schema to ``revision`` through the Alembic migrations.

    :param engine: the database to upgrade.
    :param revision: the target revision.
    """
    command.upgrade(alembic_config(engine), revision)


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


def init_app(app: Flask) -> None:
    engine = make_engine(app.config["DATABASE_URL"])
    app.extensions["labeler.engine"] = engine
    if app.config.get("AUTO_UPGRADE", True):
        upgrade(engine)
    app.teardown_appcontext(close_session)
