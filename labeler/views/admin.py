"""Administration (admins only): accounts and their roles and passwords, projects and their assignments.

Every action goes through the functions of ``labeler user`` and ``labeler assign``. An htmx action answers with
the region it changed (an account's row, a project's card, the add form) and an ``HX-Trigger`` that names what it
did; the regions it did not render listen for those events and fetch themselves again. Without htmx, the forms
post and come back to the page.
"""

import json
from urllib.parse import quote

from flask import Blueprint, abort, flash, g, make_response, redirect, render_template, request, url_for

from labeler import admin, assignments, htmx
from labeler.auth import AccountError, create_user, set_password, set_role
from labeler.db import get_session
from labeler.models import ROLES, User
from labeler.views import SAVED_EVENT, page_or_fragment, project_or_404

bp = Blueprint("admin", __name__, url_prefix="/admin")

# Events the regions of the page refresh on. A new account: the accounts table and the projects (their lists of
# annotators). A new role: the projects (the row has already changed). New assignments: the accounts' counts.
ACCOUNTS_CHANGED = "labeler:accounts-changed"
ANNOTATORS_CHANGED = "labeler:annotators-changed"
WORK_CHANGED = "labeler:work-changed"


@bp.before_request
def admins_only():
    """Refuse everyone but admins (the app has already sent anonymous visitors to the login page)."""
    if g.user is None or g.user.role != "admin":
        abort(403, description="Only admins manage users and projects.")


@bp.context_processor
def event_names() -> dict:
    return {"accounts_changed": ACCOUNTS_CHANGED, "annotators_changed": ANNOTATORS_CHANGED,
            "work_changed": WORK_CHANGED}


def _page_context(**overrides) -> dict:
    """Everything the page shows; a form that went wrong passes its values and errors in ``overrides``."""
    session = get_session()
    context = {"accounts": admin.account_summaries(session), "projects": admin.project_summaries(session),
               "annotators": admin.annotators(session), "roles": ROLES, "problem": None,
               "account_form": {}, "account_errors": {}, "card_project": None, "card_form": {}, "card_errors": {}}
    context.update(overrides)
    return context


def _page(status: int = 200, **overrides):
    """Render the whole admin page (without htmx, a refused form comes back here with its values and errors)."""
    response = make_response(render_template("admin/index.html", **_page_context(**overrides)), status)
    response.headers["Vary"] = "HX-Request"
    return response


def _answer(template: str, status: int = 200, message: str | None = None, events: tuple[str, ...] = (),
            error: str | None = None, **context):
    """Render one region for htmx, with the events that tell the page what happened."""
    response = make_response(render_template(template, roles=ROLES, **context), status)
    response.headers["Vary"] = "HX-Request"
    triggers = {SAVED_EVENT: {"message": message}} if message else {}
    triggers.update({name: True for name in events})
    if triggers:
        response.headers["HX-Trigger"] = json.dumps(triggers)
    if error:
        response.headers["X-Labeler-Message"] = quote(error)
    return response


def _done(message: str):
    """Without htmx: say what happened on the admin page (post, redirect, get)."""
    flash(message)
    return redirect(url_for("admin.index"), code=303)


def _account_or_404(user_id: int) -> User:
    user = get_session().get(User, user_id)
    if user is None:
        abort(404, description=f"No user {user_id}.")
    return user


def _account_row(user: User, status: int = 200, message: str | None = None, events: tuple[str, ...] = (),
                 error: str | None = None, **extra):
    (summary,) = admin.account_summaries(get_session(), [user.id])
    return _answer("admin/account_row.html", status, message, events, error, item=summary, **extra)


def _project_card(project, status: int = 200, message: str | None = None, events: tuple[str, ...] = (),
                  errors: dict | None = None, form: dict | None = None):
    session = get_session()
    (summary,) = admin.project_summaries(session, [project.id])
    first_error = next(iter((errors or {}).values()), None)
    return _answer("admin/project_card.html", status, message, events, first_error, item=summary,
                   annotators=admin.annotators(session), card_project=project.id, card_errors=errors or {},
                   card_form=form or {})


@bp.get("")
def index():
    """Show the accounts and the projects."""
    return _page()


@bp.get("/accounts")
def accounts():
    """Return the accounts table (the page refreshes it when assignments change)."""
    return page_or_fragment("admin/index.html", "admin/accounts.html", **_page_context())


@bp.get("/projects")
def projects():
    """Return the projects with their assignments (the page refreshes them when accounts change)."""
    return page_or_fragment("admin/index.html", "admin/projects.html", **_page_context())


