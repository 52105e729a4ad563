"""Annotation over HTTP: create, edit, delete, undo and redo; concepts and counterparts; every bad input refused."""

import json
from urllib.parse import unquote

import pytest
from sqlmodel import select

from labeler.auth import create_user
from labeler.ingest import import_documents
from labeler.models import Annotation, Concept, Document, Event, Group, Project
from labeler.readers import read_paths
from tests.conftest import PASSWORD, AuthActions

# Our own test sentences: Latin, emoji (a ZWJ family and a flag are one character on screen, several code
# points), a combining mark that NFC cannot compose (n + U+0308), Japanese, Arabic.
TEXTS = {
    "en": "Mayor Ana Ruiz opened the bridge in Port Elin.\nIt cost 40 million euros.",
    "xx": "Ana 👨‍👩‍👧 waved at Port Elin 🇵🇹 and the Spın̈al band.\nIt cost 40 million euros 🎉.",
    "ja": "アナ・ルイス市長がポートエリンの橋を開通させた。\n費用は4000万ユーロだった。",
    "ar": "افتتحت رئيسة البلدية آنا رويز الجسر في بورت إلين.\nبلغت التكلفة 40 مليون يورو.",
}


@pytest.fixture
def group(session, tmp_path):
    path = tmp_path / "bridge.jsonl"
    lines = [{"group": "bridge", "doc_id": name, "lang": "en" if name == "xx" else name, "text": text,
              "role": "source" if name == "en" else "translation"} for name, text in TEXTS.items()]
    lines.append({"group": "other", "doc_id": "en", "lang": "en", "text": "Another group entirely."})
    path.write_text("\n".join(json.dumps(line, ensure_ascii=False) for line in lines) + "\n", encoding="utf-8")
    import_documents(session, "Bridge", read_paths([path]))
    return session.exec(select(Group).where(Group.key == "bridge")).one()


@pytest.fixture
def annotator(auth, group):
    auth.login()
    return auth


BASE = "/projects/bridge/groups/bridge"


def doc(session, name: str, group_key: str = "bridge") -> Document:
    return session.exec(select(Document).join(Group).where(Group.key == group_key, Document.origin == name)).one()


def span(session, name: str, surface: str, **fields) -> dict:
    """Form fields for a span on the first occurrence of ``surface`` (code-point offsets, as the page sends)."""
    document = doc(session, name)
    start = document.text.index(surface)
    return {"document_id": document.id, "char_start": start, "char_end": start + len(surface), "surface": surface,
            "layer": "entity", "label": "PER", **fields}


def live(session) -> list[Annotation]:
    session.expire_all()
    return list(session.exec(select(Annotation).where(Annotation.deleted_at == None)))  # noqa: E711


def message(response) -> str:
    return unquote(response.headers.get("X-Labeler-Message", ""))


def create(auth, session, name, surface, **fields):
    return auth.post(f"{BASE}/annotations", data=span(session, name, surface, **fields), headers={"HX-Request": "true"})


def test_creating_a_span_answers_with_the_paragraph_highlighted(annotator, session):
    response = create(annotator, session, "en", "Ana Ruiz")
    assert response.status_code == 201
    (annotation,) = live(session)
    assert (annotation.surface, annotation.label, annotation.origin) == ("Ana Ruiz", "PER", "human")
    assert annotation.annotator_id is not None
    assert f'data-spans="{annotation.id}"' in response.text and 'hx-swap-oob="outerHTML"' in response.text
    assert ">Ana Ruiz</span>" in response.text
    assert json.loads(response.headers["HX-Trigger"])["labeler:saved"] == {"message": "Saved PER", "span": annotation.id}
    assert response.headers["HX-Reswap"] == "none"
    event = session.exec(select(Event).where(Event.action == "annotation.create")).one()
    assert event.after["surface"] == "Ana Ruiz" and event.before is None


