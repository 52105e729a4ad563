"""The HTTP API: tokens, every endpoint, every refusal; the OpenAPI file describes every route."""

import json
import re

import pytest
from click.testing import CliRunner
from sqlmodel import select

from labeler.auth import issue_token
from labeler.cli import main
from labeler.models import Annotation, Document, ExportRecord, Group, User
from tests.web.test_annotations import group  # noqa: F401 (fixture: the bridge group in 4 languages)

API = "/api/v1"
GROUP = f"{API}/projects/bridge/groups/bridge"


@pytest.fixture
def tokens(session, users, group):
    made = {role: issue_token(session, user) for role, user in users.items()}
    session.commit()
    return made


def call(client, method, url, token=None, **kwargs):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.open(url, method=method, headers=headers, **kwargs)


def en(session) -> Document:
    return session.exec(select(Document).join(Group).where(Group.key == "bridge", Document.origin == "en")).one()


def span(session, surface="Ana Ruiz", **extra) -> dict:
    document = en(session)
    start = document.text.index(surface)
    return {"document_id": document.id, "char_start": start, "char_end": start + len(surface), "surface": surface,
            "layer": "entity", "label": "PER", **extra}


def test_without_a_valid_token_every_route_is_401(client, tokens, session):
    for method, url in [("GET", f"{API}/projects"), ("GET", GROUP), ("POST", f"{GROUP}/annotations"),
                        ("PATCH", f"{GROUP}/annotations/1"), ("DELETE", f"{GROUP}/annotations/1?version=1"),
                        ("POST", f"{API}/projects/bridge/exports")]:
        for token in (None, "lbl_wrong", "not-even-a-token"):
            response = call(client, method, url, token, json={})
            assert response.status_code == 401, (method, url, token)
            assert response.json["status"] == 401 and "Bearer" in response.json["error"]
            assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_logged_in_browser_session_does_not_open_the_api(client, tokens, auth):
    auth.login()
    assert client.get(f"{API}/projects").status_code == 401  # cookies are not credentials here


def test_list_projects_and_groups(client, tokens):
    projects = call(client, "GET", f"{API}/projects", tokens["annotator"]).json["projects"]
    assert [(p["slug"], p["groups"]) for p in projects] == [("bridge", 2)]
    groups = call(client, "GET", f"{API}/projects/bridge/groups", tokens["annotator"]).json
    assert groups["total"] == 2 and [g["key"] for g in groups["groups"]] == ["bridge", "other"]
    assert [d["doc_id"] for d in groups["groups"][0]["documents"]] == ["en", "xx", "ja", "ar"]
    filtered = call(client, "GET", f"{API}/projects/bridge/groups?q=oth", tokens["annotator"]).json
    assert [g["key"] for g in filtered["groups"]] == ["other"]
    assert call(client, "GET", f"{API}/projects/bridge/groups?page=0", tokens["annotator"]).status_code == 422
    assert call(client, "GET", f"{API}/projects/nope/groups", tokens["annotator"]).status_code == 404


def test_get_a_group_with_paragraphs_alignment_and_only_your_labels(client, tokens, session):
    created = call(client, "POST", f"{GROUP}/annotations", tokens["annotator"], json=span(session))
    assert created.status_code == 201
    call(client, "POST", f"{GROUP}/annotations", tokens["reviewer"], json=span(session, "bridge", label="LOC"))
    body = call(client, "GET", GROUP, tokens["annotator"]).json
    assert body["offset_unit"] == "codepoint" and [d["doc_id"] for d in body["documents"]] == ["en", "xx", "ja", "ar"]
    english = body["documents"][0]
    assert [english["text"][p["char_start"]:p["char_end"]] for p in english["paragraphs"]] == english["text"].split("\n")
    first_row = body["rows"][0]
    assert english["paragraphs"][0]["id"] in first_row["paragraphs"] and len(first_row["paragraphs"]) == 4
    assert [(a["surface"], a["label"]) for a in body["annotations"]] == [("Ana Ruiz", "PER")]
    assert body["suggestions"] == []
    assert call(client, "GET", f"{API}/projects/bridge/groups/nope", tokens["annotator"]).status_code == 404


