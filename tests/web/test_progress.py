"""The progress page: figures on a small hand-built project, what an annotator may see, hostile labels."""

import json
import re
from datetime import datetime, timezone

import pytest
from sqlmodel import select

from labeler import annotations, assignments
from labeler.auth import create_user
from labeler.ingest import import_documents
from labeler.models import Assignment, Document, Group, Project
from labeler.readers import read_paths
from tests.conftest import PASSWORD, AuthActions

HOSTILE = "<script>alert('x')</script>"

# Our own two-group, two-language campaign: an English source and a Spanish translation per group.
TEXTS = {
    ("harbour", "en"): "Mayor Lena Park opened the Tarvik harbour yesterday.",
    ("harbour", "es"): "La alcaldesa Lena Park abrió ayer el puerto de Tarvik.",  # 10 words
    ("market", "en"): "Omar Diaz sold the old market to Velo Holdings.",
    ("market", "es"): "Omar Diaz vendió el viejo mercado a Velo Holdings.",
}


@pytest.fixture
def campaign(session, users, tmp_path):
    """ana and ben (annotators) both have both groups; ana submitted both, ben only the harbour.

    Spans: on the English harbour both mark "Lena Park" (PER) and "Tarvik" (ana LOC, ben ORG); on the Spanish
    harbour ana marks "Lena Park" (PER) and both mark "alcaldesa" as a mistranslation, ana major, ben minor.
    """
    path = tmp_path / "campaign.jsonl"
    path.write_text("\n".join(json.dumps({"group": key, "doc_id": lang, "lang": lang, "text": text,
                                          "role": "source" if lang == "en" else "translation"}, ensure_ascii=False)
                              for (key, lang), text in TEXTS.items()) + "\n", encoding="utf-8")
    import_documents(session, "Harbour campaign", read_paths([path]))
    project = session.exec(select(Project)).one()
    project.label_schema = {**project.label_schema, "entity": {"labels": [*project.label_schema["entity"]["labels"],
                                                                           HOSTILE]}}
    ana, ben = create_user(session, "ana", PASSWORD), create_user(session, "ben", PASSWORD)
    groups = {g.key: g for g in session.exec(select(Group))}
    for person in (ana, ben):
        for group in groups.values():
            assignments.assign(session, group, person)

    def label(person, key, lang, surface, layer, name, severity=None):
        document = session.exec(select(Document).where(Document.group_id == groups[key].id,
                                                       Document.origin == lang)).one()
        start = document.text.index(surface)
        data = {"document_id": document.id, "char_start": start, "char_end": start + len(surface),
                "surface": surface, "layer": layer, "label": name}
        if severity:
            data["severity"] = severity
        annotations.create(session, project, groups[key], person.id, data)

    label(ana, "harbour", "en", "Lena Park", "entity", "PER")
    label(ana, "harbour", "en", "Tarvik", "entity", "LOC")
    label(ana, "harbour", "es", "Lena Park", "entity", "PER")
    label(ana, "harbour", "es", "alcaldesa", "error", "Accuracy/Mistranslation", "major")
    label(ben, "harbour", "en", "Lena Park", "entity", "PER")
    label(ben, "harbour", "en", "Tarvik", "entity", "ORG")
    label(ben, "harbour", "es", "alcaldesa", "error", "Accuracy/Mistranslation", "minor")
    label(ben, "market", "en", "Velo Holdings", "entity", HOSTILE)

    def status(person, key, value, when):
        assignment = session.exec(select(Assignment).where(Assignment.user_id == person.id,
                                                           Assignment.group_id == groups[key].id)).one()
        assignment.status, assignment.updated_at = value, when
        session.add(assignment)

    status(ana, "harbour", "submitted", datetime(2024, 5, 1, 9, tzinfo=timezone.utc))
    status(ben, "harbour", "submitted", datetime(2024, 5, 2, 15, tzinfo=timezone.utc))
    status(ana, "market", "submitted", datetime(2024, 5, 3, 10, tzinfo=timezone.utc))
    status(ben, "market", "in_progress", datetime(2024, 5, 3, 11, tzinfo=timezone.utc))
    session.commit()
    return {"project": project, "ana": ana, "ben": ben, "groups": groups, "label": label, "status": status}


