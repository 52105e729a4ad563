"""labeler: annotate multilingual text side by side."""

from pathlib import Path

from flask import Flask, redirect, url_for
from flask_htmx import HTMX

from labeler import config, db

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "templates"
STATIC = ROOT / "static"
htmx = HTMX()


def create_app(test_config: dict | None = None) -> Flask:
    """Create the application.

    :param test_config: settings that override the environment (tests pass ``DATABASE_URL`` and friends).
    :returns: the Flask app, with the database upgraded to the latest schema.
    """
    if not TEMPLATES.is_dir():
        raise RuntimeError(f"templates not found at {TEMPLATES}: run from a checkout or after 'pip install -e .'")
    app = Flask(__name__, template_folder=str(TEMPLATES), static_folder=str(STATIC), instance_relative_config=True)
    instance = Path(app.instance_path)
    test_config = test_config or {}
    app.config.from_mapping(
        SECRET_KEY=test_config.get("SECRET_KEY") or config.load_secret_key(instance),
        DATABASE_URL=config.database_url(instance),
        SESSION_COOKIE_HTTPONLY=True,
        # Behind HTTPS (any real deployment), set LABELER_SECURE_COOKIES=1 so cookies never travel in clear.
        SESSION_COOKIE_SECURE=config.secure_cookies(),
        SESSION_COOKIE_SAMESITE="Lax",
        MAX_CONTENT_LENGTH=64 * 1024 * 1024,
        ROWS_PER_PAGE=40,
    )
    app.config.from_mapping(test_config)
    app.jinja_env.autoescape = True
    db.init_app(app)
    htmx.init_app(app)

    from labeler import auth, security, static_files, views
    from labeler.views import annotations, api, exports, groups, projects, review, rows
    from labeler.views import admin as admin_views
    from labeler.views import progress as progress_views

    security.init_app(app)
    views.init_app(app)
    auth.init_app(app)
    static_files.init_app(app)
    app.register_blueprint(auth.bp)
    app.register_blueprint(projects.bp)
    app.register_blueprint(groups.bp)
    app.register_blueprint(rows.bp)
    app.register_blueprint(annotations.bp)
    app.register_blueprint(exports.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(review.bp)
    app.register_blueprint(admin_views.bp)
    app.register_blueprint(progress_views.bp)

    @app.get("/")
    def index():
        """Send visitors to the project list."""
        return redirect(url_for("projects.index"))

    return app
