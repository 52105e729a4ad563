"""Who may do what, on every route of the app.

Issue 7: roles are enforced on every page and API route. ``ROUTES`` says, for every endpoint and method of
``app.url_map``, what each of five callers gets: nobody logged in, an annotator assigned to the group, an
annotator of the (closed) project who is not assigned to the group, a reviewer, an admin. A route that is not in
the table fails ``test_every_route_is_in_the_table``: a new route must say who may use it.

Issue 9: nobody reads or changes another annotator's labels, and nobody acts on a project they are not part of.
``test_someone_elses_ids_are_refused`` has annotator A call every id-taking route with ids that belong to
annotator B, to another group or to another project; ``test_a_project_you_are_not_part_of_does_not_exist`` calls
every route of a project with a caller who has no part in it. Each refused request must leave the database exactly
as it was: every table is compared, row by row, before and after.

Each case runs on its own copy of one database built once for the module (``permission_world.world``), so
that one case's writes never change another's outcome.
"""

import re
from dataclasses import dataclass, field
from typing import Callable

import pytest
from sqlmodel import Session, select

from labeler import annotations
from labeler.models import Annotation
from tests.conftest import PASSWORD
from tests.web.permission_world import CSRF, ROLES, USERNAMES, call, snapshot
from tests.web.permission_world import prepared, world  # noqa: F401 (fixtures)


@dataclass(frozen=True)
class Case:
    """One request, and what each caller gets.

    :param path: a ``str.format`` template over the world's names (``{slug}``, ``{a_span}``…).
    :param expect: the status for each of ``ROLES``, in order.
    :param data: the form (pages) or JSON body (API), or a function of the world that returns it.
    """

    method: str
    path: str
    expect: tuple[int, int, int, int, int]
    data: dict | Callable[[dict], dict] | None = None
    json: bool = field(default=False)


G = "/projects/{slug}/groups/{key}"
API = "/api/v1/projects/{slug}"
LOGIN = 302  # a page without a login sends the browser to the login form
# (anonymous, assigned annotator, unassigned annotator, reviewer, admin)
EVERYONE = (200, 200, 200, 200, 200)
LOGGED_IN = (LOGIN, 200, 200, 200, 200)
IN_GROUP = (LOGIN, 200, 404, 200, 200)  # the group is hidden from an annotator of a closed project without it
REVIEWERS = (LOGIN, 403, 403, 200, 200)
GROUP_REVIEWERS = (LOGIN, 403, 404, 200, 200)
ADMINS = (LOGIN, 403, 403, 403, 200)
OWNER_ONLY = (LOGIN, 200, 404, 404, 404)  # A's span: nobody else finds it


def _span_form(ids: dict) -> dict:
    return {"document_id": ids["en_doc"], "char_start": ids["kestrel_start"], "char_end": ids["kestrel_end"],
            "surface": "Kestrel", "layer": "entity", "label": "PRODUCT"}


def _labels_form(ids: dict) -> dict:
    return {**ids["schema_fields"], "fingerprint": ids["fingerprint"], "weight_overrides": ""}


def _gold_form(ids: dict) -> dict:
    return {**_span_form(ids), "label": "ORG"}


