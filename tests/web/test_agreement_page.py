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


def test_agreement_on_alignment_corrections(client, session, users, group):
    from labeler.corrections import confirm_row, merge_with_below
    from labeler.models import AlignmentRow
    from labeler.reports import agreement_report

    first, second = session.exec(select(AlignmentRow).where(AlignmentRow.group_id == group.id)
                                 .order_by(AlignmentRow.position)).all()
    annotator, reviewer = users["annotator"], users["reviewer"]
    confirm_row(session, group.id, first.id, annotator.id)
    confirm_row(session, group.id, second.id, annotator.id)
    confirm_row(session, group.id, first.id, reviewer.id)
    session.commit()
    project = session.exec(select(Project)).one()
    aligned = agreement_report(session, project)["alignment"]
    assert (aligned["paragraphs"], aligned["placed_alike"], aligned["link_f1"]) == (4, 1.0, 1.0)
    # The second one merges the two rows: the eight paragraphs of the group are one row for them now.
    merge_with_below(session, group.id, first.id, reviewer.id)
    session.commit()
    aligned = agreement_report(session, project)["alignment"]
    assert (aligned["paragraphs"], aligned["placed_alike"]) == (8, 0.0)
    assert aligned["link_f1"] == 2 * 12 / (12 + 28)
    AuthActions(client).login("adm_user")
    page = client.get("/projects/bridge/agreement").text
    assert "Alignment corrections" in page and "<td>ann_user · rev_user</td><td>8</td><td>0%</td><td>0.60</td>" in page
