"""The whole data model (DESIGN.md §2) as SQLModel tables.

Table models do not validate input (STYLE.md rule 6): the database keeps its own CHECK, UNIQUE and foreign-key
constraints, and request input goes through the non-table models in the services first. Table names avoid SQL
keywords (``group``, ``user``), so raw SQL and PostgreSQL tools work on them.
"""

from datetime import datetime, timezone
from typing import Any, Optional

from sqlalchemy import (
    JSON, Boolean, CheckConstraint, Column, ForeignKey, Index, Integer, Text, UniqueConstraint, false, text,
)
from sqlalchemy.sql.naming import conv
from sqlmodel import Field, SQLModel

# Named constraints let Alembic alter tables on SQLite (batch mode) and PostgreSQL alike.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ROLES = ("admin", "reviewer", "annotator")
DOCUMENT_ROLES = ("source", "translation", "comparable")
ALIGNMENT_METHODS = ("auto-parallel", "auto-comparable", "manual")
ALIGNMENT_STATUSES = ("suggested", "confirmed")
CONCEPT_KINDS = ("entity", "claim")
LAYERS = ("entity", "claim", "error")
ANNOTATION_STATUSES = ("suggested", "accepted", "rejected")
ASSIGNMENT_STATUSES = ("todo", "in_progress", "submitted")
# The largest integer a column holds (PostgreSQL's INTEGER is 32-bit, SQLite's 64-bit): request input is checked
# against it, because a larger number makes the database fail (OverflowError, "integer out of range") instead of
# finding nothing.
INT_MAX = 2**31 - 1


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _in(column: str, values: tuple[str, ...]) -> str:
    quoted = ", ".join(f"'{value}'" for value in values)
    return f"{column} IN ({quoted})"


def _fk(target: str, ondelete: str = "CASCADE", nullable: bool = False, index: bool = False) -> Any:
    """A foreign-key column with an explicit ON DELETE rule (SQLModel's ``foreign_key=`` cannot set one)."""
    return Field(
        default=None if nullable else ...,
        sa_column=Column(Integer, ForeignKey(target, ondelete=ondelete), nullable=nullable, index=index),
    )


class Project(SQLModel, table=True):
    __tablename__ = "project"

    id: Optional[int] = Field(default=None, primary_key=True)
    name: str = Field(sa_column=Column(Text, nullable=False, unique=True))
    slug: str = Field(sa_column=Column(Text, nullable=False, unique=True))
    # Entity types, claim attributes, MQM typology and weights; see labeler.schema for the defaults.
    label_schema: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    is_open: bool = Field(default=True)
    created_at: datetime = Field(default_factory=utcnow)


