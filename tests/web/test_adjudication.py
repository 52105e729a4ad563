"""Adjudication: agreed places go into the gold set in advance; a reviewer decides the rest."""

import io
import json

import pytest
from click.testing import CliRunner
from sqlmodel import select

from labeler import adjudication, annotations
from labeler.annotations import SpanError
from labeler.auth import create_user
from labeler.cli import main
from labeler.export import export
from labeler.models import Annotation, Document, Group, Project
from tests.conftest import PASSWORD
from tests.web.test_annotations import group  # noqa: F401 (fixture)


def mark(session, user, surface, label, layer="entity", **extra):
    project = session.exec(select(Project)).one()
    bridge = session.exec(select(Group).where(Group.key == "bridge")).one()
    document = session.exec(select(Document).where(Document.group_id == bridge.id, Document.origin == "en")).one()
    start = document.text.index(surface)
    return annotations.create(session, project, bridge, user.id, {
        "document_id": document.id, "char_start": start, "char_end": start + len(surface), "surface": surface,
        "layer": layer, "label": label, **extra})


@pytest.fixture
def two(session, group):
    ana, ben = create_user(session, "ana", PASSWORD), create_user(session, "ben", PASSWORD)
    reviewer = create_user(session, "rita", PASSWORD, "reviewer")
    mark(session, ana, "Ana Ruiz", "PER")
    mark(session, ben, "Ana Ruiz", "PER")            # agreed
    mark(session, ana, "Port Elin", "LOC")
    mark(session, ben, "Port Elin", "ORG")           # disputed label
    mark(session, ana, "40 million euros", "MONEY")  # only one annotator
    session.commit()
    return {"ana": ana, "ben": ben, "rita": reviewer, "group": group}


def gold(session):
    session.expire_all()
    return sorted((a.surface, a.label, a.status, a.decision) for a in session.exec(
        select(Annotation).where(Annotation.annotator_id == None, Annotation.deleted_at == None)))  # noqa: E711


def test_premerge_puts_unanimous_places_into_gold_once(session, two):
    assert adjudication.premerge(session, two["group"]) == 1
    assert gold(session) == [("Ana Ruiz", "PER", "accepted", "unanimous")]
    assert adjudication.premerge(session, two["group"]) == 0
    assert adjudication.disputed_count(session, two["group"]) == (2, 3)


def test_a_reviewer_accepts_one_label_then_changes_their_mind(session, two):
    places = {p.surface: p for p in adjudication.places(session, two["group"])}
    port = places["Port Elin"]
    assert not port.agreed and set(port.votes) == {"ana", "ben"}
    adjudication.decide(session, two["group"], two["rita"], port.votes["ben"][0].id, accept=True)
    assert gold(session) == [("Port Elin", "ORG", "accepted", "accepted")]
    adjudication.decide(session, two["group"], two["rita"], port.votes["ana"][0].id, accept=True)
    assert gold(session) == [("Port Elin", "LOC", "accepted", "accepted")]  # the earlier decision is replaced
    money = places["40 million euros"]
    adjudication.decide(session, two["group"], two["rita"], money.votes["ana"][0].id, accept=False)
    assert ("40 million euros", "MONEY", "rejected", "rejected") in gold(session)
    session.commit()
    out = io.BytesIO()
    export(session, session.exec(select(Project)).one(), out)
    english = next(line for line in map(json.loads, out.getvalue().decode().splitlines()) if line["doc_id"] == "en")
    assert [(e["surface"], e["label"], e["decided_by"]) for e in english["entities"]] == [("Port Elin", "LOC", "rita")]


def test_only_reviewers_decide_and_only_annotators_spans(session, two):
    places = {p.surface: p for p in adjudication.places(session, two["group"])}
    with pytest.raises(SpanError, match="only reviewers"):
        adjudication.decide(session, two["group"], two["ana"], places["Port Elin"].votes["ben"][0].id, True)
    with pytest.raises(SpanError, match="no annotator's span"):
        adjudication.decide(session, two["group"], two["rita"], 999999, True)


def test_the_adjudicate_command(database_url, session, two):
    result = CliRunner().invoke(main, ["adjudicate", "--project", "Bridge", "--db", database_url])
    assert result.exit_code == 0, result.output
    assert "bridge\t1 agreed spans merged into gold\t2 of 3 places wait for a reviewer" in result.output


def test_the_review_page_premerges_and_lets_a_reviewer_decide(client, session, two):
    from tests.conftest import AuthActions
    auth = AuthActions(client)
    auth.login("rita")
    page = client.get("/projects/bridge/groups/bridge/review")
    assert page.status_code == 200
    assert "<strong>2</strong> of 3 places wait for a decision" in page.text
    assert gold(session) == [("Ana Ruiz", "PER", "accepted", "unanimous")]
    # One column per annotator and one for the gold set in every document; the places are outlined by state.
    assert page.text.count('<th scope="col" data-col=') == 4 * 3 and page.text.count("Gold ✓") == 4
    assert 'class="run ent ent-loc depth-1 start pl-split"' in page.text
    assert 'class="run ent ent-money depth-1 start pl-partial"' in page.text
    assert "pl-decided" in page.text
    port = next(p for p in adjudication.places(session, two["group"]) if p.surface == "Port Elin")
    panel = client.get(f"/projects/bridge/groups/bridge/review/places/{port.key}", headers={"HX-Request": "true"})
    assert 'id="review-panel"' in panel.text and "labels differ" in panel.text and "“Port Elin”" in panel.text
    response = auth.post(f"/projects/bridge/groups/bridge/review/{port.votes['ben'][0].id}/accept",
                         headers={"HX-Request": "true"})
    assert response.status_code == 200 and "by rita" in response.text
    assert 'class="vote chosen"' in response.text  # ben's version is the gold one now
    # Out of band: the row it changed (now outlined as decided) and the count.
    assert 'hx-swap-oob="outerHTML"' in response.text and "<strong>1</strong> of 3 places wait" in response.text
    assert json.loads(response.headers["HX-Trigger"])["labeler:saved"]["message"] == "Gold: ORG"
    assert ("Port Elin", "ORG", "accepted", "accepted") in gold(session)
    assert 'href="/projects/bridge/groups/bridge/review"' in client.get("/projects/bridge/groups/bridge").text