@pytest.mark.parametrize("name, surface", [
    ("xx", "👨‍👩‍👧"),  # emoji sequence: 5 code points, 8 UTF-16 units
    ("xx", "🇵🇹"),
    ("xx", "Spın̈al"),  # combining mark stays a separate code point
    ("xx", "Port Elin"),  # after the emoji: offsets counted in code points
    ("ja", "ポートエリン"),
    ("ar", "آنا رويز"),
])
def test_spans_on_emoji_combining_marks_cjk_and_right_to_left_text(annotator, session, name, surface):
    response = create(annotator, session, name, surface)
    assert response.status_code == 201, message(response)
    (annotation,) = live(session)
    document = doc(session, name)
    assert document.text[annotation.char_start:annotation.char_end] == surface


def test_utf16_offsets_are_refused_with_a_message_that_says_code_points(annotator, session):
    fields = span(session, "xx", "Port Elin")
    utf16_start = len(doc(session, "xx").text[:fields["char_start"]].encode("utf-16-le")) // 2
    fields.update(char_start=utf16_start, char_end=utf16_start + len("Port Elin"))
    response = annotator.post(f"{BASE}/annotations", data=fields, headers={"HX-Request": "true"})
    assert response.status_code == 422
    assert "code points" in message(response)
    assert live(session) == []


def _bad(session, change):
    fields = span(session, "en", "Ana Ruiz")
    change(fields, session)
    return fields


BAD_INPUT = {
    "wrong surface": (lambda f, s: f.update(surface="Ana Ruis"), 422, "not 'Ana Ruis'"),
    "past the end": (lambda f, s: f.update(char_start=70, char_end=900, surface="x"), 422, "past the end"),
    "negative start": (lambda f, s: f.update(char_start=-1), 422, "char_start"),
    "reversed": (lambda f, s: f.update(char_start=f["char_end"], char_end=f["char_start"]), 422, "reversed"),
    "empty": (lambda f, s: f.update(char_end=f["char_start"]), 422, "char_end"),
    "not a number": (lambda f, s: f.update(char_start="ten"), 422, "char_start"),
    "unknown label": (lambda f, s: f.update(label="PERSON"), 422, "'PERSON' is not one of this project's entity labels"),
    "unknown layer": (lambda f, s: f.update(layer="sentiment"), 422, "unknown layer"),
    "unknown severity": (lambda f, s: f.update(layer="error", label="Terminology", severity="huge"), 422,
                         "unknown severity"),
    "severity on an entity": (lambda f, s: f.update(severity="major"), 422, "only translation errors"),
    "unknown claim attribute": (lambda f, s: f.update(layer="claim", label="CLAIM", attrs='{"colour": "red"}'),
                                422, "unknown claim attribute"),
    "bad claim choice": (lambda f, s: f.update(layer="claim", label="CLAIM", attrs='{"claim_type": "gossip"}'),
                         422, "claim_type must be one of"),
    "attrs not JSON": (lambda f, s: f.update(attrs="{oops"), 422, "attrs must be a JSON object"),
    "oversized attrs": (lambda f, s: f.update(layer="claim", label="CLAIM",
                                              attrs=json.dumps({"note": "x" * 5000})), 422, "4096 bytes"),
    "across paragraphs": (lambda f, s: f.update(char_start=40, char_end=55, surface=doc(s, "en").text[40:55]), 422,
                          "inside one paragraph"),
    "missing field": (lambda f, s: f.pop("surface"), 422, "surface"),
    "document of another group": (lambda f, s: f.update(document_id=doc(s, "en", "other").id), 404,
                                  "not in this group"),
    "unknown document": (lambda f, s: f.update(document_id=99999), 404, "not in this group"),
}


