"""The agreement page: reviewers and admins see the pairwise matrix and the per-label table."""

import json

from sqlmodel import select

from labeler import annotations
from labeler.models import Document, Group, Project, User
from tests.conftest import AuthActions
from tests.web.test_annotations import group  # noqa: F401 (fixture)


def label(session, user, surface, name):
    project, bridge = session.exec(select(Project)).one(), session.exec(select(Group).where(Group.key == "bridge")).one()
    document = session.exec(select(Document).where(Document.group_id == bridge.id, Document.origin == "en")).one()
    start = document.text.index(surface)
    annotations.create(session, project, bridge, user.id, {"document_id": document.id, "char_start": start,
                       "char_end": start + len(surface), "surface": surface, "layer": "entity", "label": name})


def test_reviewers_see_agreement_and_annotators_do_not(client, session, users, group):
    annotator, reviewer = users["annotator"], users["reviewer"]
    label(session, annotator, "Ana Ruiz", "PER")
    label(session, reviewer, "Ana Ruiz", "PER")
    label(session, annotator, "Port Elin", "LOC")
    label(session, reviewer, "Port Elin", "ORG")
    session.commit()
    auth = AuthActions(client)
    auth.login("rev_user")
    page = client.get("/projects/bridge/agreement")
    assert page.status_code == 200
    assert "Entities" in page.text and "4 spans" in page.text
    assert "<td>1.00 · 0.33</td>" in page.text  # overlapping F1 · kappa for the pair
    assert "<td>LOC</td><td>1</td>" in page.text and "<td>ORG</td><td>1</td>" in page.text
    assert 'href="/projects/bridge/agreement"' in client.get("/projects/bridge").text
    auth.login("ann_user")
    assert client.get("/projects/bridge/agreement").status_code == 403


def test_with_one_annotator_the_page_says_what_is_missing(client, session, users, group):
    label(session, users["annotator"], "Ana Ruiz", "PER")
    session.commit()
    AuthActions(client).login("adm_user")
    assert "needs the labels of at least two annotators; this project has 1" in client.get("/projects/bridge/agreement").text
