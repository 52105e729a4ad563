"""The admin page: accounts (add, role, password) and projects (open or closed, assignments), admins only."""

import json
import re
from html import unescape
from urllib.parse import unquote

import pytest
from sqlmodel import select

from labeler.auth import authenticate, create_user
from labeler.models import Assignment, Group, Project, User
from tests.conftest import PASSWORD, AuthActions
from tests.web.test_annotations import group  # noqa: F401 (fixture: project Bridge, groups "bridge" and "other")

HX = {"HX-Request": "true"}


@pytest.fixture
def admin(auth):
    auth.login("adm_user")
    return auth


def saved(response) -> str:
    return json.loads(response.headers["HX-Trigger"])["labeler:saved"]["message"]


def message(response) -> str:
    return unquote(response.headers.get("X-Labeler-Message", ""))


def account(session, username: str) -> User | None:
    session.expire_all()
    return session.exec(select(User).where(User.username == username)).first()


def test_only_admins_open_the_admin_page_and_see_its_link(client, users):
    auth = AuthActions(client)
    for username in ("ann_user", "rev_user"):
        auth.login(username)
        assert client.get("/admin").status_code == 403
        assert 'href="/admin"' not in client.get("/projects/").text
        refused = auth.post("/admin/accounts", data={"username": "mallory", "role": "admin", "password": "secret"})
        assert refused.status_code == 403
    auth.login("adm_user")
    assert 'href="/admin"' in client.get("/projects/").text
    page = client.get("/admin")
    assert page.status_code == 200
    for username in ("adm_user", "ann_user", "rev_user"):
        assert f">{username}" in page.text
    assert "the only admin" in page.text


def test_the_accounts_table_shows_each_users_work(client, session, admin, group):
    from labeler import annotations, assignments

    project = session.exec(select(Project)).one()
    annotator = account(session, "ann_user")
    assignments.assign(session, group, annotator)
    document_text = "Mayor Ana Ruiz opened the bridge in Port Elin.\nIt cost 40 million euros."
    from labeler.models import Document
    document = session.exec(select(Document).where(Document.origin == "en", Document.group_id == group.id)).one()
    start = document_text.index("Ana Ruiz")
    annotations.create(session, project, group, annotator.id, {
        "document_id": document.id, "char_start": start, "char_end": start + 8, "surface": "Ana Ruiz",
        "layer": "entity", "label": "PER"})
    session.commit()
    row = re.search(r'<tr id="account-%d".*?</tr>' % annotator.id, client.get("/admin").text, re.S).group(0)
    assert "1 <span class=\"muted\">· 0 submitted</span>" in row and "1 span<" in row


def test_add_a_user_with_a_given_password(client, session, admin):
    response = admin.post("/admin/accounts", data={"username": "maria", "role": "reviewer", "password": "s3cret-pass"},
                          headers=HX)
    assert response.status_code == 201
    assert saved(response) == "Added reviewer 'maria'"
    assert "labeler:accounts-changed" in json.loads(response.headers["HX-Trigger"])
    assert response.text.startswith('<form id="account-form"') and 'value=""' in response.text
    assert "s3cret-pass" not in response.text
    assert authenticate(session, "maria", "s3cret-pass").role == "reviewer"
    # The accounts table, fetched again on the event, lists her.
    assert ">maria" in client.get("/admin/accounts", headers=HX).text


def test_add_a_user_with_a_generated_password_shown_once(client, session, admin):
    response = admin.post("/admin/accounts", data={"username": "li", "role": "annotator", "password": ""}, headers=HX)
    assert response.status_code == 201
    shown = re.search(r'<code class="secret">([^<]+)</code>', response.text).group(1)
    assert len(shown) >= 12 and "shown only once" in response.text
    assert authenticate(session, "li", shown) is not None
    assert shown not in client.get("/admin").text


@pytest.mark.parametrize("fields, problem", [
    ({"username": "ann_user", "role": "annotator", "password": "long-enough"}, "user 'ann_user' already exists"),
    ({"username": "zoe", "role": "annotator", "password": "abc"}, "the password needs at least 4 characters"),
    ({"username": "zoe", "role": "owner", "password": "long-enough"}, "unknown role 'owner'"),
    ({"username": "two words", "role": "annotator", "password": "long-enough"}, "without spaces"),
])
def test_a_bad_new_user_gets_422_with_the_form_and_nothing_is_added(client, session, admin, fields, problem):
    before = len(session.exec(select(User)).all())
    response = admin.post("/admin/accounts", data=fields, headers=HX)
    assert response.status_code == 422
    assert response.text.startswith('<form id="account-form"')
    assert problem in unescape(response.text) and problem in message(response)
    assert 'aria-invalid="true"' in response.text
    assert f'value="{fields["username"]}"' in response.text  # what was typed stays
    session.expire_all()
    assert len(session.exec(select(User)).all()) == before
    # Without htmx, the whole page comes back with the same message.
    page = admin.post("/admin/accounts", data={**fields, "csrf_token": admin.csrf})
    assert page.status_code == 422 and problem in unescape(page.text)
    assert '<h1 class="page-title">Admin</h1>' in page.text