@pytest.mark.parametrize("problem", BAD_INPUT)
def test_bad_spans_get_a_clear_4xx_and_change_nothing(annotator, session, problem):
    change, status, expected = BAD_INPUT[problem]
    fields = _bad(session, change)
    response = annotator.post(f"{BASE}/annotations", data=fields, headers={"HX-Request": "true"})
    assert response.status_code == status, response.text
    assert expected in message(response)
    assert live(session) == []
    assert session.exec(select(Event).where(Event.action.like("annotation.%"))).all() == []


def test_the_same_span_twice_is_refused(annotator, session):
    assert create(annotator, session, "en", "Ana Ruiz").status_code == 201
    response = create(annotator, session, "en", "Ana Ruiz")
    assert response.status_code == 409 and "already have" in message(response)
    assert create(annotator, session, "en", "Ana Ruiz", label="ORG").status_code == 201  # a second label is fine


def test_writes_need_a_csrf_token_and_a_login(client, annotator, session):
    fields = span(session, "en", "Ana Ruiz")
    assert client.post(f"{BASE}/annotations", data=fields).status_code == 400
    client.post("/logout", data={"csrf_token": annotator.csrf})
    response = client.post(f"{BASE}/annotations", data=fields, headers={"X-CSRFToken": annotator.csrf})
    assert response.status_code in (302, 400, 401)
    assert live(session) == []


def test_json_bodies_work_too(annotator, session):
    response = annotator.post(f"{BASE}/annotations", json=span(session, "en", "Port Elin", label="LOC"))
    assert response.status_code == 201
    assert live(session)[0].label == "LOC"


def _update(auth, annotation, **fields):
    return auth.post(f"{BASE}/annotations/{annotation.id}", data={"version": annotation.version, **fields},
                     headers={"HX-Request": "true"})


def test_editing_label_severity_and_claim_attributes(annotator, session):
    create(annotator, session, "en", "Ana Ruiz")
    create(annotator, session, "en", "40 million euros", layer="error", label="Accuracy/Mistranslation",
           severity="minor")
    create(annotator, session, "en", "It cost 40 million euros", layer="claim", label="CLAIM")
    entity, error, claim = sorted(live(session), key=lambda a: a.id)

    response = _update(annotator, entity, label="ORG")
    assert response.status_code == 200 and 'id="editor"' in response.text
    response = _update(annotator, error, severity="critical")
    assert response.status_code == 200
    response = _update(annotator, claim, attr_check_worthy="yes", attr_claim_type="numeric", attr_note="<b>sure?</b>")
    assert response.status_code == 200
    assert "&lt;b&gt;sure?&lt;/b&gt;" in response.text and "<b>sure?</b>" not in response.text

    session.expire_all()
    assert session.get(Annotation, entity.id).label == "ORG"
    assert session.get(Annotation, error.id).attrs == {"severity": "critical"}
    assert session.get(Annotation, claim.id).attrs == {"check_worthy": "yes", "claim_type": "numeric",
                                                       "note": "<b>sure?</b>"}
    assert session.get(Annotation, entity.id).version == 2


def test_a_stale_edit_gets_409_and_the_current_span(annotator, session):
    create(annotator, session, "en", "Ana Ruiz")
    (annotation,) = live(session)
    assert _update(annotator, annotation, label="ORG").status_code == 200
    response = _update(annotator, annotation, label="LOC")  # still version 1
    assert response.status_code == 409
    assert "changed elsewhere" in message(response)
    assert 'id="editor"' in response.text and '<option value="ORG" selected>' in response.text
    session.expire_all()
    assert session.get(Annotation, annotation.id).label == "ORG"
    stale_delete = annotator.post(f"{BASE}/annotations/{annotation.id}/delete", data={"version": 1})
    assert stale_delete.status_code == 409 and len(live(session)) == 1


