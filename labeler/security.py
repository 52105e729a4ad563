"""CSRF tokens on every state-changing request, and security headers on every response.

Forms carry the token in a hidden field; htmx sends it as the ``X-CSRFToken`` header (set once on ``<body>``
through ``hx-headers``), so every htmx request is covered too.
"""

import hmac
import json
import secrets

from flask import Flask, abort, request, session
from flask.json.provider import DefaultJSONProvider
from werkzeug.routing import IntegerConverter

from labeler.models import INT_MAX

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRFToken"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


def csrf_token() -> str:
    """Return this session's CSRF token, creating it on first use."""
    if CSRF_FIELD not in session:
        session[CSRF_FIELD] = secrets.token_urlsafe(32)
    return session[CSRF_FIELD]


def check_csrf() -> None:
    if request.method in SAFE_METHODS or request.endpoint == "static":
        return
    if request.path.startswith("/api/"):
        return  # the API authenticates by bearer token only, which another site cannot make a browser send
    sent = request.headers.get(CSRF_HEADER) or request.form.get(CSRF_FIELD, "")
    expected = session.get(CSRF_FIELD, "")
    if not expected or not hmac.compare_digest(sent, expected):
        abort(400, description="The form has expired or was not sent by this site. Reload the page and try again.")


class BoundedIntConverter(IntegerConverter):
    """``<int:...>`` in every route, limited to what the database can hold: a larger number in a URL is a 404."""

    def __init__(self, map, fixed_digits=0, min=None, max=INT_MAX, signed=False):  # noqa: A002 (werkzeug's names)
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


class StrictJSONProvider(DefaultJSONProvider):
    """Flask's JSON, refusing request bodies whose strings are not Unicode text.

    JSON escapes can spell lone surrogates (``"\\ud800"``): Python accepts them, but no database, page or file can
    store them as UTF-8, so they would fail deep inside a write (a 500). ``request.get_json`` turns the
    ``ValueError`` into a 400, for every JSON endpoint at once.
    """

    def loads(self, s, **kwargs):
        value = super().loads(s, **kwargs)
        try:
            json.dumps(value, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError("the JSON holds a lone surrogate (\\ud800 to \\udfff), which is not text") from None
        return value


def add_headers(response):
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    return response


def init_app(app: Flask) -> None:
    """Check CSRF before every request, add the headers after it, bound every ``<int:...>`` in a URL.

    Runs before any blueprint is registered: the converter must be in the map when the rules are added.
    """
    app.url_map.converters["int"] = BoundedIntConverter
    app.json = StrictJSONProvider(app)
    app.before_request(check_csrf)
    app.after_request(add_headers)
    app.jinja_env.globals["csrf_token"] = csrf_token