def row(page: str, table: str, key: str) -> str:
    """The text of one table row (tags removed, blanks collapsed), found by its data- key."""
    body = page[page.index(f'id="{table}"'):]
    match = re.search(rf'<tr data-[a-z]+="{re.escape(key)}">(.*?)</tr>', body, re.S)
    assert match, f"no row {key!r} in {table}"
    return " ".join(re.sub(r"<(title|desc)>.*?</\1>|<[^>]+>", " ", match.group(1), flags=re.S).split())


def test_reviewers_see_every_annotator_and_language_with_the_right_figures(client, campaign):
    AuthActions(client).login("rev_user")
    response = client.get("/projects/harbour-campaign/progress")
    assert response.status_code == 200
    page = response.text
    # Groups: the harbour is done (both submitted), the market started (ben still works on it); 3 of 4 handed in.
    assert "<dt>groups</dt><dd>2</dd>" in page and "<dt>done</dt><dd>1</dd>" in page
    assert "<dt>in progress</dt><dd>1</dd>" in page and "<dd>3 / 4</dd>" in page
    assert "1 of 2 groups done, 1 in progress" in page
    # ana: 2 of 2 submitted, 3 entities, 0 claims, 1 error; pooled F1 with ben on the harbour: 2·3 / 7.
    assert row(page, "annotator-progress", "ana").startswith("ana 100% 2 of 2 3 0 1 0.86")
    assert row(page, "annotator-progress", "ben").startswith("ben 50% 1 of 2 · 1 in progress 3 0 1 0.86")
    # Languages: documents done, documents labelled, spans per layer, mean MQM per 100 words, agreement.
    # Spanish harbour: penalties 5 (ana) and 1 (ben), mean 3 over 10 words = 30; market: ana submitted, 0 errors.
    assert row(page, "language-progress", "en") == "en English 50% 1 of 2 2 5 0 0 — 1.00"
    assert row(page, "language-progress", "es") == "es Spanish 50% 1 of 2 1 1 0 2 15.00 (2 docs) 0.67"
    cells = '<td>harbour</td><td>es</td>' + "".join(f'<td class="number">{value}</td>'
                                                   for value in (2, 2, "3.00", 10, "30.00"))
    assert cells in page  # raters, errors, mean penalty, words, per 100 words
    # Label distribution: the entity chart has PER 3, then the hostile label, LOC and ORG once each.
    entity_chart = page[page.index('id="labels-entity"'):page.index('id="labels-claim"')]
    assert ('aria-label="Entities: spans per label: PER 3, &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; 1, '
            'LOC 1, ORG 1"') in entity_chart
    assert "No data yet" in page[page.index('id="labels-claim"'):page.index('id="labels-error"')]
    # Agreement over time: one day with both harbour submissions, and the page says a trend needs another.
    assert "Only one day so far (2024-05-02, 1 group): entities 0.80, translation errors 1.00." in page
    assert 'href="/projects/harbour-campaign/agreement"' in page


def test_a_second_day_of_submissions_draws_a_line(client, session, campaign):
    campaign["label"](campaign["ana"], "market", "en", "Velo Holdings", "entity", "ORG")
    campaign["status"](campaign["ben"], "market", "submitted", datetime(2024, 5, 6, 8, tzinfo=timezone.utc))
    session.commit()
    AuthActions(client).login("adm_user")
    page = client.get("/projects/harbour-campaign/progress").text
    assert "Only one day" not in page
    chart = page[page.index('id="agreement-chart"'):]
    assert "<polyline" in chart[:chart.index("</svg>")]
    # Entities on 6 May: 2 more spans on the market's Velo Holdings, matched: 2·3 / 7.
    assert "<tr><td>2024-05-06</td>" + "".join(f'<td class="number">{value}</td>'
                                             for value in (2, "0.86", "1.00")) + "</tr>" in page
    assert "<dt>done</dt><dd>2</dd>" in page