def test_change_a_role_inline(client, session, admin, users):
    annotator = users["annotator"]
    response = admin.post(f"/admin/accounts/{annotator.id}/role", data={"role": "reviewer"}, headers=HX)
    assert response.status_code == 200
    assert response.text.startswith(f'<tr id="account-{annotator.id}"')
    assert '<option value="reviewer" selected>' in response.text
    assert saved(response) == "'ann_user' is now reviewer"
    assert "labeler:annotators-changed" in json.loads(response.headers["HX-Trigger"])
    assert account(session, "ann_user").role == "reviewer"
    assert admin.post(f"/admin/accounts/{annotator.id}/role", data={"role": "owner"}, headers=HX).status_code == 422
    assert account(session, "ann_user").role == "reviewer"
    assert admin.post("/admin/accounts/9999/role", data={"role": "admin"}, headers=HX).status_code == 404


def test_the_last_admin_cannot_be_demoted(client, session, admin, users):
    me = users["admin"]
    response = admin.post(f"/admin/accounts/{me.id}/role", data={"role": "annotator"}, headers=HX)
    assert response.status_code == 422
    assert "Nothing changed: this is the last admin: make another admin first" in message(response)
    assert '<option value="admin" selected>' in response.text  # the row shows the role as it still is
    assert account(session, "adm_user").role == "admin"


def test_an_admin_who_steps_down_leaves_the_admin_page(client, session, admin, users):
    create_user(session, "boss", PASSWORD, "admin")
    session.commit()
    response = admin.post(f"/admin/accounts/{users['admin'].id}/role", data={"role": "reviewer"}, headers=HX)
    assert response.headers["HX-Redirect"] == "/projects/"
    assert account(session, "adm_user").role == "reviewer"
    assert "the admin page is for admins only" in client.get("/projects/").text
    assert client.get("/admin").status_code == 403


def test_reset_a_password_generated_and_shown_once_or_given(client, session, admin, users):
    annotator = users["annotator"]
    response = admin.post(f"/admin/accounts/{annotator.id}/password", data={"password": ""}, headers=HX)
    assert response.status_code == 200 and saved(response) == "New password set for 'ann_user'"
    shown = re.search(r'<code class="secret">([^<]+)</code>', response.text).group(1)
    session.expire_all()
    assert authenticate(session, "ann_user", shown) is not None
    assert authenticate(session, "ann_user", PASSWORD) is None
    given = admin.post(f"/admin/accounts/{annotator.id}/password", data={"password": "chosen-one"}, headers=HX)
    assert given.status_code == 200 and "chosen-one" not in given.text and 'class="secret"' not in given.text
    session.expire_all()
    assert authenticate(session, "ann_user", "chosen-one") is not None
    short = admin.post(f"/admin/accounts/{annotator.id}/password", data={"password": "ab"}, headers=HX)
    assert short.status_code == 422 and "at least 4 characters" in message(short)
    assert "<details open>" in short.text
    session.expire_all()
    assert authenticate(session, "ann_user", "chosen-one") is not None


def test_every_action_needs_the_csrf_token(client, session, admin, users):
    response = client.post("/admin/accounts", data={"username": "eve", "role": "admin", "password": "secret"})
    assert response.status_code == 400
    assert client.post(f"/admin/accounts/{users['annotator'].id}/role", data={"role": "admin"}).status_code == 400
    assert account(session, "eve") is None and account(session, "ann_user").role == "annotator"


def test_close_and_open_a_project(client, session, admin, group):
    response = admin.post("/admin/projects/bridge/visibility", data={"open": "0"}, headers=HX)
    assert response.status_code == 200
    assert saved(response) == "Bridge is closed: annotators see only the groups assigned to them"
    assert response.text.startswith('<article id="admin-project-') and "Open to every annotator" in response.text
    session.expire_all()
    assert session.exec(select(Project)).one().is_open is False
    AuthActions(client).login("ann_user")
    assert client.get("/projects/bridge").status_code == 404  # no assignment: the project is hidden
    admin.login("adm_user")
    admin.post("/admin/projects/bridge/visibility", data={"open": "1"}, headers=HX)
    session.expire_all()
    assert session.exec(select(Project)).one().is_open is True


