"""Fixtures shared by the three tiers: an app on a fresh database, a client, a CLI runner, a login helper."""

import itertools
import os
import re
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url
from sqlmodel import Session

from labeler import create_app, db
from labeler.auth import create_user

TESTS = Path(__file__).parent
DATA = TESTS / "data"
SHARED = TESTS.parent.parent / "shared"
SEEDS = SHARED / "seeds"
PASSWORD = "correct horse"


# Set to a PostgreSQL server URL (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/postgres) to run the
# whole suite on PostgreSQL: each test then gets a database of its own, cloned from a migrated template.
POSTGRES_URL = os.environ.get("LABELER_TEST_DATABASE_URL")


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory):
    """A database upgraded once by the real migrations; each test copies it (much faster than migrating)."""
    if POSTGRES_URL:
        name = f"labeler_template_{os.getpid()}"
        _postgres_admin(f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}"')
        engine = db.make_engine(_postgres_database(name))
        db.upgrade(engine)
        engine.dispose()
        yield name
        _postgres_admin(f'DROP DATABASE IF EXISTS "{name}"')
        return
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = db.make_engine(f"sqlite:///{path}")
    db.upgrade(engine)
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    yield path


def _postgres_database(name: str) -> str:
    return make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)


def _postgres_admin(*statements: str) -> None:
    engine = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        for statement in statements:
            connection.exec_driver_sql(statement)
    engine.dispose()


class _PostgresClones:
    """Clones of the template database, each made while the test before it runs.

    Copying a database takes PostgreSQL a fifth of a second; made in a thread one test ahead, the copy no longer
    adds up over the suite (the server works on another core while the test runs).
    """

    def __init__(self, template: str):
        self.template = template
        self.executor = ThreadPoolExecutor(max_workers=1)
        self.next = self.executor.submit(self._clone)

    def _clone(self) -> str:
        name = f"labeler_test_{os.getpid()}_{next(_numbers)}"
        _postgres_admin(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
        return name

    def take(self) -> str:
        name = self.next.result()
        self.next = self.executor.submit(self._clone)
        return name

    def close(self) -> None:
        try:
            _postgres_admin(f'DROP DATABASE IF EXISTS "{self.next.result()}"')
        finally:
            self.executor.shutdown()


@pytest.fixture(scope="session")
def postgres_clones(migrated_template):
    if not POSTGRES_URL:
        yield None
        return
    clones = _PostgresClones(migrated_template)
    yield clones
    clones.close()


@pytest.fixture
def database_url(tmp_path, migrated_template, postgres_clones):
    if POSTGRES_URL:
        name = postgres_clones.take()
        yield _postgres_database(name)
        _postgres_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        return
    path = tmp_path / "labeler.db"
    shutil.copy(migrated_template, path)
    yield f"sqlite:///{path}"


_numbers = itertools.count()


@pytest.fixture
def app(database_url, tmp_path):
    app = create_app({
        "TESTING": True, "DATABASE_URL": database_url, "SECRET_KEY": "test-secret", "ROWS_PER_PAGE": 40,
    })
    app.instance_path = str(tmp_path / "instance")
    yield app
    app.extensions["labeler.engine"].dispose()


@pytest.fixture
def engine(database_url):
    """The test database without Flask: for service tests."""
    engine = db.make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine):
    with Session(engine, expire_on_commit=False) as session:
        yield session


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def users(session):
    """One account per role, all with ``PASSWORD``."""
    made = {role: create_user(session, role[:3] + "_user", PASSWORD, role) for role in ("admin", "reviewer", "annotator")}
    session.commit()
    return made


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html) or re.search(r'"X-CSRFToken": "([^"]+)"', html)
    assert match, "page carries no CSRF token"
    return match.group(1)


class AuthActions:
    """Log a test client in and out through the real login form, like flaskr's helper."""

    def __init__(self, client):
        self.client = client
        self.csrf = None

    def login(self, username="ann_user", password=PASSWORD):
        self.csrf = csrf_from(self.client.get("/login").text)
        response = self.client.post("/login", data={"username": username, "password": password,
                                                     "csrf_token": self.csrf})
        if response.status_code == 302:
            # Logging in starts a new session, with a new token (no session fixation).
            self.csrf = csrf_from(self.client.get("/projects/").text)
        return response

    def post(self, url, **kwargs):
        headers = {"X-CSRFToken": self.csrf, **kwargs.pop("headers", {})}
        return self.client.post(url, headers=headers, **kwargs)


@pytest.fixture
def auth(client, users):
    return AuthActions(client)


def require_seeds() -> Path:
    if not SEEDS.is_dir():
        pytest.skip("../shared/seeds is not beside the checkout")
    return SEEDS
