"""Web security, checked route by route: CSRF on every state-changing request, session cookies, security
headers and a Content-Security-Policy that our own pages never need to relax, login throttling, logout, and the
API's token-only authentication (which is why it needs no CSRF token).
"""

import hashlib
import re
from html.parser import HTMLParser

import pytest
from sqlalchemy import text
from sqlmodel import SQLModel

from labeler import create_app
from labeler.auth import AccountError, LoginThrottle, create_user
from tests.conftest import PASSWORD, AuthActions, csrf_from
from tests.web.test_annotations import group  # noqa: F401 (fixture: project Bridge, groups "bridge" and "other")

ARGUMENTS = {"slug": "bridge", "key": "bridge", "direction": "down", "action": "accept"}
API_PREFIX = "/api/"


def state_changing_routes(app) -> list[tuple[str, str]]:
    """Every (method, URL) of the app that changes something, outside the token-only API."""
    routes = []
    adapter = app.url_map.bind("localhost")
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"GET", "HEAD", "OPTIONS"}):
            if rule.rule.startswith(API_PREFIX):
                continue
            values = {name: 1 if rule._converters[name].regex.startswith("\\d") else ARGUMENTS.get(name, "x")
                      for name in rule.arguments}
            routes.append((method, adapter.build(rule.endpoint, values, method=method)))
    return routes


def page_routes(app) -> list[str]:
    """Every page a person opens (GET, outside the API and static files), with the test group's names."""
    adapter = app.url_map.bind("localhost")
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.rule.startswith((API_PREFIX, "/static")) or rule.endpoint == "index":
            continue
        if set(rule.arguments) <= {"slug", "key"}:
            urls.append(adapter.build(rule.endpoint, {name: ARGUMENTS[name] for name in rule.arguments}))
    return urls


def database_fingerprint(session) -> str:
    """A hash of every row of every table: equal before and after means nothing was written."""
    session.expire_all()
    digest = hashlib.sha256()
    for table in SQLModel.metadata.sorted_tables:
        for row in session.execute(text(f'SELECT * FROM "{table.name}" ORDER BY 1')):
            digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()


@pytest.fixture
def admin(auth, group):
    auth.login("adm_user")
    return auth


def test_the_route_list_covers_the_app(app):
    routes = state_changing_routes(app)
    assert ("POST", "/logout") in routes and ("POST", "/projects/bridge/groups/bridge/annotations") in routes
    assert len(routes) >= 20


def test_every_state_changing_request_needs_this_sessions_csrf_token(app, admin, client, session):
    before = database_fingerprint(session)
    other = AuthActions(app.test_client())
    other.login("ann_user")  # a token of another session is no better than none
    for method, url in state_changing_routes(app):
        data = {"version": "1", "label": "ORG", "name": "x", "what": "gold", "role": "admin", "username": "eve",
                "password": "secret-pass"}
        for token in (None, "", other.csrf, admin.csrf[:-2] + "xx"):
            sent = {**data, "csrf_token": token} if token is not None else data
            response = client.open(url, method=method, data=sent)
            assert response.status_code == 400, (method, url, token, response.status_code)
            assert "expired" in response.text
            response = client.open(url, method=method, data=data, headers={"X-CSRFToken": token or ""})
            assert response.status_code == 400, (method, url, "header", token)
    assert database_fingerprint(session) == before, "a request without a valid CSRF token wrote something"
    # The same requests with the right token get past the check (whatever the view answers then).
    for method, url in state_changing_routes(app):
        if url != "/logout":
            response = admin.client.open(url, method=method, headers={"X-CSRFToken": admin.csrf})
            assert "expired" not in response.text, (method, url)


def test_logging_in_starts_a_new_session_and_the_old_token_dies(client, users):
    auth = AuthActions(client)
    before_login = csrf_from(client.get("/login").text)
    auth.login()
    assert auth.csrf != before_login
    assert client.post("/logout", data={"csrf_token": before_login}).status_code == 400
    assert client.get("/projects/").status_code == 200  # still logged in


def test_logout_is_a_post_with_a_token_so_another_site_cannot_log_you_out(auth, client):
    auth.login()
    assert client.get("/logout").status_code == 405  # an <img src="/logout"> elsewhere does nothing
    assert client.post("/logout").status_code == 400
    assert client.get("/projects/").status_code == 200
    assert auth.post("/logout").status_code == 302
    assert client.get("/projects/").status_code == 302


def session_cookie(response) -> str:
    (cookie,) = [value for value in response.headers.getlist("Set-Cookie") if value.startswith("session=")]
    return cookie