ROUTES: dict[tuple[str, str], Case] = {
    # Public, or about the session itself.
    ("static", "GET"): Case("GET", "/static/css/app.css", EVERYONE),
    ("auth.login", "GET"): Case("GET", "/login", EVERYONE),
    ("auth.login", "POST"): Case("POST", "/login", (302,) * 5,
                                 {"username": "ann_a", "password": PASSWORD, "csrf_token": CSRF}),
    ("auth.logout", "POST"): Case("POST", "/logout", (302,) * 5),
    ("api.openapi", "GET"): Case("GET", "/api/v1/openapi.json", EVERYONE),
    ("index", "GET"): Case("GET", "/", (302,) * 5),
    # Projects.
    ("projects.index", "GET"): Case("GET", "/projects/", LOGGED_IN),
    ("projects.show", "GET"): Case("GET", "/projects/{slug}", LOGGED_IN),
    ("projects.labels", "GET"): Case("GET", "/projects/{slug}/labels", LOGGED_IN),
    ("projects.save_labels", "POST"): Case("POST", "/projects/{slug}/labels", ADMINS, _labels_form),
    ("projects.agreement", "GET"): Case("GET", "/projects/{slug}/agreement", REVIEWERS),
    ("progress.show", "GET"): Case("GET", "/projects/{slug}/progress", LOGGED_IN),
    ("exports.create", "POST"): Case("POST", "/projects/{slug}/exports", REVIEWERS, {"what": "gold"}),
    # A group: reading, submitting, alignment rows.
    ("groups.show", "GET"): Case("GET", G, IN_GROUP),
    ("groups.rows", "GET"): Case("GET", G + "/rows?after=0", IN_GROUP),
    ("groups.submit", "POST"): Case("POST", G + "/submit", (LOGIN, 303, 404, 409, 409)),
    ("rows.confirm", "POST"): Case("POST", G + "/rows/{row0}/confirm", IN_GROUP),
    ("rows.accept_suggestions", "POST"): Case("POST", G + "/rows/{row1}/accept-suggestions", IN_GROUP),
    ("rows.merge", "POST"): Case("POST", G + "/rows/{row0}/merge", IN_GROUP),
    ("rows.move", "POST"): Case("POST", G + "/paragraphs/{en0}/move/down", IN_GROUP),
    ("rows.split", "POST"): Case("POST", G + "/paragraphs/{en2}/split", IN_GROUP),
    ("rows.detach", "POST"): Case("POST", G + "/paragraphs/{en1}/detach", IN_GROUP),
    ("rows.continue_below", "POST"): Case("POST", G + "/paragraphs/{en0}/continue", IN_GROUP),
    ("rows.end_continuation", "POST"): Case("POST", G + "/rows/{row1}/continued/{de0}/end", IN_GROUP),
    # Labels: everyone who sees the group labels it, each in their own set; only the owner touches a span.
    ("annotations.picker", "GET"): Case("GET", G + "/picker?layer=entity", IN_GROUP),
    ("annotations.create", "POST"): Case("POST", G + "/annotations", (LOGIN, 201, 404, 201, 201), _span_form),
    ("annotations.editor", "GET"): Case("GET", G + "/spans?ids={a_span}", OWNER_ONLY),
    ("annotations.update", "POST"): Case("POST", G + "/annotations/{a_span}", OWNER_ONLY,
                                         {"version": 1, "label": "ORG"}),
    ("annotations.delete", "POST"): Case("POST", G + "/annotations/{a_span}/delete", OWNER_ONLY, {"version": 1}),
    ("annotations.accept", "POST"): Case("POST", G + "/annotations/{suggestion}/accept", IN_GROUP),
    ("annotations.reject", "POST"): Case("POST", G + "/annotations/{suggestion}/reject", IN_GROUP),
    ("annotations.undo", "POST"): Case("POST", G + "/undo", IN_GROUP),
    ("annotations.redo", "POST"): Case("POST", G + "/redo", IN_GROUP),
    ("annotations.concepts", "GET"): Case("GET", G + "/concepts?annotation={a_span}&q=Dun", OWNER_ONLY),
    ("annotations.create_concept", "POST"): Case(
        "POST", G + "/concepts", OWNER_ONLY, lambda ids: {"annotation": ids["a_span"], "name": "Lena Voss",
                                                          "version": 1}),
    ("annotations.concept_panel", "GET"): Case("GET", G + "/concept-panel", IN_GROUP),
    # Review: reviewers and admins only.
    ("review.show", "GET"): Case("GET", G + "/review", GROUP_REVIEWERS),
    ("review.place", "GET"): Case("GET", G + "/review/places/{place}", GROUP_REVIEWERS),
    ("review.decide", "POST"): Case("POST", G + "/review/{b_span}/accept", GROUP_REVIEWERS),
    ("review.gold_form", "GET"): Case(
        "GET", G + "/review/gold/new?document_id={en_doc}&char_start={kestrel_start}&char_end={kestrel_end}",
        GROUP_REVIEWERS),
    ("review.write_gold", "POST"): Case("POST", G + "/review/gold", GROUP_REVIEWERS, _gold_form),
    ("review.remove_gold", "POST"): Case("POST", G + "/review/gold/{gold}/delete", GROUP_REVIEWERS),
    # The API: a bearer token, never a cookie; 401 without one.
    ("api.projects", "GET"): Case("GET", "/api/v1/projects", (401, 200, 200, 200, 200)),
    ("api.groups", "GET"): Case("GET", API + "/groups", (401, 200, 200, 200, 200)),
    ("api.group", "GET"): Case("GET", API + "/groups/{key}", (401, 200, 404, 200, 200)),
    ("api.create_annotation", "POST"): Case("POST", API + "/groups/{key}/annotations", (401, 201, 404, 201, 201),
                                            _span_form),
    ("api.update_annotation", "PATCH"): Case("PATCH", API + "/groups/{key}/annotations/{a_span}",
                                             (401, 200, 404, 404, 404), {"version": 1, "label": "ORG"}),
    ("api.delete_annotation", "DELETE"): Case("DELETE", API + "/groups/{key}/annotations/{a_span}?version=1",
                                              (401, 200, 404, 404, 404)),
    ("api.create_export", "POST"): Case("POST", API + "/exports", (401, 403, 403, 200, 200), {"format": "jsonl"}),
    # Administration: admins only.
    ("admin.index", "GET"): Case("GET", "/admin", ADMINS),
    ("admin.accounts", "GET"): Case("GET", "/admin/accounts", ADMINS),
    ("admin.projects", "GET"): Case("GET", "/admin/projects", ADMINS),
    ("admin.add_account", "POST"): Case("POST", "/admin/accounts", (LOGIN, 403, 403, 403, 201),
                                        {"username": "newcomer", "role": "admin", "password": "long enough"}),
    ("admin.change_role", "POST"): Case("POST", "/admin/accounts/{b_user}/role", ADMINS, {"role": "admin"}),
    ("admin.reset_password", "POST"): Case("POST", "/admin/accounts/{b_user}/password", ADMINS, {"password": ""}),
    ("admin.visibility", "POST"): Case("POST", "/admin/projects/{slug}/visibility", ADMINS, {"open": "1"}),
    ("admin.assign", "POST"): Case("POST", "/admin/projects/{slug}/assignments", ADMINS,
                                   {"username": "ann_c", "group": "bridge"}),
    ("admin.assign_per_group", "POST"): Case("POST", "/admin/projects/{slug}/assignments/per-group", ADMINS,
                                             {"per_group": "1"}),
}
REFUSED = {302, 401, 403, 404}


