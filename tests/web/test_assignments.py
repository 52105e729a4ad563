"""Assignments: N annotators per group, each annotator's queue and submit, and what a closed project hides."""

import pytest
from click.testing import CliRunner
from sqlmodel import select

from labeler import assignments
from labeler.auth import create_user
from labeler.cli import main
from labeler.models import Assignment, Group, Project
from tests.conftest import PASSWORD, AuthActions
from tests.web.test_annotations import group  # noqa: F401 (fixture: groups "bridge" and "other")


def test_assign_evenly_gives_each_group_n_annotators_least_loaded_first(session, group):
    project = session.exec(select(Project)).one()
    people = [create_user(session, name, PASSWORD) for name in ("ana", "ben", "cy")]
    for key in ("third", "fourth"):
        session.add(Group(project_id=project.id, key=key, name=key))
    session.flush()
    assert assignments.assign_evenly(session, project, 2, people) == 8
    load = {p.username: len(assignments.queue(session, p, project)) for p in people}
    assert load == {"ana": 3, "ben": 3, "cy": 2}
    assert assignments.assign_evenly(session, project, 2, people) == 0  # already done: nothing new
    with pytest.raises(assignments.AssignmentError, match="4 annotators per group asked, 3"):
        assignments.assign_evenly(session, project, 4, people)
    reviewer = create_user(session, "rev", PASSWORD, "reviewer")
    with pytest.raises(assignments.AssignmentError, match="only annotators"):
        assignments.assign(session, group, reviewer)


def test_the_assign_command_closes_the_project_and_prints_queues(database_url, session, users, group):
    result = CliRunner().invoke(main, ["assign", "--project", "Bridge", "--group", "bridge", "--user", "ann_user",
                                       "--close", "--db", database_url])
    assert result.exit_code == 0, result.output
    assert "closed: annotators see their assignments" in result.output and "ann_user\t0/1 submitted\tbridge" in result.output
    bad = CliRunner().invoke(main, ["assign", "--project", "Bridge", "--group", "bridge", "--db", database_url])
    assert bad.exit_code != 0 and "--group and --user together" in bad.output


@pytest.fixture
def closed(session, users, group):
    project = session.exec(select(Project)).one()
    project.is_open = False
    assignments.assign(session, group, users["annotator"])
    session.commit()
    return project


def test_in_a_closed_project_annotators_see_only_their_groups(client, closed, users):
    AuthActions(client).login("ann_user")
    assert client.get("/projects/bridge/groups/bridge").status_code == 200
    assert client.get("/projects/bridge/groups/other").status_code == 404
    listing = client.get("/projects/bridge").text
    assert "/projects/bridge/groups/bridge" in listing and "/projects/bridge/groups/other" not in listing
    auth = AuthActions(client)
    auth.login("ann_user")
    assert auth.post("/projects/bridge/groups/other/annotations", data={}, headers={"HX-Request": "true"}).status_code == 404


def test_without_any_assignment_a_closed_project_is_invisible(client, session, closed):
    create_user(session, "zoe", PASSWORD)
    session.commit()
    AuthActions(client).login("zoe")
    assert "Bridge" not in client.get("/projects/").text
    assert client.get("/projects/bridge").status_code == 404


def test_reviewers_see_everything_and_open_projects_show_everyone_everything(client, session, closed):
    AuthActions(client).login("rev_user")
    assert client.get("/projects/bridge/groups/other").status_code == 200
    closed.is_open = True
    session.add(closed)
    session.commit()
    AuthActions(client).login("ann_user")
    assert client.get("/projects/bridge/groups/other").status_code == 200


def test_queue_next_group_and_submit(client, session, users, group):
    other = session.exec(select(Group).where(Group.key == "other")).one()
    assignments.assign(session, group, users["annotator"])
    assignments.assign(session, other, users["annotator"])
    session.commit()
    auth = AuthActions(client)
    auth.login("ann_user")
    page = client.get("/projects/bridge").text
    assert "Your queue: 0 of 2 groups submitted" in page and "Next group: <bdi>bridge</bdi> →" in page
    group_page = client.get("/projects/bridge/groups/bridge").text
    assert "Submit group" in group_page
    session.expire_all()
    assert session.exec(select(Assignment).where(Assignment.group_id == group.id)).one().status == "in_progress"
    response = auth.post("/projects/bridge/groups/bridge/submit", data={"csrf_token": auth.csrf})
    assert response.status_code == 303 and response.location.endswith("/projects/bridge/groups/other")
    landed = client.get(response.location).text
    assert "Submitted bridge. Next in your queue: other." in landed
    last = auth.post("/projects/bridge/groups/other/submit", data={"csrf_token": auth.csrf})
    assert last.location.endswith("/projects/bridge")
    assert "Your queue in this project is done." in client.get(last.location).text
    assert "Submitted ✓" in client.get("/projects/bridge/groups/bridge").text
    AuthActions(client).login("rev_user")
    reviewer = AuthActions(client)
    reviewer.login("rev_user")
    refused = reviewer.post("/projects/bridge/groups/bridge/submit", data={"csrf_token": reviewer.csrf},
                            headers={"HX-Request": "true"})
    assert refused.status_code == 409
