"""The command line: import, users, database upgrade, demo."""

import json

import pytest
from click.testing import CliRunner
from sqlmodel import select

from labeler.cli import main
from labeler.models import Document, User
from tests.conftest import DATA


def invoke(database_url, *args, input=None):
    return CliRunner().invoke(main, [*args, "--db", database_url], input=input, catch_exceptions=False)


def test_import_prints_a_summary(database_url, session):
    result = invoke(database_url, "import", str(DATA / "seedlike"), "--project", "News")
    assert result.exit_code == 0, result.output
    assert "5 new documents" in result.output
    assert len(session.exec(select(Document)).all()) == 5


def test_import_error_names_file_and_line_and_imports_nothing(database_url, session, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"group": "g", "doc_id": "a", "text": "fine text here"}) + "\n{oops\n")
    result = invoke(database_url, "import", str(DATA / "seedlike"), str(bad), "--project", "News")
    assert result.exit_code == 1
    assert f"{bad}, line 2: not valid JSON" in result.output
    assert "Nothing was imported" in result.output
    assert session.exec(select(Document)).all() == []


def test_user_add_reads_the_password_from_stdin(database_url, session):
    result = invoke(database_url, "user", "add", "maria", "--role", "reviewer", input="s3cret-pass\n")
    assert result.exit_code == 0, result.output
    user = session.exec(select(User).where(User.username == "maria")).one()
    assert user.role == "reviewer" and "s3cret-pass" not in user.password_hash


def test_user_add_refuses_duplicates_and_short_passwords(database_url):
    assert invoke(database_url, "user", "add", "maria", input="s3cret-pass\n").exit_code == 0
    again = invoke(database_url, "user", "add", "maria", input="s3cret-pass\n")
    assert again.exit_code == 1 and "already exists" in again.output
    short = invoke(database_url, "user", "add", "li", input="x\n")
    assert short.exit_code == 1 and "at least" in short.output


def test_db_upgrade_creates_a_fresh_database(tmp_path):
    url = f"sqlite:///{tmp_path / 'new.db'}"
    result = invoke(url, "db", "upgrade")
    assert result.exit_code == 0 and "latest schema" in result.output


def test_a_database_url_with_a_percent_escape_upgrades(tmp_path):
    # A folder named with a % (or a PostgreSQL password written %40 in its URL) once stopped every command: Alembic's
    # configuration read the URL's % as the start of an interpolation.
    folder = tmp_path / "100% labels"
    folder.mkdir()
    result = invoke(f"sqlite:///{folder / 'new.db'}", "db", "upgrade")
    assert result.exit_code == 0 and "latest schema" in result.output, result.output