def app_routes(app) -> set[tuple[str, str]]:
    return {(rule.endpoint, method) for rule in app.url_map.iter_rules()
            for method in rule.methods - {"HEAD", "OPTIONS"}}


def test_every_route_is_in_the_table(world):
    app, _ = world
    routes = app_routes(app)
    missing = sorted(routes - set(ROUTES))
    stale = sorted(set(ROUTES) - routes)
    assert not missing, f"routes without a row in ROUTES (say who may use them): {missing}"
    assert not stale, f"rows of ROUTES for routes that no longer exist: {stale}"


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("route", sorted(ROUTES), ids="{0[0]} {0[1]}".format)
def test_each_role_gets_what_the_table_says(world, route, role):
    app, ids = world
    case = ROUTES[route]
    expected = dict(zip(ROLES, case.expect))[role]
    before = snapshot(app) if case.method != "GET" or expected in REFUSED else None
    response = call(app, ids, role, case.method, case.path, case.data)
    assert response.status_code == expected, (
        f"{role} {case.method} {case.path.format(**ids)}: {response.status_code}, expected {expected}\n"
        f"{response.get_data(as_text=True)[:300]}")
    if expected == LOGIN:
        assert "/login" in response.location or route in {("auth.login", "POST"), ("auth.logout", "POST"),
                                                          ("index", "GET")}
    if expected in REFUSED:
        assert snapshot(app) == before, f"a refused request ({expected}) changed the database"


