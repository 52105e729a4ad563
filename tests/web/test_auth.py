"""Login, logout, CSRF and the rule that every page but login needs a user."""

import pytest

from tests.conftest import PASSWORD, csrf_from


@pytest.mark.parametrize("path", ["/", "/projects/", "/projects/x", "/projects/x/groups/y"])
def test_pages_need_a_login(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert "/login" in response.location


def test_login_page_is_public_and_has_a_csrf_token(client):
    response = client.get("/login")
    assert response.status_code == 200
    assert csrf_from(response.text)


def test_login_with_right_password_opens_projects(auth, client):
    response = auth.login()
    assert response.status_code == 302
    assert response.location.endswith("/projects/")
    assert client.get("/projects/").status_code == 200


def test_wrong_password_shows_a_message_and_no_session(auth, client):
    response = auth.login(password="wrong")
    assert response.status_code == 401
    assert "Wrong user name or password" in response.text
    assert client.get("/projects/").status_code == 302


def test_login_without_csrf_token_is_refused(client, users):
    response = client.post("/login", data={"username": "ann_user", "password": PASSWORD})
    assert response.status_code == 400
    assert "expired" in response.text


def test_login_goes_back_to_the_page_asked_for_but_never_off_site(auth, client):
    auth.csrf = csrf_from(client.get("/login").text)
    response = client.post("/login", data={"username": "ann_user", "password": PASSWORD,
                                           "csrf_token": auth.csrf, "next": "//evil.example/"})
    assert response.location.endswith("/projects/")
    client.post("/logout", data={"csrf_token": auth.csrf})
    auth.csrf = csrf_from(client.get("/login").text)
    response = client.post("/login", data={"username": "ann_user", "password": PASSWORD,
                                           "csrf_token": auth.csrf, "next": "/projects/demo"})
    assert response.location.endswith("/projects/demo")


def test_logout_ends_the_session(auth, client):
    auth.login()
    response = auth.post("/logout")
    assert response.status_code == 302
    assert client.get("/projects/").status_code == 302


def test_htmx_request_with_expired_session_redirects_the_whole_page(client):
    response = client.get("/projects/", headers={"HX-Request": "true"})
    assert response.headers["HX-Redirect"].startswith("/login")


def test_passwords_are_stored_hashed(users):
    assert PASSWORD not in users["annotator"].password_hash


def test_security_headers(client):
    response = client.get("/login")
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "HttpOnly" in client.get("/login").headers.get("Set-Cookie", "HttpOnly")


def test_too_many_failed_logins_are_throttled(auth, client):
    for _ in range(10):
        assert auth.login(password="wrong").status_code == 401
    response = auth.login()  # even the right password waits now
    assert response.status_code == 429
    assert "Too many failed logins" in response.text