def test_assign_n_annotators_per_group(client, session, admin, group):
    for name in ("ana", "ben"):
        create_user(session, name, PASSWORD)
    session.commit()
    response = admin.post("/admin/projects/bridge/assignments/per-group", data={"per_group": "2"}, headers=HX)
    assert response.status_code == 200
    assert saved(response) == "4 new assignments: every group of Bridge has 2 annotators"
    assert "labeler:work-changed" in json.loads(response.headers["HX-Trigger"])
    assert '<dt>assignments</dt><dd>4</dd>' in response.text
    again = admin.post("/admin/projects/bridge/assignments/per-group", data={"per_group": "2"}, headers=HX)
    assert saved(again) == "Nothing new: every group of Bridge already has 2 annotators"
    too_many = admin.post("/admin/projects/bridge/assignments/per-group", data={"per_group": "9"}, headers=HX)
    assert too_many.status_code == 422
    assert "9 annotators per group asked, 3 annotators available" in message(too_many)
    assert 'value="9"' in too_many.text
    session.expire_all()
    assert len(session.exec(select(Assignment)).all()) == 4


def test_assign_a_user_to_a_group_by_hand(client, session, admin, users, group):
    response = admin.post("/admin/projects/bridge/assignments", data={"username": "ann_user", "group": "other"},
                          headers=HX)
    assert response.status_code == 200 and saved(response) == "ann_user now works on other"
    assert "ann_user 0/1" in response.text
    other = session.exec(select(Group).where(Group.key == "other")).one()
    session.expire_all()
    assert [a.group_id for a in session.exec(select(Assignment))] == [other.id]
    twice = admin.post("/admin/projects/bridge/assignments", data={"username": "ann_user", "group": "other"},
                       headers=HX)
    assert saved(twice) == "ann_user already had other: nothing changed"
    for fields, problem in [({"username": "ann_user", "group": "nope"}, "no group 'nope' in project 'Bridge'"),
                            ({"username": "rev_user", "group": "other"}, "'rev_user' is a reviewer"),
                            ({"username": "ghost", "group": "other"}, "no user named 'ghost'")]:
        refused = admin.post("/admin/projects/bridge/assignments", data=fields, headers=HX)
        assert refused.status_code == 422 and problem in message(refused) and problem in unescape(refused.text)
    session.expire_all()
    assert len(session.exec(select(Assignment)).all()) == 1


def test_without_htmx_actions_come_back_to_the_page_with_a_message(client, session, admin, users, group):
    response = admin.post("/admin/projects/bridge/assignments",
                          data={"username": "ann_user", "group": "bridge", "csrf_token": admin.csrf})
    assert response.status_code == 303 and response.location.endswith("/admin")
    assert "ann_user now works on bridge" in client.get("/admin").text
    refused = admin.post("/admin/projects/bridge/assignments",
                         data={"username": "ann_user", "group": "nope", "csrf_token": admin.csrf})
    assert refused.status_code == 422 and "no group 'nope' in project 'Bridge'" in unescape(refused.text)


def test_the_fragments_refresh_on_their_own_urls(client, admin, group):
    accounts = client.get("/admin/accounts", headers=HX)
    assert accounts.text.startswith('<section id="accounts"') and "HX-Request" in accounts.headers["Vary"]
    assert 'hx-trigger="labeler:accounts-changed from:body, labeler:work-changed from:body"' in accounts.text
    projects = client.get("/admin/projects", headers=HX)
    assert projects.text.startswith('<section id="admin-projects"') and ">Bridge</a>" in projects.text
    assert "<h1" in client.get("/admin/projects").text  # without htmx: the whole page


def test_without_htmx_a_generated_password_is_shown_on_the_page_and_never_put_in_a_cookie(client, session, admin,
                                                                                         users):
    added = admin.post("/admin/accounts", data={"username": "li", "role": "annotator", "password": "",
                                                "csrf_token": admin.csrf})
    assert added.status_code == 201 and "Set-Cookie" not in added.headers
    shown = re.search(r'<code class="secret">([^<]+)</code>', added.text).group(1)
    assert authenticate(session, "li", shown) is not None
    reset = admin.post(f"/admin/accounts/{users['annotator'].id}/password", data={"csrf_token": admin.csrf})
    assert reset.status_code == 200 and reset.text.count('class="secret"') == 1  # in ann_user's row only
    row = re.search(r'<tr id="account-%d".*?</tr>' % users["annotator"].id, reset.text, re.S).group(0)
    new = re.search(r'<code class="secret">([^<]+)</code>', row).group(1)
    session.expire_all()
    assert authenticate(session, "ann_user", new) is not None