# Issue 9: annotator A, assigned to the bridge group, calls every id-taking route with ids that are not theirs:
# annotator B's spans and concept, the gold set, and ids of another project (Harbour, where A has no part). The
# reviewer, who may decide on B's spans, may not reach another group's spans through this group's review routes.
FOREIGN = {
    "edit B's span": ("POST", G + "/annotations/{b_span}", {"version": 2, "label": "ORG"}, 404),
    "delete B's span": ("POST", G + "/annotations/{b_span}/delete", {"version": 2}, 404),
    "accept B's span as if a suggestion": ("POST", G + "/annotations/{b_span}/accept", None, 404),
    "reject B's span as if a suggestion": ("POST", G + "/annotations/{b_span}/reject", None, 404),
    "accept a gold span as if a suggestion": ("POST", G + "/annotations/{gold}/accept", None, 404),
    "accept another project's suggestion": ("POST", G + "/annotations/{harbour_suggestion}/accept", None, 404),
    "open B's span in the editor": ("GET", G + "/spans?ids={b_span}+{b_span_de}", None, 404),
    "search concepts for B's span": ("GET", G + "/concepts?annotation={b_span}&q=", None, 404),
    "make a concept for B's span": ("POST", G + "/concepts", {"annotation": "{b_span}", "name": "Dunmore",
                                                             "version": 2}, 404),
    "point A's span at B's span": ("POST", G + "/annotations/{a_span}",
                                   {"version": 1, "counterpart_id": "{b_span_de}"}, 404),
    "link A's span to another project's concept": ("POST", G + "/annotations/{a_span}",
                                                   {"version": 1, "concept_id": "{harbour_concept}"}, 404),
    "label a document of another project": ("POST", G + "/annotations",
                                            {"document_id": "{harbour_doc}", "char_start": 15, "char_end": 25,
                                             "surface": "Omar Reyes", "layer": "entity", "label": "PER"}, 404),
    "confirm another project's row": ("POST", G + "/rows/{harbour_row}/confirm", None, 404),
    "merge another project's row": ("POST", G + "/rows/{harbour_row}/merge", None, 404),
    "accept the suggestions of another project's row": ("POST", G + "/rows/{harbour_row}/accept-suggestions",
                                                        None, 404),
    "move another project's paragraph": ("POST", G + "/paragraphs/{harbour_segment}/move/down", None, 404),
    "split another project's paragraph": ("POST", G + "/paragraphs/{harbour_segment}/split", None, 404),
    "detach another project's paragraph": ("POST", G + "/paragraphs/{harbour_segment}/detach", None, 404),
    "submit a group of someone else": ("POST", "/projects/{slug}/groups/{other_key}/submit", None, 404),
    "decide on B's span for the gold set": ("POST", G + "/review/{b_span}/accept", None, 403),
    "take B's span out of the gold set": ("POST", G + "/review/gold/{gold}/delete", None, 403),
    "download every annotator's labels": ("POST", "/projects/{slug}/exports", {"what": "all"}, 403),
    "download them over the API": ("POST", API + "/exports", {"labels": "all"}, 403),
    "API: edit B's span": ("PATCH", API + "/groups/{key}/annotations/{b_span}", {"version": 2, "label": "ORG"}, 404),
    "API: delete B's span": ("DELETE", API + "/groups/{key}/annotations/{b_span}?version=2", None, 404),
    "API: point A's span at B's span": ("PATCH", API + "/groups/{key}/annotations/{a_span}",
                                        {"version": 1, "counterpart_id": "{b_span_de}"}, 404),
    "API: label a document of another project": (
        "POST", API + "/groups/{key}/annotations",
        {"document_id": "{harbour_doc}", "char_start": 15, "char_end": 25, "surface": "Omar Reyes",
         "layer": "entity", "label": "PER"}, 404),
    "API: edit C's span in another project": ("PATCH", "/api/v1/projects/{harbour_slug}/groups/{harbour_key}"
                                              "/annotations/{c_span}", {"version": 1, "label": "ORG"}, 404),
    "give B a new role": ("POST", "/admin/accounts/{b_user}/role", {"role": "annotator"}, 403),
    "give B a new password": ("POST", "/admin/accounts/{b_user}/password", {"password": "mine now"}, 403),
}
FOREIGN_TO_REVIEWER = {
    "decide on another project's span": ("POST", G + "/review/{c_span}/accept", None, 404),
    "reject another project's span": ("POST", G + "/review/{c_span}/reject", None, 404),
    "take another project's gold span out": ("POST", G + "/review/gold/{harbour_gold}/delete", None, 404),
    "take an annotator's span out as if gold": ("POST", G + "/review/gold/{b_span}/delete", None, 404),
    "write gold on another project's document": (
        "POST", G + "/review/gold", {"document_id": "{harbour_doc}", "char_start": 15, "char_end": 25,
                                     "surface": "Omar Reyes", "layer": "entity", "label": "PER"}, 404),
    "open the gold form on another project's document": (
        "GET", G + "/review/gold/new?document_id={harbour_doc}&char_start=15&char_end=25", None, 404),
    "edit B's span through the annotation routes": ("POST", G + "/annotations/{b_span}", {"version": 2,
                                                                                        "label": "ORG"}, 404),
}


