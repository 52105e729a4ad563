"""Who works on which group: assignments, each annotator's queue, and what an annotator may see.

Reviewers and admins see every group. An annotator sees every group of an open project, and only the groups
assigned to them in a closed one. A group is assigned to an annotator by hand, or N annotators per group
automatically (the least loaded first); each annotator works through their queue and submits each group.
"""

from collections import Counter

from sqlalchemy import func
from sqlmodel import Session, select

from labeler.models import Assignment, Group, Project, User, utcnow

SEES_EVERYTHING = ("admin", "reviewer")


class AssignmentError(ValueError):
    pass


def sees_everything(user: User) -> bool:
    return user.role in SEES_EVERYTHING


def visible_group_ids(session: Session, user: User, project: Project) -> set[int] | None:
    """The groups of the project the user may open; None means all of them."""
    if sees_everything(user) or project.is_open:
        return None
    return set(session.exec(select(Assignment.group_id).join(Group, Group.id == Assignment.group_id).where(
        Assignment.user_id == user.id, Group.project_id == project.id)))


def may_see_project(session: Session, user: User, project: Project) -> bool:
    visible = visible_group_ids(session, user, project)
    return visible is None or bool(visible)


def may_see_group(session: Session, user: User, project: Project, group: Group) -> bool:
    visible = visible_group_ids(session, user, project)
    return visible is None or group.id in visible


def set_open(session: Session, project: Project, is_open: bool) -> None:
    """Open the project to every annotator, or close it: annotators then see only the groups assigned to them."""
    project.is_open = is_open
    session.add(project)
    session.flush()


def assign(session: Session, group: Group, user: User) -> Assignment:
    """Assign a group to an annotator (again: nothing changes).

    :raises AssignmentError: when the user is not an annotator.
    """
    if user.role != "annotator":
        raise AssignmentError(f"{user.username!r} is a {user.role}: only annotators get assignments")
    existing = session.exec(select(Assignment).where(Assignment.user_id == user.id,
                                                     Assignment.group_id == group.id)).first()
    if existing is not None:
        return existing
    assignment = Assignment(user_id=user.id, group_id=group.id)
    session.add(assignment)
    session.flush()
    return assignment


def assign_evenly(session: Session, project: Project, per_group: int, users: list[User]) -> int:
    """Give every group of the project ``per_group`` annotators, the least loaded first (ties: by name).

    :returns: the number of new assignments.
    :raises AssignmentError: when there are fewer annotators than ``per_group``.
    """
    annotators = sorted((u for u in users if u.role == "annotator"), key=lambda u: u.username)
    if per_group < 1 or per_group > len(annotators):
        raise AssignmentError(f"{per_group} annotators per group asked, {len(annotators)} annotators available")
    groups = list(session.exec(select(Group).where(Group.project_id == project.id).order_by(Group.key)))
    load = Counter(dict(session.exec(select(Assignment.user_id, func.count(Assignment.id)).join(Group).where(
        Group.project_id == project.id).group_by(Assignment.user_id)).all()))
    made = 0
    for group in groups:
        already = set(session.exec(select(Assignment.user_id).where(Assignment.group_id == group.id)))
        for user in sorted((u for u in annotators if u.id not in already), key=lambda u: (load[u.id], u.username)):
            if len(already) >= per_group:
                break
            assign(session, group, user)
            already.add(user.id)
            load[user.id] += 1
            made += 1
    return made


def queue(session: Session, user: User, project: Project) -> list[tuple[Group, Assignment]]:
    """The user's assignments in the project, in group order."""
    return list(session.exec(select(Group, Assignment).join(Assignment, Assignment.group_id == Group.id).where(
        Assignment.user_id == user.id, Group.project_id == project.id).order_by(Group.key)))


def next_group(session: Session, user: User, project: Project) -> Group | None:
    """The first group of the user's queue that is not submitted."""
    return next((group for group, assignment in queue(session, user, project) if assignment.status != "submitted"),
                None)


def assignment_of(session: Session, user: User, group: Group) -> Assignment | None:
    return session.exec(select(Assignment).where(Assignment.user_id == user.id, Assignment.group_id == group.id)).first()


def start(session: Session, user: User, group: Group) -> None:
    """Mark the user's assignment as in progress when they open the group."""
    assignment = assignment_of(session, user, group)
    if assignment is not None and assignment.status == "todo":
        assignment.status, assignment.updated_at = "in_progress", utcnow()
        session.add(assignment)
        session.flush()


def submit(session: Session, user: User, group: Group) -> Assignment:
    """Submit the user's work on a group.

    :raises AssignmentError: when the group is not assigned to the user.
    """
    assignment = assignment_of(session, user, group)
    if assignment is None:
        raise AssignmentError("this group is not assigned to you")
    assignment.status, assignment.updated_at = "submitted", utcnow()
    session.add(assignment)
    session.flush()
    return assignment
