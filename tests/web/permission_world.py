"""The world the permission tests run in (tests/web/test_permissions.py): two closed projects, five callers,
each one's labels, a suggestion, a concept, a gold span, rows to correct, API tokens and an export.

Built once per module into a database that each test copies (``world``), so that one case's writes never change
another's outcome; ``snapshot`` reads every row of every table, so that a test can say "nothing changed".
"""

import io
import json
import os
import shutil
from itertools import count

import pytest
from sqlalchemy import select as sa_select
from sqlmodel import Session, SQLModel, select

from labeler import annotations, assignments, corrections, create_app, db, schema
from labeler.auth import create_user, issue_token
from labeler.export import export
from labeler.ingest import import_documents
from labeler.models import AlignmentMember, AlignmentRow, Annotation, Document, Group, Project, Segment
from labeler.readers import read_paths
from tests.conftest import PASSWORD, POSTGRES_URL, _postgres_admin, _postgres_database

ROLES = ("anonymous", "assigned", "unassigned", "reviewer", "admin")
USERNAMES = {"assigned": "ann_a", "other_annotator": "ann_b", "unassigned": "ann_c", "reviewer": "rev",
             "admin": "adm"}
CSRF = "permissions-test-token"

# Our own corpus. Bridge (closed): group "bridge" in English and German, three paragraphs each, assigned to A and
# B; group "other", assigned to C. Harbour (closed): one group, assigned to C only, so A and B have no part in it.
CORPUS = [
    ("bridge", "en", "Mayor Lena Voss opened the Kestrel bridge in Dunmore.\nThe bridge cost 12 million euros.\n"
                     "Traffic starts on Monday."),
    ("bridge", "de", "Bürgermeisterin Lena Voss eröffnete die Kestrel-Brücke in Dunmore.\n"
                     "Die Brücke kostete 12 Millionen Euro.\nDer Verkehr beginnt am Montag."),
    ("other", "en", "A second group, about the market of Dunmore."),
]
HARBOUR = [("harbour", "en", "Harbour master Omar Reyes retired in Dunmore.\nHe served for 30 years.")]


def _write_corpus(path, records) -> list:
    path.write_text("\n".join(json.dumps({"group": key, "doc_id": lang, "lang": lang, "text": text,
                                          "role": "source" if lang == "en" else "translation"},
                                         ensure_ascii=False) for key, lang, text in records) + "\n",
                    encoding="utf-8")
    return read_paths([path])


def _span(session, project, group, user_id, lang, surface, label, layer="entity") -> Annotation:
    document = session.exec(select(Document).where(Document.group_id == group.id, Document.lang == lang)).one()
    start = document.text.index(surface)
    return annotations.create(session, project, group, user_id, {
        "document_id": document.id, "char_start": start, "char_end": start + len(surface), "surface": surface,
        "layer": layer, "label": label})


def _offered(session, group, lang, surface, label) -> Annotation:
    """A suggestion (a span of no annotator) that each annotator accepts or rejects."""
    document = session.exec(select(Document).where(Document.group_id == group.id, Document.lang == lang)).one()
    start = document.text.index(surface)
    segment = session.exec(select(Segment).where(Segment.document_id == document.id, Segment.char_start <= start,
                                                 Segment.char_end >= start + len(surface))).one()
    suggestion = Annotation(document_id=document.id, segment_id=segment.id, char_start=start,
                            char_end=start + len(surface), surface=surface, layer="entity", label=label,
                            annotator_id=None, origin="suggestion:numbers", status="suggested")
    session.add(suggestion)
    session.flush()
    return suggestion


def _segment(session, group, lang, position) -> Segment:
    return session.exec(select(Segment).join(Document).where(
        Document.group_id == group.id, Document.lang == lang, Segment.position == position)).one()