def _fill(data, ids: dict):
    """Put the world's ids into a body (``"{b_span}"`` becomes B's span id, as an int)."""
    if data is None:
        return None
    return {name: int(value.format(**ids)) if isinstance(value, str) and re.fullmatch(r"\{\w+\}", value) else value
            for name, value in data.items()}


@pytest.mark.parametrize("role, what", [("assigned", what) for what in sorted(FOREIGN)] +
                         [("reviewer", what) for what in sorted(FOREIGN_TO_REVIEWER)])
def test_someone_elses_ids_are_refused(world, role, what):
    app, ids = world
    method, path, data, expected = (FOREIGN if role == "assigned" else FOREIGN_TO_REVIEWER)[what]
    before = snapshot(app)
    response = call(app, ids, role, method, path, _fill(data, ids))
    assert response.status_code == expected, f"{what}: {response.status_code}\n{response.get_data(as_text=True)[:300]}"
    assert snapshot(app) == before, f"{what}: refused, and yet the database changed"


SPAN_IDS = re.compile(r'data-spans="([^"]*)"')


@pytest.mark.parametrize("path", [G, G + "/rows?after=0", G + "/concept-panel"])
def test_an_annotator_reads_only_their_own_labels(world, path):
    app, ids = world
    response = call(app, ids, "assigned", "GET", path)
    assert response.status_code == 200
    shown = {int(i) for found in SPAN_IDS.findall(response.text) for i in found.split()}
    if path == G:
        assert ids["a_span"] in shown  # A's own span is highlighted…
    assert not shown & {ids["b_span"], ids["b_span_de"], ids["gold"]}  # …and nothing of B's or the gold set
    assert "Dunmore (town)" not in response.text  # B's concept is linked only from B's span


def test_the_api_gives_an_annotator_only_their_own_labels_and_groups(world):
    app, ids = world
    body = call(app, ids, "assigned", "GET", API + "/groups/{key}").get_json()
    assert [span["id"] for span in body["annotations"]] == [ids["a_span"]]
    assert [span["id"] for span in body["suggestions"]] == [ids["suggestion"]]
    listed = call(app, ids, "unassigned", "GET", API + "/groups").get_json()
    assert [group["key"] for group in listed["groups"]] == [ids["other_key"]]
    projects = call(app, ids, "assigned", "GET", "/api/v1/projects").get_json()["projects"]
    assert [project["slug"] for project in projects] == [ids["slug"]]  # Harbour is closed and not A's


def test_the_database_comparison_sees_a_single_write(world):
    """The check behind every "nothing changed" above: one new span is a difference."""
    app, ids = world
    before = snapshot(app)
    assert call(app, ids, "assigned", "POST", G + "/annotations", _span_form).status_code == 201
    assert snapshot(app) != before


