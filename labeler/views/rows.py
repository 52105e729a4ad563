"""Alignment rows: a person confirms, merges, splits and rearranges the rows of a group.

Each action answers with the HTML of the rows it changed: the row it was started from (possibly followed by a
new row below it, or nothing when the row disappeared) as the main swap, and any other changed row out of band.
"""

import json

from flask import Blueprint, abort, g, render_template, url_for

from labeler import corrections, reading, suggestions
from labeler.db import get_session
from labeler.views import SAVED_EVENT, project_and_group_or_404

bp = Blueprint("rows", __name__, url_prefix="/projects/<slug>/groups/<key>")
_MARK = 2147483646  # stands for the id while ``url_for`` builds a pattern; no route's tail holds digits


class IdUrl:
    """A URL with one id in it: ``url_for`` builds it once, and calling the pattern with an id is a concatenation.

    A group page has seven tools per row and paragraph; building each of their URLs with ``url_for`` took a fifth
    of the page's time (issue 8).
    """

    def __init__(self, endpoint: str, id_name: str, **values):
        self.prefix, _, self.suffix = url_for(endpoint, **{id_name: _MARK}, **values).rpartition(str(_MARK))

    def __call__(self, object_id: int) -> str:
        return f"{self.prefix}{object_id}{self.suffix}"

    @property
    def pattern(self) -> str:
        """The URL with ``{id}`` for the id, for the page's script (``url_for`` escapes braces in slugs and keys)."""
        return f"{self.prefix}{{id}}{self.suffix}"


class PairUrl:
    """A URL with two ids in it (a row and a paragraph), built once like :class:`IdUrl`."""

    def __init__(self, endpoint: str, first: str, second: str, **values):
        self.url = url_for(endpoint, **{first: _MARK, second: _MARK - 1}, **values)

    def __call__(self, first: int, second: int) -> str:
        return self.url.replace(str(_MARK), str(first)).replace(str(_MARK - 1), str(second))


def tool_urls(project, group) -> dict[str, IdUrl | PairUrl]:
    """The URL patterns of the row tools (by row id) and paragraph tools (by paragraph id) of a group."""
    where = {"slug": project.slug, "key": group.key}
    return {
        "confirm": IdUrl("rows.confirm", "row_id", **where),
        "accept_suggestions": IdUrl("rows.accept_suggestions", "row_id", **where),
        "merge": IdUrl("rows.merge", "row_id", **where),
        "up": IdUrl("rows.move", "segment_id", direction="up", **where),
        "down": IdUrl("rows.move", "segment_id", direction="down", **where),
        "split": IdUrl("rows.split", "segment_id", **where),
        "detach": IdUrl("rows.detach", "segment_id", **where),
        "continue_below": IdUrl("rows.continue_below", "segment_id", **where),
        "end_continuation": PairUrl("rows.end_continuation", "row_id", "segment_id", **where),
    }


def _context(slug: str, key: str):
    return project_and_group_or_404(slug, key)


def _answer(project, group, main_ids: list[int], other_ids: list[int] = (), deleted_ids: list[int] = (),
            mqm: bool = False):
    """Commit, then render the main rows and the out-of-band ones."""
    session = get_session()
    # A correction that ends a continuation changes the rows it went on in too (or removes them).
    changed, removed = corrections.changed_elsewhere(session)
    other_ids = [*other_ids, *(i for i in changed if i not in main_ids and i not in other_ids)]
    deleted_ids = [*deleted_ids, *(i for i in removed if i not in deleted_ids)]
    session.commit()
    columns, documents = reading.columns(session, group, g.user.id, project.label_schema.get("mqm_weights"))
    built = {row.id: row for row in reading.rows_by_id(session, documents, [*main_ids, *other_ids], g.user.id)}
    # The count above the rows too: a split or a detach adds a row, a merge removes one.
    return render_template(
        "partials/row_update.html", project=project, group=group, columns=columns, tool_urls=tool_urls(project, group),
        main=[built[i] for i in main_ids if i in built], others=[built[i] for i in other_ids if i in built],
        deleted=deleted_ids, mqm=mqm, total=reading.row_count(session, group),
    ), 200, {"Vary": "HX-Request"}


def _refuse(error: corrections.AlignmentError):
    get_session().rollback()
    # A row or paragraph of another group (or project) is not found here, like a span of another annotator.
    abort(404 if isinstance(error, corrections.NotInGroup) else 409, description=str(error))