class Group(SQLModel, table=True):
    __tablename__ = "doc_group"
    __table_args__ = (UniqueConstraint("project_id", "key"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    project_id: int = _fk("project.id")
    key: str = Field(sa_column=Column(Text, nullable=False))
    name: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)


class Document(SQLModel, table=True):
    """One text in one language. ``text`` is never edited after import: a changed file is a new version."""

    __tablename__ = "document"
    __table_args__ = (
        UniqueConstraint("group_id", "origin", "version"),
        CheckConstraint(_in("role", DOCUMENT_ROLES), name="role"),
        CheckConstraint("version >= 1", name="version"),
        Index(None, "group_id", "position"),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    group_id: int = _fk("doc_group.id")
    position: int = 0
    lang: str = Field(sa_column=Column(Text, nullable=False))
    role: str = Field(default="translation", sa_column=Column(Text, nullable=False))
    title: str = Field(default="", sa_column=Column(Text, nullable=False))
    origin: str = Field(sa_column=Column(Text, nullable=False))
    text: str = Field(sa_column=Column(Text, nullable=False))
    text_sha256: str = Field(sa_column=Column(Text, nullable=False))
    version: int = 1
    # A newer version of the same file replaces this one in the views; its spans stay where they were.
    superseded: bool = False
    created_at: datetime = Field(default_factory=utcnow)


class Segment(SQLModel, table=True):
    """One paragraph: a half-open code-point range of its document's text."""

    __tablename__ = "segment"
    __table_args__ = (
        UniqueConstraint("document_id", "position"),
        CheckConstraint("char_start >= 0 AND char_start < char_end", name="span"),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    document_id: int = _fk("document.id")
    position: int
    char_start: int
    char_end: int


class AlignmentRow(SQLModel, table=True):
    __tablename__ = "alignment_row"
    __table_args__ = (
        UniqueConstraint("group_id", "position"),
        CheckConstraint(_in("method", ALIGNMENT_METHODS), name="method"),
        CheckConstraint(_in("status", ALIGNMENT_STATUSES), name="status"),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    group_id: int = _fk("doc_group.id")
    position: int
    score: float = 1.0
    method: str = Field(default="auto-parallel", sa_column=Column(Text, nullable=False))
    status: str = Field(default="suggested", sa_column=Column(Text, nullable=False))


class AlignmentMember(SQLModel, table=True):
    """A paragraph's place in a row.

    A paragraph begins in exactly one row. One that covers several rows of the other documents (a translation
    that merged two paragraphs, or drew a sentence across a boundary) is also a ``continued`` member of the rows
    just below the one it begins in.
    """

    __tablename__ = "alignment_member"
    __table_args__ = (
        UniqueConstraint("row_id", "segment_id"),
        Index("uq_alignment_member_segment_id_begins", "segment_id", unique=True,
              sqlite_where=text("NOT continued"), postgresql_where=text("NOT continued")),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    row_id: int = _fk("alignment_row.id")  # found by the unique (row_id, segment_id)'s first column
    segment_id: int = _fk("segment.id", index=True)
    continued: bool = Field(default=False, sa_column=Column(Boolean, nullable=False, server_default=false()))


class Concept(SQLModel, table=True):
    """What spans in several languages refer to: one entity or one claim."""

    __tablename__ = "concept"
    __table_args__ = (
        CheckConstraint(_in("kind", CONCEPT_KINDS), name="kind"),
        Index(None, "project_id", "kind", "name"),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    project_id: int = _fk("project.id")
    kind: str = Field(sa_column=Column(Text, nullable=False))
    name: str = Field(sa_column=Column(Text, nullable=False))
    kb_id: Optional[str] = Field(default=None, sa_column=Column(Text, nullable=True))
    note: str = Field(default="", sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)


class User(SQLModel, table=True):
    __tablename__ = "account"
    __table_args__ = (CheckConstraint(_in("role", ROLES), name="role"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    username: str = Field(sa_column=Column(Text, nullable=False, unique=True))
    password_hash: str = Field(sa_column=Column(Text, nullable=False))
    role: str = Field(default="annotator", sa_column=Column(Text, nullable=False))
    api_token_hash: Optional[str] = Field(default=None, sa_column=Column(Text, nullable=True, unique=True))
    created_at: datetime = Field(default_factory=utcnow)


class Annotation(SQLModel, table=True):
    """A labelled span. ``annotator_id`` NULL means the span belongs to the gold set."""

    __tablename__ = "annotation"
    __table_args__ = (
        CheckConstraint("char_start >= 0 AND char_start < char_end", name="span"),
        CheckConstraint(_in("layer", LAYERS), name="layer"),
        CheckConstraint(_in("status", ANNOTATION_STATUSES), name="status"),
        CheckConstraint(
            "origin IN ('human', 'import') OR origin LIKE 'suggestion:%'", name="origin"
        ),
        CheckConstraint("version >= 1", name="version"),
        Index(None, "document_id", "annotator_id"),
        Index(None, "segment_id"),
        Index(None, "concept_id"),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    document_id: int = _fk("document.id")
    segment_id: int = _fk("segment.id")
    char_start: int
    char_end: int
    surface: str = Field(sa_column=Column(Text, nullable=False))
    layer: str = Field(sa_column=Column(Text, nullable=False))
    label: str = Field(sa_column=Column(Text, nullable=False))
    attrs: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    concept_id: Optional[int] = _fk("concept.id", ondelete="SET NULL", nullable=True)
    counterpart_id: Optional[int] = _fk("annotation.id", ondelete="SET NULL", nullable=True)
    annotator_id: Optional[int] = _fk("account.id", ondelete="RESTRICT", nullable=True)
    # For gold spans: the reviewer who decided; NULL with decision 'unanimous' when annotators agreed.
    decided_by_id: Optional[int] = _fk("account.id", ondelete="RESTRICT", nullable=True)
    decision: Optional[str] = Field(default=None, sa_column=Column(Text, nullable=True))
    # For gold spans imported from a gold file: the annotators the file named (their own spans stayed behind).
    source_annotators: Optional[list] = Field(default=None, sa_column=Column(JSON, nullable=True))
    origin: str = Field(default="human", sa_column=Column(Text, nullable=False))
    status: str = Field(default="accepted", sa_column=Column(Text, nullable=False))
    version: int = 1
    # Deleting keeps the row (undo, audit, counterparts) and hides it everywhere.
    deleted_at: Optional[datetime] = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class Assignment(SQLModel, table=True):
    __tablename__ = "assignment"
    __table_args__ = (
        UniqueConstraint("user_id", "group_id"),
        CheckConstraint(_in("status", ASSIGNMENT_STATUSES), name="status"),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    user_id: int = _fk("account.id")
    group_id: int = _fk("doc_group.id", index=True)
    status: str = Field(default="todo", sa_column=Column(Text, nullable=False))
    updated_at: datetime = Field(default_factory=utcnow)


class Event(SQLModel, table=True):
    """The audit log, and the basis of undo: one row per change, with the object before and after."""

    __tablename__ = "event"
    __table_args__ = (Index(None, "user_id", "id"), Index(None, "group_id", "id"))

    id: Optional[int] = Field(default=None, primary_key=True)
    user_id: Optional[int] = _fk("account.id", ondelete="SET NULL", nullable=True)
    group_id: Optional[int] = _fk("doc_group.id", ondelete="CASCADE", nullable=True)
    created_at: datetime = Field(default_factory=utcnow)
    action: str = Field(sa_column=Column(Text, nullable=False))
    object_type: str = Field(sa_column=Column(Text, nullable=False))
    object_id: Optional[int] = None
    before: Optional[dict] = Field(default=None, sa_column=Column(JSON, nullable=True))
    after: Optional[dict] = Field(default=None, sa_column=Column(JSON, nullable=True))
    # Set when an undo reverted this event (and cleared by redo).
    undone: bool = False


class MqmRating(SQLModel, table=True):
    """A rater rated this paragraph (a WMT MQM segment), with or without errors: the basis of averaging."""

    __tablename__ = "mqm_rating"
    # Named as migration 0004 made it (before the naming convention would have added "_user_id"): the databases
    # out there have this name, and test_schema_drift holds models and migrations to one schema.
    __table_args__ = (UniqueConstraint("segment_id", "user_id", name=conv("uq_mqm_rating_segment_id")),)

    id: Optional[int] = Field(default=None, primary_key=True)
    segment_id: int = _fk("segment.id")
    user_id: int = _fk("account.id")


class ExportRecord(SQLModel, table=True):
    """Every export, so that it can be reproduced and checked."""

    __tablename__ = "export_record"

    id: Optional[int] = Field(default=None, primary_key=True)
    project_id: int = _fk("project.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)
    user_id: Optional[int] = _fk("account.id", ondelete="SET NULL", nullable=True)
    format: str = Field(sa_column=Column(Text, nullable=False))
    filters: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    sha256: str = Field(sa_column=Column(Text, nullable=False))
    record_count: int = 0
    # Records, documents, spans per layer and concepts in the file.
    counts: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False, server_default="{}"))