def test_a_campaign_longer_than_a_month_is_drawn_week_by_week(client, session, campaign):
    campaign["status"](campaign["ben"], "market", "submitted", datetime(2024, 7, 10, 8, tzinfo=timezone.utc))
    session.commit()
    AuthActions(client).login("rev_user")
    page = client.get("/projects/harbour-campaign/progress").text
    assert "Figures per week" in page
    # 2 May 2024 was a Thursday: its week starts on Monday 29 April.
    assert "<td>week of 2024-04-29</td>" in page and "<td>week of 2024-07-08</td>" in page
    assert ">wk Apr 29</text>" in page

def test_an_annotator_sees_only_their_own_figures(client, campaign):
    AuthActions(client).login("ana", PASSWORD)
    project_page = client.get("/projects/harbour-campaign").text
    assert 'href="/projects/harbour-campaign/progress">Your progress</a>' in project_page
    page = client.get("/projects/harbour-campaign/progress").text
    assert "Your progress" in page and "Reviewers see everyone" in page
    assert "ben" not in page
    assert row(page, "annotator-progress", "ana").startswith("ana 100% 2 of 2 3 0 1")
    # Her languages count only her spans, and the Spanish harbour's MQM is her own major error: 5 / 10 words.
    assert row(page, "language-progress", "es") == "es Spanish 100% 2 of 2 1 1 0 1 25.00 (2 docs)"
    assert "50.00" in page
    # Nothing of ben's: not his ORG nor his hostile label, no agreement (a figure about others too).
    assert "ORG" not in page and "alert" not in page
    assert "Agreement" not in page and "agreement-chart" not in page


def test_an_annotator_without_assignments_is_told_so(client, session, campaign):
    create_user(session, "cy", PASSWORD)
    session.commit()
    AuthActions(client).login("cy", PASSWORD)
    page = client.get("/projects/harbour-campaign/progress").text
    assert "No group of this project is assigned to you yet" in page
    assert "You have no assignment and no label in this project yet." in page
    assert "ana" not in page and "ben" not in page


def test_a_project_the_user_cannot_see_is_not_found(client, session, campaign):
    project = campaign["project"]
    project.is_open = False
    session.add(project)
    create_user(session, "zoe", PASSWORD)
    session.commit()
    AuthActions(client).login("zoe", PASSWORD)
    assert client.get("/projects/harbour-campaign/progress").status_code == 404
    assert client.get("/projects/no-such-project/progress").status_code == 404
    AuthActions(client).login("ana", PASSWORD)
    assert client.get("/projects/harbour-campaign/progress").status_code == 200


def test_logged_out_visitors_are_sent_to_the_login(client, campaign):
    response = client.get("/projects/harbour-campaign/progress")
    assert response.status_code in (302, 303) and "/login" in response.location


def test_a_hostile_label_is_escaped_everywhere(client, campaign):
    AuthActions(client).login("rev_user")
    page = client.get("/projects/harbour-campaign/progress").text
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page


def test_htmx_gets_the_report_alone(client, campaign):
    AuthActions(client).login("rev_user")
    response = client.get("/projects/harbour-campaign/progress", headers={"HX-Request": "true"})
    assert response.status_code == 200 and "HX-Request" in response.headers["Vary"]
    assert response.text.lstrip().startswith('<div id="progress-report"') and "<html" not in response.text


def test_the_figures_take_the_same_few_queries_however_many_groups(engine, session, campaign, users):
    from sqlalchemy import event

    from labeler.progress import project_progress

    statements = []

    def count(*_):
        statements.append(1)

    project, reviewer = campaign["project"], users["reviewer"]
    event.listen(engine, "before_cursor_execute", count)
    try:
        project_progress(session, project, reviewer)
        small = len(statements)
        for number in range(12):
            group = Group(project_id=project.id, key=f"extra-{number:02d}", name=f"Extra {number}")
            session.add(group)
            session.flush()
            assignments.assign(session, group, campaign["ana"]).status = "submitted"
        session.flush()
        statements.clear()
        report = project_progress(session, project, reviewer)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert report["groups"]["total"] == 14 and len(statements) == small <= 8