@bp.post("/rows/<int:row_id>/confirm")
def confirm(slug: str, key: str, row_id: int):
    """Confirm a row: a re-alignment keeps it."""
    project, group = _context(slug, key)
    try:
        row = corrections.confirm_row(get_session(), group.id, row_id, g.user.id)
    except corrections.AlignmentError as error:
        _refuse(error)
    return _answer(project, group, [row.id])


@bp.post("/rows/<int:row_id>/accept-suggestions")
def accept_suggestions(slug: str, key: str, row_id: int):
    """Accept every suggestion of this row that you have not answered."""
    project, group = _context(slug, key)
    try:
        accepted = suggestions.accept_row(get_session(), group, g.user.id, row_id)
    except corrections.AlignmentError as error:
        _refuse(error)
    body, status, headers = _answer(project, group, [row_id], mqm=True)
    count = len(accepted)
    message = f"Accepted {count} suggestion{'' if count == 1 else 's'}" if count else "No suggestion left in this row"
    return body, status, {**headers, "HX-Trigger": json.dumps({SAVED_EVENT: {"message": message}})}


@bp.post("/rows/<int:row_id>/merge")
def merge(slug: str, key: str, row_id: int):
    """Merge a row with the row below it."""
    project, group = _context(slug, key)
    session = get_session()
    try:
        below = corrections.row_below(session, group.id, row_id)
        row = corrections.merge_with_below(session, group.id, row_id, g.user.id)
    except corrections.AlignmentError as error:
        _refuse(error)
    return _answer(project, group, [row.id], deleted_ids=[below.id])


@bp.post("/paragraphs/<int:segment_id>/move/<direction>")
def move(slug: str, key: str, segment_id: int, direction: str):
    """Move a paragraph to the row above or below."""
    if direction not in ("up", "down"):
        abort(404)
    project, group = _context(slug, key)
    session = get_session()
    try:
        _, row = corrections.member_row(session, group.id, segment_id)
        row_id = row.id
        changed = corrections.move_paragraph(session, group.id, segment_id, -1 if direction == "up" else 1, g.user.id)
    except corrections.AlignmentError as error:
        _refuse(error)
    target = changed[0]
    kept = [r.id for r in changed]
    return _answer(project, group, [row_id] if row_id in kept else [], other_ids=[target.id])


@bp.post("/paragraphs/<int:segment_id>/split")
def split(slug: str, key: str, segment_id: int):
    """Split a row before a paragraph."""
    return _into_new_row(slug, key, segment_id, corrections.split_row)


@bp.post("/paragraphs/<int:segment_id>/detach")
def detach(slug: str, key: str, segment_id: int):
    """Give a paragraph a row of its own, just below its row."""
    return _into_new_row(slug, key, segment_id, corrections.detach_paragraph)


def _into_new_row(slug: str, key: str, segment_id: int, correct):
    """Apply a correction that makes a new row for a paragraph; answer with its old row and the new one."""
    project, group = _context(slug, key)
    session = get_session()
    try:
        _, row = corrections.member_row(session, group.id, segment_id)
        row_id = row.id
        new_row = correct(session, group.id, segment_id, g.user.id)
    except corrections.AlignmentError as error:
        _refuse(error)
    return _answer(project, group, [row_id, new_row.id])


@bp.post("/paragraphs/<int:segment_id>/continue")
def continue_below(slug: str, key: str, segment_id: int):
    """Let a paragraph go on into the row below the last row it is in."""
    project, group = _context(slug, key)
    session = get_session()
    try:
        _, row = corrections.member_row(session, group.id, segment_id)
        row_id = row.id
        below = corrections.continue_below(session, group.id, segment_id, g.user.id)
    except corrections.AlignmentError as error:
        _refuse(error)
    above = corrections.row_above(session, group.id, below.id)  # the last row it was in before
    return _answer(project, group, [row_id], other_ids=[i for i in (above.id, below.id) if i != row_id])


@bp.post("/rows/<int:row_id>/continued/<int:segment_id>/end")
def end_continuation(slug: str, key: str, row_id: int, segment_id: int):
    """Take a paragraph out of a row it goes on in (and out of the rows below that one)."""
    project, group = _context(slug, key)
    session = get_session()
    try:
        kept = corrections.end_continuation(session, group.id, row_id, segment_id, g.user.id)
    except corrections.AlignmentError as error:
        _refuse(error)
    ids = [r.id for r in kept]
    # The row asked about answers in place, or goes (its removal comes with the changes made elsewhere).
    return _answer(project, group, [row_id] if row_id in ids else [], other_ids=[i for i in ids if i != row_id])