def test_create_update_delete_a_span(client, tokens, session):
    created = call(client, "POST", f"{GROUP}/annotations", tokens["annotator"], json=span(session))
    assert created.status_code == 201
    body = created.json
    assert (body["surface"], body["label"], body["version"]) == ("Ana Ruiz", "PER", 1)
    updated = call(client, "PATCH", f"{GROUP}/annotations/{body['id']}", tokens["annotator"],
                   json={"version": 1, "label": "ORG"})
    assert updated.status_code == 200 and updated.json["label"] == "ORG" and updated.json["version"] == 2
    stale = call(client, "PATCH", f"{GROUP}/annotations/{body['id']}", tokens["annotator"], json={"version": 1, "label": "LOC"})
    assert stale.status_code == 409 and stale.json["current"]["label"] == "ORG"
    deleted = call(client, "DELETE", f"{GROUP}/annotations/{body['id']}?version=2", tokens["annotator"])
    assert deleted.status_code == 200 and deleted.json["deleted"] is True
    session.expire_all()
    assert session.get(Annotation, body["id"]).deleted_at is not None


@pytest.mark.parametrize("payload, status, message", [
    ({"char_start": 0}, 422, "document_id"),
    ("not json", 400, "send a JSON object"),
    ({**{"document_id": 0}, "char_start": 0, "char_end": 3, "surface": "May", "layer": "entity", "label": "PER"}, 404, ""),
    ("surface", 422, "not 'Ana Ruis'"),
    ("label", 422, "is not one of this project's entity labels"),
    ("extra", 422, "Extra inputs"),
])
def test_bad_spans_are_refused_and_nothing_is_written(client, tokens, session, payload, status, message):
    if payload == "surface":
        payload = {**span(session), "surface": "Ana Ruis"}
    elif payload == "label":
        payload = span(session, label="PERSON")
    elif payload == "extra":
        payload = {**span(session), "annotator_id": 1}
    kwargs = {"data": payload, "content_type": "text/plain"} if isinstance(payload, str) else {"json": payload}
    response = call(client, "POST", f"{GROUP}/annotations", tokens["annotator"], **kwargs)
    assert response.status_code == status, response.json
    assert message in response.json["error"]
    assert session.exec(select(Annotation)).all() == []


def test_nobody_changes_anothers_span(client, tokens, session):
    body = call(client, "POST", f"{GROUP}/annotations", tokens["annotator"], json=span(session)).json
    for method, kwargs in [("PATCH", {"json": {"version": 1, "label": "ORG"}}), ("DELETE", {})]:
        url = f"{GROUP}/annotations/{body['id']}" + ("?version=1" if method == "DELETE" else "")
        assert call(client, method, url, tokens["reviewer"], **kwargs).status_code == 404
    assert call(client, "DELETE", f"{GROUP}/annotations/{body['id']}", tokens["annotator"]).status_code == 422
    session.expire_all()
    assert session.get(Annotation, body["id"]).label == "PER" and session.get(Annotation, body["id"]).deleted_at is None


def test_export_over_the_api(client, tokens, session):
    call(client, "POST", f"{GROUP}/annotations", tokens["annotator"], json=span(session))
    response = call(client, "POST", f"{API}/projects/bridge/exports", tokens["reviewer"], json={"labels": "all"})
    assert response.status_code == 200 and response.mimetype == "application/jsonl"
    lines = [json.loads(line) for line in response.data.decode().splitlines()]
    assert any(line.get("annotator") == "ann_user" and line["entities"] for line in lines)
    record = session.exec(select(ExportRecord)).one()
    assert response.headers["X-Export-SHA256"] == record.sha256
    assert json.loads(response.headers["X-Export-Counts"])["entities"] == 1
    assert call(client, "POST", f"{API}/projects/bridge/exports", tokens["annotator"]).status_code == 403
    bad = call(client, "POST", f"{API}/projects/bridge/exports", tokens["reviewer"], json={"format": "xml"})
    assert bad.status_code == 422 and "unknown format" in bad.json["error"]


def test_a_new_token_replaces_the_old_one(client, tokens, session, database_url):
    result = CliRunner().invoke(main, ["user", "token", "ann_user", "--db", database_url])
    assert result.exit_code == 0 and result.output.startswith("lbl_")
    assert call(client, "GET", f"{API}/projects", tokens["annotator"]).status_code == 401
    assert call(client, "GET", f"{API}/projects", result.output.strip()).status_code == 200
    stored = session.exec(select(User.api_token_hash).where(User.username == "ann_user")).one()
    assert result.output.strip() not in stored  # only a hash is kept
    missing = CliRunner().invoke(main, ["user", "token", "nobody", "--db", database_url])
    assert missing.exit_code != 0 and "no user named 'nobody'" in missing.output


def test_the_openapi_file_describes_every_route(client, app):
    spec = client.get(f"{API}/openapi.json")
    assert spec.status_code == 200 and spec.json["openapi"].startswith("3.1")
    documented = {(path, method.upper()) for path, item in spec.json["paths"].items() for method in item}
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api."):
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule.removeprefix(API))
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                assert (path, method) in documented, (path, method)