def test_nobody_edits_or_deletes_another_annotators_span(annotator, client, session, group):
    create(annotator, session, "en", "Ana Ruiz")
    (annotation,) = live(session)
    create_user(session, "other", PASSWORD, "annotator")
    session.commit()
    client.post("/logout", data={"csrf_token": annotator.csrf})
    other = AuthActions(client)
    other.login("other")
    assert _update(other, annotation, label="ORG").status_code == 404
    assert other.post(f"{BASE}/annotations/{annotation.id}/delete", data={"version": 1}).status_code == 404
    assert other.post(f"{BASE}/undo").headers["HX-Trigger"].count("Nothing to undo") == 1
    assert client.get(f"{BASE}/spans?ids={annotation.id}").status_code == 404
    page = client.get(BASE).text
    assert f'data-spans="{annotation.id}"' not in page  # labels belong to their annotator
    session.expire_all()
    assert session.get(Annotation, annotation.id).label == "PER" and len(live(session)) == 1


@pytest.mark.parametrize("fields, status, expected", [
    ({"label": "Accuracy/Omission"}, 422, "not one of this project's entity labels"),
    ({"version": "x"}, 422, "version"),
    ({"concept_id": 99999}, 404, "no concept"),
    ({"counterpart_id": 99999}, 404, "no span 99999"),
])
def test_bad_edits_are_refused(annotator, session, fields, status, expected):
    create(annotator, session, "en", "Ana Ruiz")
    (annotation,) = live(session)
    response = annotator.post(f"{BASE}/annotations/{annotation.id}", data={"version": 1, **fields})
    assert response.status_code == status and expected in message(response)
    session.expire_all()
    assert session.get(Annotation, annotation.id).version == 1


def test_delete_undo_redo_walk_the_annotators_own_history(annotator, session):
    create(annotator, session, "en", "Ana Ruiz")
    (annotation,) = live(session)
    _update(annotator, annotation, label="ORG")
    response = annotator.post(f"{BASE}/annotations/{annotation.id}/delete", data={"version": 2})
    assert response.status_code == 200 and f'data-spans="{annotation.id}"' not in response.text
    assert live(session) == []

    response = annotator.post(f"{BASE}/undo")
    assert f'data-spans="{annotation.id}"' in response.text
    assert [a.label for a in live(session)] == ["ORG"]
    annotator.post(f"{BASE}/undo")
    assert [a.label for a in live(session)] == ["PER"]
    annotator.post(f"{BASE}/undo")
    assert live(session) == []
    assert "Nothing to undo" in annotator.post(f"{BASE}/undo").headers["HX-Trigger"]

    annotator.post(f"{BASE}/redo")
    assert [a.label for a in live(session)] == ["PER"]
    annotator.post(f"{BASE}/redo")
    assert [a.label for a in live(session)] == ["ORG"]
    # A new change ends the redo chain.
    create(annotator, session, "en", "Port Elin", label="LOC")
    assert "Nothing to redo" in annotator.post(f"{BASE}/redo").headers["HX-Trigger"]
    session.expire_all()
    assert session.exec(select(Event).where(Event.action == "annotation.delete")).one().before["label"] == "ORG"


def test_an_error_updates_the_mqm_figure_and_links_a_counterpart(annotator, session):
    response = create(annotator, session, "xx", "40 million euros", layer="error", label="Accuracy/Mistranslation",
                      severity="major")
    assert response.status_code == 201
    assert "MQM 5" in response.text
    create(annotator, session, "en", "40 million euros", layer="entity", label="MONEY")
    error, money = sorted(live(session), key=lambda a: a.id)
    assert _update(annotator, error, counterpart_id=money.id).status_code == 200
    session.expire_all()
    assert session.get(Annotation, error.id).counterpart_id == money.id
    same_document = create(annotator, session, "xx", "Port Elin", label="LOC")
    assert same_document.status_code == 201
    location = [a for a in live(session) if a.label == "LOC"][0]
    response = _update(annotator, session.get(Annotation, error.id), counterpart_id=location.id)
    assert response.status_code == 422 and "another document" in message(response)


