"""A project's labels and MQM weights: admins edit them, everyone else reads them, labels in use stay."""

import json
import re
from html import unescape

from sqlmodel import select

from labeler.models import Event, Project
from labeler.schema import fingerprint, schema_fields
from tests.web.test_annotations import BASE, create, group, live, message  # noqa: F401, F811 (group: a fixture)

URL = "/projects/bridge/labels"


def project(session) -> Project:
    session.expire_all()
    return session.exec(select(Project)).one()


def form(session, **changes) -> dict:
    current = project(session).label_schema
    return {**schema_fields(current), "fingerprint": fingerprint(current), **changes}


def save(auth, session, htmx=True, **changes):
    headers = {"HX-Request": "true"} if htmx else {}
    return auth.post(URL, data=form(session, **changes), headers=headers)


def textarea(html: str, name: str) -> str:
    return unescape(re.search(rf'<textarea id="{name}"[^>]*>(.*?)</textarea>', html, re.S).group(1))


def test_an_admin_sees_the_labels_in_a_form(auth, group):
    auth.login("adm_user")
    page = auth.client.get(URL)
    assert page.status_code == 200
    assert textarea(page.text, "entity_labels").splitlines()[:3] == ["PER", "ORG", "LOC"]
    assert "Fluency/Punctuation | minor | 0.1" in textarea(page.text, "weight_overrides")
    assert "Save labels" in page.text
    assert 'href="/projects/bridge/labels"' in auth.client.get("/projects/bridge").text


def test_others_read_the_labels_but_cannot_change_them(auth, group, session):
    auth.login("ann_user")
    page = auth.client.get(URL)
    assert page.status_code == 200 and "readonly" in page.text and "Save labels" not in page.text
    before = project(session).label_schema
    response = save(auth, session, entity_labels="GENE")
    assert response.status_code == 403 and "Only an admin" in message(response)
    assert project(session).label_schema == before


def test_an_admin_adds_a_label_and_annotators_can_use_it(auth, group, session):
    auth.login("adm_user")
    response = save(auth, session, entity_labels=schema_fields(project(session).label_schema)["entity_labels"] + "\nGENE")
    assert response.status_code == 200
    assert response.text.startswith('<form id="label-form"')  # the fragment, swapped in place
    assert json.loads(response.headers["HX-Trigger"])["labeler:saved"]["message"] == "Labels saved"
    assert project(session).label_schema["entity"]["labels"][-1] == "GENE"
    event = session.exec(select(Event).where(Event.object_type == "label_schema")).one()
    assert "GENE" not in event.before["entity"]["labels"] and "GENE" in event.after["entity"]["labels"]

    picker = auth.client.get(f"{BASE}/picker?layer=entity", headers={"HX-Request": "true"})
    assert re.search(r'class="pick layer-entity ent-c\d" data-label="GENE" data-key="a"', picker.text)
    assert create(auth, session, "en", "Ana Ruiz", label="GENE").status_code == 201


def test_a_label_in_use_is_not_removed(auth, group, session):
    auth.login("adm_user")
    assert create(auth, session, "en", "Ana Ruiz", label="PER").status_code == 201
    before = project(session).label_schema
    response = save(auth, session, entity_labels="ORG\nLOC")
    assert response.status_code == 422
    assert "1 entity span uses the label &#39;PER&#39;: relabel or delete it" in response.text
    assert message(response).startswith("Nothing was saved: 1 entity span uses the label 'PER'")
    assert textarea(response.text, "entity_labels") == "ORG\nLOC"  # the person's edit is kept to fix
    assert project(session).label_schema == before


def test_an_edit_over_a_newer_edit_is_refused(auth, group, session):
    auth.login("adm_user")
    stale = form(session, entity_labels="PER\nORG")
    assert save(auth, session, entity_labels="PER\nORG\nLOC").status_code == 200
    response = auth.post(URL, data=stale, headers={"HX-Request": "true"})
    assert response.status_code == 422 and "Someone changed these labels" in response.text
    assert project(session).label_schema["entity"]["labels"] == ["PER", "ORG", "LOC"]


def test_without_htmx_a_save_redirects_and_says_so(auth, group, session):
    auth.login("adm_user")
    response = save(auth, session, htmx=False, entity_labels="PER\nORG")
    assert response.status_code == 303 and response.location.endswith(URL)
    assert "Labels saved." in auth.client.get(URL).text


def test_a_save_needs_the_csrf_token(auth, group, session):
    auth.login("adm_user")
    response = auth.client.post(URL, data=form(session, entity_labels="GENE"))
    assert response.status_code == 400
    assert "GENE" not in project(session).label_schema["entity"]["labels"]


def test_new_weights_change_the_mqm_figures(auth, group, session):
    auth.login("adm_user")
    assert create(auth, session, "en", "bridge", layer="error", label="Accuracy/Mistranslation",
                  severity="major").status_code == 201
    assert re.search(r">MQM 5 ·", auth.client.get(BASE).text)
    assert save(auth, session, weight_major="3").status_code == 200
    assert re.search(r">MQM 3 ·", auth.client.get(BASE).text)


def test_undo_does_not_bring_back_a_removed_label(auth, group, session):
    auth.login("adm_user")
    created = create(auth, session, "en", "Ana Ruiz", label="MISC")
    span_id = json.loads(created.headers["HX-Trigger"])["labeler:saved"]["span"]
    assert auth.post(f"{BASE}/annotations/{span_id}/delete", data={"version": 1},
                     headers={"HX-Request": "true"}).status_code == 200
    labels = [label for label in project(session).label_schema["entity"]["labels"] if label != "MISC"]
    assert save(auth, session, entity_labels="\n".join(labels)).status_code == 200
    response = auth.post(f"{BASE}/undo", headers={"HX-Request": "true"})
    assert response.status_code == 409 and "'MISC' was removed from this project's entity labels" in message(response)
    assert live(session) == []


def test_an_unknown_project_is_404(auth, group):
    auth.login("adm_user")
    assert auth.client.get("/projects/nope/labels").status_code == 404
