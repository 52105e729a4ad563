"""Accounts: password hashing, login and logout, and the rule that every page but login needs a user."""

import hashlib
import secrets
import threading
import time
import unicodedata
from collections import defaultdict, deque

from flask import Blueprint, Flask, abort, current_app, g, redirect, render_template, request, session, url_for
from sqlalchemy import bindparam
from sqlmodel import Session, select
from werkzeug.security import check_password_hash, generate_password_hash

from labeler.db import get_session
from labeler.models import ROLES, User

bp = Blueprint("auth", __name__)
PUBLIC_ENDPOINTS = {"auth.login", "static", "api.openapi"}
API_PREFIX = "/api/"
TOKEN_PREFIX = "lbl_"
USERNAME_MAX = 64
PASSWORD_MIN = 4
LOGIN_FAILURES_ALLOWED = 10
LOGIN_WINDOW_SECONDS = 300


class LoginThrottle:
    """Refuse logins from an address after too many failures in a sliding window.

    Kept in memory, so per server process: enough to make guessing passwords slow, not a substitute for a
    proxy's rate limit in front of several workers.
    """

    def __init__(self, allowed: int = LOGIN_FAILURES_ALLOWED, window: float = LOGIN_WINDOW_SECONDS):
        self.allowed, self.window = allowed, window
        self.failures: dict[str, deque[float]] = defaultdict(deque)
        self.lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        times = self.failures[key]
        while times and times[0] <= now - self.window:
            times.popleft()
        return times

    def retry_after(self, key: str) -> int:
        """Return the seconds to wait before ``key`` may try again (0: now)."""
        now = time.monotonic()
        with self.lock:
            times = self._recent(key, now)
            if len(times) < self.allowed:
                return 0
            return max(int(times[0] + self.window - now) + 1, 1)

    def failed(self, key: str) -> None:
        with self.lock:
            self._recent(key, time.monotonic()).append(time.monotonic())

    def succeeded(self, key: str) -> None:
        with self.lock:
            self.failures.pop(key, None)


class AccountError(ValueError):
    pass


def create_user(session: Session, username: str, password: str, role: str = "annotator") -> User:
    """Create an account with a hashed password.

    :param session: database session; the caller commits.
    :param username: 1–64 characters, no white space.
    :param password: at least ``PASSWORD_MIN`` characters.
    :param role: one of ``ROLES``.
    :returns: the new user.
    :raises AccountError: on a bad name, password or role, or a name already taken.
    """
    username = username.strip()
    if not username or len(username) > USERNAME_MAX or any(ch.isspace() for ch in username):
        raise AccountError(f"a user name is 1 to {USERNAME_MAX} characters without spaces")
    if any(unicodedata.category(ch).startswith("C") for ch in username):
        # Control and format characters (bidi overrides, zero-width joiners) let one name pass for another.
        raise AccountError("a user name cannot contain control or invisible formatting characters")
    if role not in ROLES:
        raise AccountError(f"unknown role {role!r}; choose one of {', '.join(ROLES)}")
    if len(password) < PASSWORD_MIN:
        raise AccountError(f"the password needs at least {PASSWORD_MIN} characters")
    if session.exec(select(User).where(User.username == username)).first():
        raise AccountError(f"user {username!r} already exists")
    user = User(username=username, password_hash=generate_password_hash(password), role=role)
    session.add(user)
    session.flush()
    return user


def set_role(session: Session, user: User, role: str) -> None:
    """Change a user's role.

    :raises AccountError: on an unknown role, or when it would leave no admin.
    """
    if role not in ROLES:
        raise AccountError(f"unknown role {role!r}; choose one of {', '.join(ROLES)}")
    if user.role == "admin" and role != "admin":
        admins = session.exec(select(User.id).where(User.role == "admin")).all()
        if len(admins) <= 1:
            raise AccountError("this is the last admin: make another admin first")
    user.role = role
    session.add(user)
    session.flush()


def set_password(session: Session, user: User, password: str) -> None:
    """Give a user a new password (their sessions elsewhere stay until they expire).

    :raises AccountError: on a password that is too short.
    """
    if len(password) < PASSWORD_MIN:
        raise AccountError(f"the password needs at least {PASSWORD_MIN} characters")
    user.password_hash = generate_password_hash(password)
    session.add(user)
    session.flush()


def authenticate(session: Session, username: str, password: str) -> User | None:
    """Return the user whose name and password match, or None."""
    user = session.exec(select(User).where(User.username == username.strip())).first()
    if user is None or not check_password_hash(user.password_hash, password):
        return None
    return user


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(db: Session, user: User) -> str:
    """Give the user a new API token (replacing any earlier one); only its hash is stored.

    :returns: the token, to show once.
    """
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    user.api_token_hash = _token_hash(token)
    db.add(user)
    db.flush()
    return token


def user_for_token(db: Session, token: str) -> User | None:
    if not token.startswith(TOKEN_PREFIX):
        return None
    return db.exec(select(User).where(User.api_token_hash == _token_hash(token))).first()


# Every request reads its user: a statement built once, rather than the one ``session.get`` builds each time (issue 8).
_USER_BY_ID = select(User).where(User.id == bindparam("user_id"))


def load_user() -> None:
    """Find who is asking: the session's user on pages, the bearer token's user on the API (never a cookie,
    so that another site cannot make a browser call the API)."""
    g.user = None
    if request.endpoint == "static":
        return  # stylesheets and scripts are public: no query for them
    if request.path.startswith(API_PREFIX):
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            g.user = user_for_token(get_session(), token.strip())
        return
    user_id = session.get("user_id")
    if user_id is not None:
        g.user = get_session().exec(_USER_BY_ID, params={"user_id": user_id}).first()


def require_login():
    if g.user is None and request.endpoint not in PUBLIC_ENDPOINTS and request.path.startswith(API_PREFIX):
        abort(401, description="send a valid API token: Authorization: Bearer <token> (labeler user token NAME)")
    if g.user is None and request.endpoint not in PUBLIC_ENDPOINTS and request.endpoint is not None:
        target = request.full_path if request.method == "GET" else url_for("projects.index")
        response = redirect(url_for("auth.login", next=target.rstrip("?")))
        if request.headers.get("HX-Request"):
            # An expired session inside an htmx swap: send the whole page to the login form.
            response.headers["HX-Redirect"] = response.location
        return response
    return None


def _safe_next(target: str | None) -> str:
    # Only local paths: an absolute URL here would make the login form an open redirect.
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("projects.index")


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Show the login form, or log in."""
    error, status = None, 200
    if request.method == "POST":
        throttle: LoginThrottle = current_app.extensions["labeler.login_throttle"]
        address = request.remote_addr or "unknown"
        wait = throttle.retry_after(address)
        if wait:
            error, status = f"Too many failed logins. Try again in {wait} seconds.", 429
        else:
            user = authenticate(get_session(), request.form.get("username", ""), request.form.get("password", ""))
            if user is None:
                throttle.failed(address)
                error, status = "Wrong user name or password.", 401
            else:
                throttle.succeeded(address)
                session.clear()
                session["user_id"] = user.id
                return redirect(_safe_next(request.form.get("next")))
    headers = {"Retry-After": str(wait)} if status == 429 else {}
    return render_template("login.html", error=error, next=request.values.get("next", "")), status, headers


@bp.post("/logout")
def logout():
    """Log out."""
    session.clear()
    return redirect(url_for("auth.login"))


def init_app(app: Flask) -> None:
    app.extensions["labeler.login_throttle"] = LoginThrottle()
    app.before_request(load_user)
    app.before_request(require_login)