def test_demo_builds_its_corpus_and_account(tmp_path):
    path = tmp_path / "demo.db"
    result = CliRunner().invoke(main, ["demo", "--path", str(path), "--no-serve"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "log in as 'demo'" in result.output
    from labeler.db import make_engine
    from sqlmodel import Session

    with Session(make_engine(f"sqlite:///{path}")) as session:
        langs = {d.lang for d in session.exec(select(Document))}
        assert {"ar", "he"} & langs and len(langs) >= 4
        assert any(d.role == "comparable" for d in session.exec(select(Document)))
        # Two annotators have labelled the demo group: the review page has places that wait for a decision.
        from labeler import adjudication
        from labeler.models import Group

        group = session.exec(select(Group)).one()
        assert adjudication.annotators_of(session, group) == ["ana", "ben"]
        waiting, total = adjudication.disputed_count(session, group)
        assert 0 < waiting < total


def test_align_realigns_and_refuses_unknown_names(database_url):
    assert invoke(database_url, "import", str(DATA / "seedlike"), "--project", "News").exit_code == 0
    result = invoke(database_url, "align", "--project", "News")
    assert result.exit_code == 0 and "aligned 1 group(s)" in result.output
    assert "no project named" in invoke(database_url, "align", "--project", "Nope").output
    assert "no group 'x'" in invoke(database_url, "align", "--project", "News", "--group", "x").output


def test_align_realigns_and_names_a_missing_group(database_url, session):
    assert invoke(database_url, "import", str(DATA / "seedlike"), "--project", "News").exit_code == 0
    result = invoke(database_url, "align", "--project", "News")
    assert result.exit_code == 0 and "confirmed rows kept" in result.output
    missing = CliRunner().invoke(main, ["align", "--project", "News", "--group", "zz", "--db", database_url])
    assert missing.exit_code != 0 and "no group 'zz' in project 'News'" in missing.output


def test_agreement_between_two_annotators(database_url, session, tmp_path):
    import json

    from labeler import annotations
    from labeler.auth import create_user
    from labeler.models import Document, Group, Project
    from sqlmodel import select
    path = tmp_path / "two.jsonl"
    path.write_text(json.dumps({"group": "g", "doc_id": "en", "lang": "en", "text": "Ana Ruiz met Ben Cole in Lyon."})
                    + "\n", encoding="utf-8")
    assert invoke(database_url, "import", str(path), "--project", "Agree").exit_code == 0
    missing = invoke(database_url, "agreement", "--project", "Agree")
    assert missing.exit_code != 0 and "at least two annotators" in missing.output
    project = session.exec(select(Project)).one()
    group = session.exec(select(Group)).one()
    document = session.exec(select(Document)).one()
    people = [create_user(session, name, "secret-pass") for name in ("ana", "ben")]
    for who, marks in zip(people, [[("Ana Ruiz", "PER"), ("Lyon", "LOC")], [("Ana Ruiz", "PER"), ("Lyon", "ORG")]]):
        for surface, label in marks:
            start = document.text.index(surface)
            annotations.create(session, project, group, who.id, {
                "document_id": document.id, "char_start": start, "char_end": start + len(surface), "surface": surface,
                "layer": "entity", "label": label})
    session.commit()
    result = json.loads(invoke(database_url, "agreement", "--project", "Agree", "--format", "json").output)
    (pair,) = result["pairs"]
    # Both marked the same two places: span F1 1.0. Labels (PER, PER) and (LOC, ORG): observed 1/2, expected
    # (1·1 + 1·0)/4 = 1/4, kappa = (1/2 − 1/4)/(1 − 1/4) = 1/3.
    assert pair["layers"]["entity"]["exact_f1"] == 1.0 and pair["layers"]["entity"]["kappa"] == 0.3333
    table = invoke(database_url, "agreement", "--project", "Agree").output
    assert "entity: 4 spans; F1 exact 1.000, overlapping 1.000; kappa 0.333" in table
    assert "  ana       —   1.000" in table


def test_user_list_set_role_and_reset_password(database_url, session):
    from labeler.auth import authenticate
    assert invoke(database_url, "user", "add", "boss", "--role", "admin", input="boss-pass\n").exit_code == 0
    assert invoke(database_url, "user", "add", "ana", input="old-pass\n").exit_code == 0
    listed = invoke(database_url, "user", "list").output.splitlines()
    assert listed == ["ana\tannotator\t-", "boss\tadmin\t-"]
    assert invoke(database_url, "user", "set-role", "ana", "reviewer").output.strip() == "'ana' is now reviewer"
    last = CliRunner().invoke(main, ["user", "set-role", "boss", "annotator", "--db", database_url])
    assert last.exit_code != 0 and "last admin" in last.output
    assert CliRunner().invoke(main, ["user", "set-role", "zoe", "admin", "--db", database_url]).exit_code != 0
    assert invoke(database_url, "user", "reset-password", "ana", input="new-pass\n").exit_code == 0
    session.expire_all()
    assert authenticate(session, "ana", "new-pass") is not None and authenticate(session, "ana", "old-pass") is None
    short = CliRunner().invoke(main, ["user", "reset-password", "ana", "--db", database_url], input="x\n")
    assert short.exit_code != 0 and "at least" in short.output


@pytest.mark.parametrize("url, says", [
    ("nonsense://x", "Can't load plugin"),
    ("sqlite:////nonexistent-folder/labeler.db", "unable to open database file"),
    ("postgresql+psycopg://ana:secret@127.0.0.1:1/labeler", "ana:***@127.0.0.1:1"),
])
@pytest.mark.parametrize("command", [["export", "--project", "News"], ["import", "--project", "News", "."]])
def test_a_database_that_cannot_be_opened_is_one_clear_line(url, says, command):
    # A malformed URL or a database out of reach printed a SQLAlchemy traceback (and a URL's password with it).
    result = CliRunner().invoke(main, [*command, "--db", url])
    assert result.exit_code == 1
    assert result.output.startswith("Error: cannot open the database ") and says in result.output
    assert "Traceback" not in result.output and "secret" not in result.output
