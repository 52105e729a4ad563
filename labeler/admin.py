"""Administration: the figures of the admin page, and the few steps it takes that have no single function elsewhere.

Accounts are changed by the same functions as ``labeler user`` (``labeler.auth``) and groups assigned by the same
functions as ``labeler assign`` (``labeler.assignments``), so the page and the command line keep one set of rules
(the last admin stays an admin, only annotators get assignments, passwords have a minimum length).
"""

import secrets

from sqlalchemy import func
from sqlmodel import Session, select

from labeler import assignments, reading
from labeler.models import Annotation, Assignment, Group, Project, User

GENERATED_PASSWORD_BYTES = 12  # 16 URL-safe characters: easy to paste, hard to guess


def generate_password() -> str:
    """Return a new random password, for an admin to hand over once."""
    return secrets.token_urlsafe(GENERATED_PASSWORD_BYTES)


def _counts(session: Session, query) -> dict[int, int]:
    return {key: count for key, count in session.exec(query).all() if key is not None}


def account_summaries(session: Session, user_ids: list[int] | None = None) -> list[dict]:
    """Every account (or only ``user_ids``) with its work: groups assigned and submitted, spans, gold decisions.

    :returns: dicts with ``user``, ``assigned``, ``submitted``, ``spans``, ``decisions`` and ``last_admin`` (True for
        the only admin, whom nobody may demote), in user-name order.
    """
    query = select(User).order_by(User.username)
    if user_ids is not None:
        query = query.where(User.id.in_(user_ids))
    users = list(session.exec(query))
    assigned = _counts(session, select(Assignment.user_id, func.count(Assignment.id)).group_by(Assignment.user_id))
    submitted = _counts(session, select(Assignment.user_id, func.count(Assignment.id))
                        .where(Assignment.status == "submitted").group_by(Assignment.user_id))
    spans = _counts(session, select(Annotation.annotator_id, func.count(Annotation.id)).where(
        Annotation.deleted_at == None, Annotation.status == "accepted")  # noqa: E711 (SQL NULL test)
        .group_by(Annotation.annotator_id))
    decisions = _counts(session, select(Annotation.decided_by_id, func.count(Annotation.id)).where(
        Annotation.deleted_at == None).group_by(Annotation.decided_by_id))  # noqa: E711
    admins = session.exec(select(func.count(User.id)).where(User.role == "admin")).one()
    return [{"user": user, "assigned": assigned.get(user.id, 0), "submitted": submitted.get(user.id, 0),
             "spans": spans.get(user.id, 0), "decisions": decisions.get(user.id, 0),
             "last_admin": user.role == "admin" and admins <= 1} for user in users]


def project_summaries(session: Session, project_ids: list[int] | None = None) -> list[dict]:
    """Every project (or only ``project_ids``) with its counts and assignments.

    :returns: the dicts of :func:`labeler.reading.project_summaries` with ``assignments`` and ``submitted`` (counts),
        ``unassigned`` (groups nobody works on), ``load`` (``[(username, assigned, submitted)]``) and ``group_keys``.
    """
    summaries = [item for item in reading.project_summaries(session)
                 if project_ids is None or item["project"].id in project_ids]
    for item in summaries:
        project = item["project"]
        rows = session.exec(select(User.username, Assignment.status).join(Assignment, Assignment.user_id == User.id)
                            .join(Group, Group.id == Assignment.group_id).where(Group.project_id == project.id)).all()
        load: dict[str, list[int]] = {}
        for username, status in rows:
            counts = load.setdefault(username, [0, 0])
            counts[0] += 1
            counts[1] += status == "submitted"
        keys = list(session.exec(select(Group.key).where(Group.project_id == project.id).order_by(Group.key)))
        covered = session.exec(select(func.count(func.distinct(Assignment.group_id))).join(
            Group, Group.id == Assignment.group_id).where(Group.project_id == project.id)).one()
        item.update(assignments=len(rows), submitted=sum(c[1] for c in load.values()),
                    unassigned=len(keys) - covered, group_keys=keys,
                    load=[(name, *load[name]) for name in sorted(load)])
    return summaries


def annotators(session: Session) -> list[User]:
    """The accounts that may get assignments, by name."""
    return list(session.exec(select(User).where(User.role == "annotator").order_by(User.username)))


def assign_by_hand(session: Session, project: Project, username: str, group_key: str) -> tuple[Assignment, bool]:
    """Assign one group of the project to an annotator, as ``labeler assign --group KEY --user NAME`` does.

    :returns: the assignment, and whether it is new (False: the annotator already had the group).
    :raises AssignmentError: for an unknown group or user, or a user who is not an annotator.
    """
    group = session.exec(select(Group).where(Group.project_id == project.id, Group.key == group_key.strip())).first()
    if group is None:
        raise assignments.AssignmentError(f"no group {group_key.strip()!r} in project {project.name!r}")
    user = session.exec(select(User).where(User.username == username)).first()
    if user is None:
        raise assignments.AssignmentError(f"no user named {username!r}")
    new = assignments.assignment_of(session, user, group) is None
    return assignments.assign(session, group, user), new


def assign_per_group(session: Session, project: Project, per_group: int) -> int:
    """Give every group of the project ``per_group`` annotators, as ``labeler assign --per-group N`` does.

    :returns: how many assignments were made.
    :raises AssignmentError: when there are fewer annotators than asked for.
    """
    return assignments.assign_evenly(session, project, per_group, list(session.exec(select(User))))