def test_the_progress_page_shows_an_annotator_only_their_own_figures(world):
    app, ids = world
    mine = call(app, ids, "assigned", "GET", "/projects/{slug}/progress").text
    assert USERNAMES["assigned"] in mine and USERNAMES["other_annotator"] not in mine
    everyone = call(app, ids, "reviewer", "GET", "/projects/{slug}/progress").text
    assert USERNAMES["assigned"] in everyone and USERNAMES["other_annotator"] in everyone


def test_undo_reverts_only_your_own_changes(world):
    app, ids = world
    engine = app.extensions["labeler.engine"]
    with Session(engine) as session:
        theirs_before = [annotations.snapshot(a) for a in session.exec(
            select(Annotation).where(Annotation.annotator_id == ids["b_user"]))]
    assert call(app, ids, "assigned", "POST", G + "/undo").status_code == 200
    with Session(engine) as session:
        assert session.get(Annotation, ids["a_span"]).deleted_at is not None  # A's last change (the span) undone
        assert [annotations.snapshot(a) for a in session.exec(
            select(Annotation).where(Annotation.annotator_id == ids["b_user"]))] == theirs_before


def _project_routes(app) -> list[tuple[str, str, str]]:
    """Every route under a project (it takes a ``slug``), with the URL built for the Harbour project."""
    found = []
    for rule in app.url_map.iter_rules():
        if "slug" not in rule.arguments:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((rule.endpoint, method, rule.rule))
    return sorted(found)


# Placeholders for the other arguments: a project one is not part of must be a 404 before any id is looked at.
OTHER_ARGUMENTS = {"key": "{harbour_key}", "annotation_id": "{c_span}", "row_id": "{harbour_row}",
                   "segment_id": "{harbour_segment}", "direction": "down", "action": "accept",
                   "place_key": "1-entity-0-5"}


def test_a_project_you_are_not_part_of_does_not_exist(world):
    """Annotator A, who has no group in the closed Harbour project, calls every project route of it: all 404
    (the admin pages, 403 to anyone but an admin, say so first), and nothing changes."""
    app, ids = world
    routes = _project_routes(app)
    assert len(routes) > 30  # every group, label, review, export, API and admin route of a project
    before = snapshot(app)
    for endpoint, method, rule in routes:
        path = re.sub(r"<(?:\w+(?:\([^)]*\))?:)?(\w+)>",
                      lambda m: "{harbour_slug}" if m.group(1) == "slug" else OTHER_ARGUMENTS[m.group(1)], rule)
        response = call(app, ids, "assigned", method, path, _fill({"version": 1}, ids) if method != "GET" else None)
        expected = 403 if endpoint.startswith("admin.") else 404
        assert response.status_code == expected, f"{endpoint} {method} {path}: {response.status_code}"
        # The page says the project does not exist; it does not say that it exists and is closed.
        assert "Harbour" not in response.get_data(as_text=True)
    assert snapshot(app) == before


def test_every_form_and_htmx_request_needs_the_csrf_token(world):
    """Every state-changing page route, even for an admin, refuses a request without this session's token (a
    request another site made the browser send): 400, and nothing changes. The API takes no cookie, so no token."""
    app, ids = world
    before = snapshot(app)
    checked = 0
    for (endpoint, method), case in sorted(ROUTES.items()):
        if method == "GET" or case.path.startswith("/api/"):
            continue
        client = app.test_client()
        with client.session_transaction() as cookie:
            cookie["csrf_token"] = CSRF
            cookie["user_id"] = ids["users"]["admin"]
        body = case.data(ids) if callable(case.data) else dict(case.data or {})
        body.pop("csrf_token", None)
        response = client.open(case.path.format(**ids), method=method, data=body, headers={"HX-Request": "true"})
        assert response.status_code == 400, f"{endpoint} {method}: {response.status_code} without a CSRF token"
        checked += 1
    assert checked >= 25  # every page form of the app: labels, rows, spans, review, exports, admin
    assert snapshot(app) == before