def build_world(session: Session, tmp_path) -> dict:
    """Fill an empty database; return the ids and names the cases use, by name."""
    import_documents(session, "Bridge", _write_corpus(tmp_path / "bridge.jsonl", CORPUS))
    import_documents(session, "Harbour", _write_corpus(tmp_path / "harbour.jsonl", HARBOUR))
    bridge = session.exec(select(Project).where(Project.name == "Bridge")).one()
    harbour = session.exec(select(Project).where(Project.name == "Harbour")).one()
    group = session.exec(select(Group).where(Group.key == "bridge")).one()
    other = session.exec(select(Group).where(Group.key == "other")).one()
    harbour_group = session.exec(select(Group).where(Group.project_id == harbour.id)).one()
    users = {role: create_user(session, name, PASSWORD, "admin" if role == "admin" else
                               "reviewer" if role == "reviewer" else "annotator")
             for role, name in USERNAMES.items()}
    a, b, c = users["assigned"], users["other_annotator"], users["unassigned"]
    for project in (bridge, harbour):
        assignments.set_open(session, project, False)
    for who, where in ((a, group), (b, group), (c, other), (c, harbour_group)):
        assignments.assign(session, where, who)

    a_span = _span(session, bridge, group, a.id, "en", "Lena Voss", "PER")
    b_span = _span(session, bridge, group, b.id, "en", "Dunmore", "LOC")
    b_span_de = _span(session, bridge, group, b.id, "de", "Lena Voss", "PER")
    b_concept = annotations.create_concept(session, bridge, "entity", "Dunmore (town)", "Q1")
    annotations.update(session, bridge, group, b.id, b_span.id, {"version": 1, "concept_id": b_concept.id})
    suggestion = _offered(session, group, "en", "12 million euros", "MONEY")
    gold = Annotation(document_id=b_span.document_id, segment_id=b_span.segment_id, char_start=b_span.char_start,
                      char_end=b_span.char_end, surface=b_span.surface, layer="entity", label="LOC",
                      annotator_id=None, decided_by_id=users["reviewer"].id, decision="accepted", status="accepted")
    session.add(gold)
    c_span = _span(session, harbour, harbour_group, c.id, "en", "Omar Reyes", "PER")
    harbour_concept = annotations.create_concept(session, harbour, "entity", "Omar Reyes", None)
    harbour_suggestion = _offered(session, harbour_group, "en", "30 years", "QUANTITY")
    harbour_gold = Annotation(document_id=c_span.document_id, segment_id=c_span.segment_id,
                              char_start=c_span.char_start, char_end=c_span.char_end, surface=c_span.surface,
                              layer="entity", label="PER", annotator_id=None, decided_by_id=users["reviewer"].id,
                              decision="accepted", status="accepted")
    session.add(harbour_gold)

    # Rows of the bridge: r0 (en0, de0) and r1 (en1, en2, de1, de2) after merging the last two, so that every
    # row correction has something to do: move en0 down, split before en2, detach en1, merge r0 with r1.
    rows = list(session.exec(select(AlignmentRow).where(AlignmentRow.group_id == group.id)
                             .order_by(AlignmentRow.position)))
    assert len(rows) == 3, "the corpus should align one paragraph per row"
    corrections.merge_with_below(session, group.id, rows[1].id, b.id)
    # ...and de0 goes on into r1, so that a continuation can be ended.
    de0 = _segment(session, group, "de", 0).id
    corrections.continue_below(session, group.id, de0, b.id)
    harbour_row = session.exec(select(AlignmentRow).where(AlignmentRow.group_id == harbour_group.id)).first()
    harbour_segment = session.exec(select(AlignmentMember.segment_id).where(
        AlignmentMember.row_id == harbour_row.id)).first()
    tokens = {role: issue_token(session, user) for role, user in users.items()}
    session.commit()
    record = export(session, bridge, io.BytesIO(), "jsonl", "gold", None, users["admin"].id)
    session.commit()
    en = session.exec(select(Document).where(Document.group_id == group.id, Document.lang == "en")).one()
    kestrel = en.text.index("Kestrel")
    return {
        "slug": bridge.slug, "key": group.key, "other_key": other.key,
        "harbour_slug": harbour.slug, "harbour_key": harbour_group.key,
        "users": {role: user.id for role, user in users.items()}, "tokens": tokens,
        "a_user": a.id, "b_user": b.id, "a_span": a_span.id, "b_span": b_span.id, "b_span_de": b_span_de.id,
        "b_concept": b_concept.id, "suggestion": suggestion.id, "gold": gold.id, "en_doc": en.id,
        "kestrel_start": kestrel, "kestrel_end": kestrel + len("Kestrel"),
        "c_span": c_span.id, "harbour_concept": harbour_concept.id, "harbour_suggestion": harbour_suggestion.id,
        "harbour_gold": harbour_gold.id,
        "harbour_doc": session.get(Annotation, c_span.id).document_id, "harbour_row": harbour_row.id,
        "harbour_segment": harbour_segment,
        "row0": rows[0].id, "row1": rows[1].id, "en0": _segment(session, group, "en", 0).id,
        "en1": _segment(session, group, "en", 1).id, "en2": _segment(session, group, "en", 2).id, "de0": de0,
        "place": f"{b_span.document_id}-entity-{b_span.char_start}-{b_span.char_end}",
        "export": record.id, "fingerprint": schema.fingerprint(bridge.label_schema),
        "schema_fields": schema.schema_fields(bridge.label_schema),
    }