@bp.post("/accounts")
def add_account():
    """Add an account with a role and an initial password (empty: a generated one, shown once)."""
    form = {name: request.form.get(name, "") for name in ("username", "role", "password")}
    generated = not form["password"]
    password = admin.generate_password() if generated else form["password"]
    session = get_session()
    try:
        user = create_user(session, form["username"], password, form["role"])
    except AccountError as error:
        session.rollback()
        field = "password" if "password" in str(error) else "role" if "role" in str(error) else "username"
        errors = {field: str(error)}
        if not htmx:
            return _page(422, account_form=form, account_errors=errors)
        return _answer("admin/account_form.html", 422, error=f"Nobody was added: {error}", account_form=form,
                       account_errors=errors)
    session.commit()
    message = f"Added {user.role} {user.username!r}"
    if not htmx and not generated:
        return _done(message)
    if not htmx:
        # A generated password is shown in this answer only: never in a redirect's flash (a cookie).
        return _page(201, added=user, generated=password)
    return _answer("admin/account_form.html", 201, message, (ACCOUNTS_CHANGED,), account_form={}, account_errors={},
                   added=user, generated=password if generated else None)


@bp.post("/accounts/<int:user_id>/role")
def change_role(user_id: int):
    """Change an account's role (the last admin stays an admin)."""
    user = _account_or_404(user_id)
    role = request.form.get("role", "")
    session = get_session()
    try:
        set_role(session, user, role)
    except AccountError as error:
        session.rollback()
        message = f"Nothing changed: {error}"
        if not htmx:
            return _page(422, problem=message)
        return _account_row(session.get(User, user_id), 422, error=message, role_error=message)
    session.commit()
    message = f"{user.username!r} is now {role}"
    if user.id == g.user.id:
        # You just gave up the admin role: this page is no longer yours.
        flash(message + "; the admin page is for admins only.")
        response = make_response("")
        response.headers["HX-Redirect"] = url_for("projects.index")
        return response if htmx else redirect(url_for("projects.index"), code=303)
    if not htmx:
        return _done(message)
    return _account_row(user, message=message, events=(ANNOTATORS_CHANGED,))


@bp.post("/accounts/<int:user_id>/password")
def reset_password(user_id: int):
    """Set an account's password: the one given, or a generated one shown once."""
    user = _account_or_404(user_id)
    given = request.form.get("password", "")
    password = given or admin.generate_password()
    session = get_session()
    try:
        set_password(session, user, password)
    except AccountError as error:
        session.rollback()
        message = f"Password not changed: {error}"
        if not htmx:
            return _page(422, problem=message)
        return _account_row(user, 422, error=message, password_error=message)
    session.commit()
    message = f"New password set for {user.username!r}"
    shown = {"new_password": None if given else password, "new_password_for": user.id}
    if not htmx and given:
        return _done(message)
    if not htmx:
        return _page(**shown)  # shown in this answer only, like a new account's
    return _account_row(user, message=message, **shown)


@bp.post("/projects/<slug>/visibility")
def visibility(slug: str):
    """Open a project to every annotator, or close it to their assignments."""
    project = project_or_404(slug)
    is_open = request.form.get("open") == "1"
    session = get_session()
    assignments.set_open(session, project, is_open)
    session.commit()
    message = (f"{project.name} is open: every annotator sees every group" if is_open else
               f"{project.name} is closed: annotators see only the groups assigned to them")
    if not htmx:
        return _done(message)
    return _project_card(project, message=message)


@bp.post("/projects/<slug>/assignments")
def assign(slug: str):
    """Assign one group to an annotator."""
    project = project_or_404(slug)
    form = {"username": request.form.get("username", ""), "group": request.form.get("group", "")}
    session = get_session()
    try:
        assignment, new = admin.assign_by_hand(session, project, form["username"], form["group"])
    except assignments.AssignmentError as error:
        session.rollback()
        return _refused(project, {"assign": f"Nothing assigned: {error}"}, form)
    session.commit()
    message = (f"{form['username']} now works on {form['group'].strip()}" if new else
               f"{form['username']} already had {form['group'].strip()}: nothing changed")
    if not htmx:
        return _done(message)
    # The same annotator stays chosen: assigning several groups to one person is the common case.
    return _project_card(project, message=message, events=(WORK_CHANGED,), form={"username": form["username"]})


@bp.post("/projects/<slug>/assignments/per-group")
def assign_per_group(slug: str):
    """Give every group of the project N annotators, the least loaded first."""
    project = project_or_404(slug)
    raw = request.form.get("per_group", "").strip()
    session = get_session()
    try:
        if not raw.isdigit():
            raise assignments.AssignmentError("give the number of annotators per group as a whole number")
        made = admin.assign_per_group(session, project, int(raw))
    except assignments.AssignmentError as error:
        session.rollback()
        return _refused(project, {"per_group": f"Nothing assigned: {error}"}, {"per_group": raw})
    session.commit()
    message = (f"{made} new assignment{'' if made == 1 else 's'}: every group of {project.name} has {raw} annotators"
               if made else f"Nothing new: every group of {project.name} already has {raw} annotators")
    if not htmx:
        return _done(message)
    return _project_card(project, message=message, events=(WORK_CHANGED,), form={"per_group": raw})


def _refused(project, errors: dict, form: dict):
    if not htmx:
        return _page(422, card_project=project.id, card_errors=errors, card_form=form)
    return _project_card(project, 422, errors=errors, form=form)