def test_annotators_cannot_review(client, session, two):
    from tests.conftest import AuthActions
    auth = AuthActions(client)
    auth.login("ana")
    assert client.get("/projects/bridge/groups/bridge/review").status_code == 403
    place = adjudication.places(session, two["group"])[0]
    vote = next(iter(place.votes.values()))[0]
    assert auth.post(f"/projects/bridge/groups/bridge/review/{vote.id}/accept").status_code == 403
    assert client.get(f"/projects/bridge/groups/bridge/review/places/{place.key}").status_code == 403
    fields = {"document_id": vote.document_id, "char_start": vote.char_start, "char_end": vote.char_end,
              "surface": vote.surface, "layer": "entity", "label": "LOC"}
    assert auth.post("/projects/bridge/groups/bridge/review/gold", data=fields).status_code == 403
    assert gold(session) == []
    assert 'href="/projects/bridge/groups/bridge/review"' not in client.get("/projects/bridge/groups/bridge").text


def test_overlapping_spans_are_one_place_and_accepting_takes_the_whole_version(session, two):
    mark(session, two["ben"], "Mayor Ana Ruiz", "PER")  # ben marked the title too: Ana Ruiz is disputed now
    session.commit()
    ruiz = next(p for p in adjudication.places(session, two["group"]) if "Ana Ruiz" in p.surface)
    assert ruiz.surface == "Mayor Ana Ruiz" and not ruiz.agreed
    assert sorted(a.surface for a in ruiz.votes["ben"]) == ["Ana Ruiz", "Mayor Ana Ruiz"]
    assert adjudication.premerge(session, two["group"]) == 0  # not unanimous any more
    adjudication.decide(session, two["group"], two["rita"], ruiz.votes["ben"][0].id, accept=True)
    assert [g[:2] for g in gold(session)] == [("Ana Ruiz", "PER"), ("Mayor Ana Ruiz", "PER")]
    adjudication.decide(session, two["group"], two["rita"], ruiz.votes["ana"][0].id, accept=True)
    assert [g[:2] for g in gold(session)] == [("Ana Ruiz", "PER")]  # ana's version replaces both
    assert adjudication.disputed_count(session, two["group"]) == (2, 3)


def test_a_reviewer_edits_a_label_and_offsets_no_annotator_chose(client, session, two):
    from tests.conftest import AuthActions
    auth = AuthActions(client)
    auth.login("rita")
    port = next(p for p in adjudication.places(session, two["group"]) if p.surface == "Port Elin")
    form = client.get("/projects/bridge/groups/bridge/review/gold/new", query_string={
        "document_id": port.document_id, "char_start": port.char_start + 5, "char_end": port.char_end,
        "layer": "entity", "label": "LOC", "place": port.key}, headers={"HX-Request": "true"})
    assert form.status_code == 200 and "“Elin”" in form.text and "Edit into gold" in form.text
    fields = {"document_id": port.document_id, "char_start": port.char_start + 5, "char_end": port.char_end,
              "surface": "Elin", "layer": "entity", "label": "MISC", "place": port.key}
    saved = auth.post("/projects/bridge/groups/bridge/review/gold", data=fields, headers={"HX-Request": "true"})
    assert saved.status_code == 200, saved.text
    assert ("Elin", "MISC", "accepted", "edited") in gold(session)
    assert "edited by rita" in saved.text and "<strong>1</strong> of 3 places wait" in saved.text
    # A wrong surface is refused with the form and its message, and nothing is written.
    bad = auth.post("/projects/bridge/groups/bridge/review/gold", data={**fields, "surface": "Port"},
                    headers={"HX-Request": "true"})
    assert bad.status_code == 422 and "the offsets must count code points" in bad.text and 'class="gold-form"' in bad.text
    assert len(gold(session)) == 1
    # Removing the edited span puts the place back among those that wait.
    edited = next(a for a in session.exec(select(Annotation).where(Annotation.decision == "edited")))
    removed = auth.post(f"/projects/bridge/groups/bridge/review/gold/{edited.id}/delete", data={"place": port.key},
                        headers={"HX-Request": "true"})
    assert removed.status_code == 200 and "<strong>2</strong> of 3 places wait" in removed.text
    assert ("Elin", "MISC", "accepted", "edited") not in gold(session)
    assert auth.post(f"/projects/bridge/groups/bridge/review/gold/{edited.id}/delete").status_code == 404


def test_the_gold_form_refuses_offsets_outside_the_text(client, session, two):
    from tests.conftest import AuthActions
    AuthActions(client).login("rita")
    document = session.exec(select(Document).where(Document.origin == "en")).first()
    response = client.get("/projects/bridge/groups/bridge/review/gold/new", query_string={
        "document_id": document.id, "char_start": 5, "char_end": 100000})
    assert response.status_code == 422 and "is not a stretch of this document" in response.text