@pytest.fixture(scope="module")
def prepared(migrated_template, tmp_path_factory):
    """The world, built once: a SQLite file (or a PostgreSQL template database) that each case copies."""
    if POSTGRES_URL:
        source = f"labeler_permissions_{os.getpid()}"
        _postgres_admin(f'DROP DATABASE IF EXISTS "{source}"',
                        f'CREATE DATABASE "{source}" TEMPLATE "{migrated_template}"')
        url = _postgres_database(source)
    else:
        source = tmp_path_factory.mktemp("permissions") / "world.db"
        shutil.copy(migrated_template, source)
        url = f"sqlite:///{source}"
    engine = db.make_engine(url)
    with Session(engine, expire_on_commit=False) as session:
        world = build_world(session, tmp_path_factory.mktemp("corpus"))
    if not POSTGRES_URL:
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    yield source, world
    if POSTGRES_URL:
        _postgres_admin(f'DROP DATABASE IF EXISTS "{source}"')


_copies = count()


@pytest.fixture
def world(prepared, tmp_path):
    """A fresh copy of the world, with an app on it: yields ``(app, ids)``."""
    source, ids = prepared
    if POSTGRES_URL:
        name = f"{source}_{next(_copies)}"
        _postgres_admin(f'CREATE DATABASE "{name}" TEMPLATE "{source}"')
        url = _postgres_database(name)
    else:
        shutil.copy(source, tmp_path / "copy.db")
        url = f"sqlite:///{tmp_path / 'copy.db'}"
    app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "test-secret", "AUTO_UPGRADE": False})
    app.instance_path = str(tmp_path / "instance")
    yield app, ids
    app.extensions["labeler.engine"].dispose()
    if POSTGRES_URL:
        _postgres_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def snapshot(app) -> dict[str, list]:
    """Every row of every table, in key order: two snapshots are equal when nothing at all was written."""
    engine = app.extensions["labeler.engine"]
    with engine.connect() as connection:
        return {table.name: connection.execute(sa_select(table).order_by(*table.primary_key.columns)).all()
                for table in SQLModel.metadata.sorted_tables}


def call(app, ids: dict, role: str, method: str, path: str, data=None, json_body: bool = False):
    """Send one request as ``role``: a session cookie for pages (htmx, with the CSRF token), a token for the API."""
    client = app.test_client()
    url = path.format(**ids)
    body = data(ids) if callable(data) else data
    if url.startswith("/api/"):
        headers = {} if role == "anonymous" else {"Authorization": f"Bearer {ids['tokens'][role]}"}
        return client.open(url, method=method, headers=headers, json=body if method != "GET" else None)
    with client.session_transaction() as cookie:
        cookie["csrf_token"] = CSRF
        if role != "anonymous":
            cookie["user_id"] = ids["users"][role]
    headers = {"X-CSRFToken": CSRF, "HX-Request": "true"}
    if json_body:
        return client.open(url, method=method, headers=headers, json=body)
    return client.open(url, method=method, headers=headers, data=body)