def test_concepts_link_mentions_across_languages(annotator, session):
    create(annotator, session, "en", "Ana Ruiz")
    create(annotator, session, "ar", "آنا رويز")
    english, arabic = sorted(live(session), key=lambda a: a.id)
    response = annotator.post(f"{BASE}/concepts", data={"annotation": english.id, "version": 1,
                                                        "name": "Ana Ruiz", "kb_id": "Q000001"})
    assert response.status_code == 200
    concept = session.exec(select(Concept)).one()
    assert (concept.kind, concept.kb_id) == ("entity", "Q000001")
    found = annotator.client.get(f"{BASE}/concepts?annotation={arabic.id}&q=ruiz")
    assert "Ana Ruiz" in found.text and "Q000001" in found.text
    assert _update(annotator, arabic, concept_id=concept.id).status_code == 200
    session.expire_all()
    assert session.get(Annotation, arabic.id).concept_id == concept.id

    page = annotator.client.get(BASE).text
    assert page.count(f'data-concepts="{concept.id}"') == 2
    panel = annotator.client.get(f"{BASE}/concept-panel").text
    assert "Ana Ruiz" in panel and "آنا رويز" in panel
    assert "No mention in" in panel and ">ja<" in panel  # the languages without a mention are named

    no_name = annotator.post(f"{BASE}/concepts", data={"annotation": english.id, "version": 2, "name": "  "})
    assert no_name.status_code == 422 and session.exec(select(Concept)).all() == [concept]


def test_the_picker_offers_the_projects_labels_with_keys(annotator, session):
    response = annotator.client.get(f"{BASE}/picker?layer=error")
    assert 'data-key="1"' in response.text and "Accuracy/Mistranslation" in response.text
    assert 'value="major" checked' in response.text
    assert annotator.client.get(f"{BASE}/picker?layer=mood").status_code == 422


def test_project_labels_come_from_the_project_schema(annotator, session):
    project = session.exec(select(Project)).one()
    schema = dict(project.label_schema)
    schema["entity"] = {"labels": ["SHIP", "PORT"]}
    project.label_schema = schema
    session.add(project)
    session.commit()
    assert "SHIP" in annotator.client.get(f"{BASE}/picker?layer=entity").text
    assert create(annotator, session, "en", "Port Elin", label="PORT").status_code == 201
    assert create(annotator, session, "en", "Ana Ruiz", label="PER").status_code == 422


@pytest.mark.parametrize("action", ["edit", "delete"])
def test_of_two_saves_from_the_same_version_the_second_gets_409_instead_of_overwriting(annotator, session, app,
                                                                                      action):
    # Two tabs hold the span at version 1. The other tab's save lands between this save's read and its write; the
    # version must be checked in the write itself, or this save silently undoes the other (a lost update).
    from sqlalchemy import event

    create(annotator, session, "en", "Ana Ruiz")
    (span,) = live(session)
    engine = app.extensions["labeler.engine"]
    raced = []

    def other_tab_saves_first(_connection, _cursor, statement, _parameters, _context, _executemany):
        if statement.lstrip().startswith("UPDATE annotation") and not raced:
            raced.append(statement)
            with engine.connect() as other:
                other.exec_driver_sql("UPDATE annotation SET label = 'ORG', version = 2 WHERE id = %d" % span.id)
                other.commit()

    event.listen(engine, "before_cursor_execute", other_tab_saves_first)
    try:
        url = f"{BASE}/annotations/{span.id}" + ("/delete" if action == "delete" else "")
        response = annotator.post(url, data={"version": 1, "label": "LOC"}, headers={"HX-Request": "true"})
    finally:
        event.remove(engine, "before_cursor_execute", other_tab_saves_first)
    assert raced, "the save wrote nothing"
    assert response.status_code == 409
    assert "changed elsewhere" in message(response)
    (now,) = live(session)
    assert (now.label, now.version, now.deleted_at) == ("ORG", 2, None)
    assert 'value="2"' in response.text  # the editor it answers with holds the span as it is now