def test_the_session_cookie_is_httponly_samesite_and_secure_when_asked(client, users, database_url, monkeypatch):
    auth = AuthActions(client)
    auth.csrf = csrf_from(client.get("/login").text)
    response = client.post("/login", data={"username": "ann_user", "password": PASSWORD, "csrf_token": auth.csrf})
    cookie = session_cookie(response)
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # plain http on 127.0.0.1 must work out of the box

    monkeypatch.setenv("LABELER_SECURE_COOKIES", "1")
    behind_https = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "test-secret", "TESTING": True})
    secure_client = behind_https.test_client()
    token = csrf_from(secure_client.get("/login", base_url="https://localhost").text)
    response = secure_client.post("/login", base_url="https://localhost",
                                  data={"username": "ann_user", "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    assert "Secure" in session_cookie(response) and "HttpOnly" in session_cookie(response)
    behind_https.extensions["labeler.engine"].dispose()


def csp(response) -> dict[str, str]:
    policy = response.headers["Content-Security-Policy"]
    return {part.split()[0]: " ".join(part.split()[1:]) for part in policy.split(";") if part.strip()}


def test_every_kind_of_response_carries_the_security_headers(admin, client):
    responses = {
        "page": client.get("/projects/bridge"),
        "fragment": client.get("/projects/bridge", headers={"HX-Request": "true"}),
        "not found": client.get("/projects/nothing-here"),
        "script": client.get("/static/js/app.js"),
        "API": client.get("/api/v1/projects"),
        "login": AuthActions(client.application.test_client()).client.get("/login"),
        "redirect": client.get("/"),
    }
    for name, response in responses.items():
        policy = csp(response)
        assert policy["default-src"] == "'self'", name
        assert policy["script-src"] == "'self'", name  # no 'unsafe-inline', no 'unsafe-eval', no CDN
        assert policy["style-src"] == "'self'", name
        assert policy["object-src"] == "'none'" and policy["base-uri"] == "'self'", name
        assert policy["form-action"] == "'self'", name
        assert policy["frame-ancestors"] == "'none'", name  # no framing: no clickjacking of the label buttons
        assert response.headers["X-Frame-Options"] == "DENY", name
        assert response.headers["X-Content-Type-Options"] == "nosniff", name
        assert response.headers["Referrer-Policy"] == "same-origin", name


class InlineCode(HTMLParser):
    """Collects what a strict Content-Security-Policy would block: inline script, styles, event handlers."""

    def __init__(self):
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        names = {name for name, _ in attrs}
        if tag == "script" and "src" not in names:
            self.found.append("inline <script>")
        if tag == "style":
            self.found.append("<style> element")
        self.found += [f"{tag} {name}=" for name in names if name.startswith("on") or name == "style"]
        self.found += [f"{tag} {name}=javascript:" for name, value in attrs
                       if value and re.match(r"\s*javascript:", value, re.IGNORECASE)]


def test_our_pages_need_no_inline_code_so_the_policy_can_forbid_it(app, admin, client):
    checked = 0
    for url in page_routes(app):
        for headers in ({}, {"HX-Request": "true"}):
            response = client.get(url, headers=headers)
            if response.status_code != 200 or not response.mimetype == "text/html":
                continue
            parser = InlineCode()
            parser.feed(response.text)
            assert parser.found == [], (url, headers, parser.found)
            checked += 1
    assert checked >= 8


def test_failed_logins_are_throttled_per_address_and_say_when_to_retry(client, users):
    auth = AuthActions(client)
    for _ in range(10):
        assert auth.login(password="wrong").status_code == 401
    refused = auth.login()
    assert refused.status_code == 429 and 1 <= int(refused.headers["Retry-After"]) <= 300
    elsewhere = client.application.test_client()
    token = csrf_from(elsewhere.get("/login").text)
    response = elsewhere.post("/login", data={"username": "ann_user", "password": PASSWORD, "csrf_token": token},
                              environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert response.status_code == 302  # another address is not locked out with the attacker


def test_the_throttle_forgets_failures_after_its_window(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr("labeler.auth.time.monotonic", lambda: now[0])
    throttle = LoginThrottle(allowed=3, window=60)
    for _ in range(3):
        throttle.failed("198.51.100.1")
    assert throttle.retry_after("198.51.100.1") == 61
    assert throttle.retry_after("198.51.100.2") == 0
    now[0] += 30
    assert throttle.retry_after("198.51.100.1") == 31
    now[0] += 31
    assert throttle.retry_after("198.51.100.1") == 0


def test_a_browser_session_cannot_write_through_the_api(auth, client, session, group):
    # Why /api/ may skip CSRF: it reads only the Authorization header, which another site cannot make a
    # browser send. A logged-in browser's cookie posting there is anonymous.
    auth.login()
    before = database_fingerprint(session)
    response = client.post("/api/v1/projects/bridge/groups/bridge/annotations",
                           json={"document_id": 1, "char_start": 0, "char_end": 5, "surface": "Mayor",
                                 "layer": "entity", "label": "PER"})
    assert response.status_code == 401
    assert database_fingerprint(session) == before


@pytest.mark.parametrize("name", ["\u202enimda", "ad\u200dmin", "admin\u0000", "root\u2066"])
def test_user_names_with_invisible_or_control_characters_are_refused(session, name):
    with pytest.raises(AccountError, match="control or invisible"):
        create_user(session, name, PASSWORD)
