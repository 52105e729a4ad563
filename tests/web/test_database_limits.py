"""Input that SQLite takes but PostgreSQL cannot store or compare gets the same clear answer on both databases.

Found by running the suite on PostgreSQL (``LABELER_TEST_DATABASE_URL``, issue #8): each of these failed there,
with a 500 or a traceback from ``labeler import``.
"""

from urllib.parse import quote, unquote

import pytest
from sqlmodel import select

from labeler import annotations
from labeler.models import Annotation, Concept, Project
from labeler.readers import ImportProblem, read_paths
from tests.web.test_annotations import BASE, annotator, create, group, span  # noqa: F401 (fixtures)
from tests.web.test_api import API, GROUP, call, tokens  # noqa: F401 (fixture)


def message(response) -> str:
    return response.json["error"] if response.is_json else unquote(response.headers.get("X-Labeler-Message", ""))


def test_ids_past_a_32_bit_integer_are_refused_not_a_crash(annotator, session):
    # PostgreSQL's INTEGER ends at 2**31 - 1 ("integer out of range"); SQLite's goes on to 2**63 - 1.
    create(annotator, session, "en", "Ana Ruiz")
    big = 2**31
    htmx = {"HX-Request": "true"}
    responses = [
        annotator.client.get(f"{BASE}/rows?after={big}", headers=htmx),
        annotator.client.get(f"{BASE}/spans?ids={big}", headers=htmx),
        annotator.client.get(f"{BASE}/concepts?annotation={big}&q=a", headers=htmx),
        annotator.post(f"{BASE}/annotations/{big}", data={"version": 1}, headers=htmx),
        annotator.post(f"{BASE}/annotations", data={**span(session, "en", "Mayor"), "document_id": big}, headers=htmx),
        annotator.post(f"{BASE}/annotations/{session.exec(select(Annotation)).one().id}", headers=htmx,
                       data={"version": 1, "concept_id": big}),
    ]
    for response in responses:
        assert response.status_code in (404, 422) and message(response), (response.request.path, response.status_code)


def test_searches_take_percent_underscore_and_backslash_as_text(annotator, session, client, tokens):
    # In LIKE, % and _ match anything, and PostgreSQL reads a backslash as an escape (a trailing one is an error).
    for query, keys in [("oth", ["other"]), ("%", []), ("_", []), ("\\", []), ("b%e", [])]:
        found = call(client, "GET", f"{API}/projects/bridge/groups?q={quote(query)}", tokens["annotator"])
        assert found.status_code == 200 and [g["key"] for g in found.json["groups"]] == keys, query
    project = session.exec(select(Project)).one()
    for name in ("Ana Ruiz", "100% Ruiz_Co", "C:\\Ruiz"):
        annotations.create_concept(session, project, "entity", name, None)
    session.commit()
    create(annotator, session, "en", "Ana Ruiz")
    mention = session.exec(select(Annotation)).one()
    for query, names in [("ruiz", {"Ana Ruiz", "100% Ruiz_Co", "C:\\Ruiz"}), ("%", {"100% Ruiz_Co"}),
                         ("_", {"100% Ruiz_Co"}), ("\\", {"C:\\Ruiz"}), ("a%z", set())]:
        found = annotator.client.get(f"{BASE}/concepts?annotation={mention.id}&q={quote(query)}")
        assert found.status_code == 200, query
        assert {name for name in ("Ana Ruiz", "100% Ruiz_Co", "C:\\Ruiz") if f"<bdi>{name}</bdi>" in found.text} == names, query


def test_nul_characters_are_refused_with_a_message_and_nothing_is_written(annotator, session, client, tokens):
    # PostgreSQL cannot hold U+0000 in text, nor take it as a parameter.
    create(annotator, session, "en", "Ana Ruiz")
    mention = session.exec(select(Annotation)).one()
    responses = [
        annotator.post(f"{BASE}/concepts", data={"annotation": mention.id, "version": 1, "name": "Ana\x00Ruiz"},
                       headers={"HX-Request": "true"}),
        annotator.post(f"{BASE}/annotations/{mention.id}", json={"version": 1, "attrs": {"note\x00": "x"}},
                       headers={"HX-Request": "true"}),
        annotator.client.get(f"{BASE}/concepts?annotation={mention.id}&q=a%00"),
        annotator.client.get("/projects/bridge%00"),
        call(client, "POST", f"{GROUP}/annotations", tokens["annotator"],
             json={**span(session, "en", "Mayor"), "attrs": {"note": "\x00"}}),
    ]
    for response in responses:
        assert response.status_code == 400 and "NUL" in message(response), (response.request.path, response.status_code)
    session.expire_all()
    assert session.exec(select(Concept)).all() == [] and session.get(Annotation, mention.id).version == 1
    assert len(session.exec(select(Annotation)).all()) == 1


def test_imports_holding_a_nul_escape_are_refused_naming_the_file(tmp_path):
    jsonl = tmp_path / "nul.jsonl"
    jsonl.write_text('{"group": "g", "doc_id": "en", "lang": "en", "title": "T\\u0000", "text": "Hello."}\n')
    folder = tmp_path / "g1"
    folder.mkdir()
    (folder / "en.txt").write_text("Hello there.\n")
    (folder / "group.json").write_text('{"name": "N\\u0000"}')
    for path, where in [(jsonl, "nul.jsonl, line 1"), (folder, "group.json")]:
        with pytest.raises(ImportProblem, match="NUL") as error:
            read_paths([path])
        assert where in str(error.value)
