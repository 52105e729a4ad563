"""The hot paths (group page, span save, export) run a fixed number of SQL statements whatever the size of the
data, and every query they run on a growing table finds its rows through an index (issue #8, "Queries").

Statements are counted on the app's engine (SQLAlchemy's ``before_cursor_execute``), so the same tests hold on
SQLite and, with ``LABELER_TEST_DATABASE_URL``, on PostgreSQL.
"""

import json
import re
from contextlib import contextmanager

import pytest
from sqlalchemy import event
from sqlmodel import select

from labeler import annotations
from labeler.ingest import import_documents
from labeler.models import Annotation, Concept, Document, Group, Project, Segment, User
from labeler.readers import read_paths

LANGS = ("en", "de", "fr")
SMALL, LARGE = 4, 40  # paragraphs per document: the large group is 10× the small one (and fits one page)
# Statements of one request, on SQLite and PostgreSQL alike. Page 15: user, project and group in one, documents,
# paragraph counts, MQM, rows, their paragraphs, their spans, row count, neighbours (4), assignment (2). Save 6 for a
# new entity (user, project and group, the document with the paragraph and any twin, two inserts, the paragraph's
# spans), 7 for a translation error (its MQM figure); edit and delete the same (the span with its paragraph, the
# update, the event). The bounds leave room for a new check, and none for a query per row or per span (the large
# group has 120 paragraphs and 600 spans; comparing it with the small one catches those anyway).
PAGE_MAX, SAVE_MAX, EXPORT_MAX_PER_GROUP = 17, 8, 6
# Tables that grow with the corpus: a query on them must not read the whole table. (account and project stay
# small: the export reads every user name once.)
GROWING = {"doc_group", "document", "segment", "alignment_row", "alignment_member", "annotation", "concept",
           "assignment", "event", "mqm_rating"}


def paragraph(lang: str, number: int) -> str:
    return f"{lang.upper()} {number}: Mayor Ana Ruiz opened bridge {number} in Port Elin for {number + 3} million euros."


def build(session, tmp_path, project: str, groups: dict[str, int], labelled: bool, users: dict) -> Project:
    """Import a project whose groups have the given number of paragraphs per document; when ``labelled``,
    give every paragraph an annotator's entity and error, a gold span with a concept, and a suggestion."""
    path = tmp_path / f"{project}.jsonl"
    records = [{"group": key, "doc_id": lang, "lang": lang, "role": "source" if lang == "en" else "translation",
                "text": "\n".join(paragraph(lang, number) for number in range(size))}
               for key, size in groups.items() for lang in LANGS]
    path.write_text("\n".join(json.dumps(record) for record in records) + "\n", encoding="utf-8")
    import_documents(session, project, read_paths([path]))
    found = session.exec(select(Project).where(Project.name == project)).one()
    if labelled:
        annotator, reviewer = users["annotator"], users["reviewer"]
        concept = annotations.create_concept(session, found, "entity", "Ana Ruiz", "Q1")
        for document, segment in session.exec(
            select(Document, Segment).join(Segment, Segment.document_id == Document.id)
            .join(Group, Group.id == Document.group_id).where(Group.project_id == found.id)
        ):
            text = document.text[segment.char_start:segment.char_end]

            def at(surface: str, **fields) -> Annotation:
                start = segment.char_start + text.index(surface)
                return Annotation(document_id=document.id, segment_id=segment.id, char_start=start,
                                  char_end=start + len(surface), surface=surface, **fields)

            session.add_all([
                at("Ana Ruiz", layer="entity", label="PER", annotator_id=annotator.id),
                at("bridge", layer="error", label="Accuracy/Mistranslation", attrs={"severity": "major"},
                   annotator_id=annotator.id),
                at("Ana Ruiz", layer="entity", label="PER", annotator_id=None, concept_id=concept.id,
                   decided_by_id=reviewer.id, decision="accept"),
                at("Port Elin", layer="entity", label="LOC", annotator_id=reviewer.id),
                at("Port Elin", layer="entity", label="LOC", annotator_id=None, origin="import", status="suggested"),
            ])
    session.commit()
    return found


@pytest.fixture
def corpus(session, tmp_path, users):
    """Projects of 1, 2 and 3 small groups with few spans, and one of 2 large groups labelled throughout."""
    projects = {
        "one": build(session, tmp_path, "One", {"g1": SMALL}, False, users),
        "few": build(session, tmp_path, "Few", {"g1": SMALL, "g2": SMALL}, False, users),
        "three": build(session, tmp_path, "Three", {"g1": SMALL, "g2": SMALL, "g3": SMALL}, False, users),
        "many": build(session, tmp_path, "Many", {"small": SMALL, "large": LARGE}, True, users),
    }
    return {name: project.slug for name, project in projects.items()}


@contextmanager
def statements(app):
    """Collect the SQL statements (with their parameters) that the app runs inside the block."""
    seen: list[tuple[str, object]] = []

    def record(_connection, _cursor, statement, parameters, _context, _executemany):
        seen.append((statement, parameters))

    engine = app.extensions["labeler.engine"]
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def group_page(app, client, slug: str, key: str) -> tuple[int, list, str]:
    url = f"/projects/{slug}/groups/{key}"
    client.get(url)  # the first visit also marks an assignment as started: count a reader's usual visit
    with statements(app) as seen:
        response = client.get(url)
    assert response.status_code == 200
    return len(seen), seen, response.text


def save_span(app, auth, session, slug: str, key: str) -> tuple[int, list]:
    document = session.exec(select(Document).join(Group).where(Group.key == key, Document.lang == "de")
                            .join(Project).where(Project.slug == slug)).one()
    start = document.text.index("Mayor")
    fields = {"document_id": document.id, "char_start": start, "char_end": start + len("Mayor"),
              "surface": "Mayor", "layer": "entity", "label": "MISC"}
    with statements(app) as seen:
        response = auth.post(f"/projects/{slug}/groups/{key}/annotations", data=fields, headers={"HX-Request": "true"})
    assert response.status_code == 201, response.text
    return len(seen), seen


def edit_and_delete(app, auth, session, slug: str, key: str) -> tuple[int, int, list]:
    """Save an error span, then count the statements of changing its severity and of deleting it."""
    document = session.exec(select(Document).join(Group).where(Group.key == key, Document.lang == "fr")
                            .join(Project).where(Project.slug == slug)).one()
    start = document.text.index("opened")
    base = f"/projects/{slug}/groups/{key}/annotations"
    created = auth.post(base, headers={"HX-Request": "true"}, data={
        "document_id": document.id, "char_start": start, "char_end": start + len("opened"), "surface": "opened",
        "layer": "error", "label": "Accuracy/Mistranslation", "severity": "minor"})
    assert created.status_code == 201, created.text
    span_id = json.loads(created.headers["HX-Trigger"])["labeler:saved"]["span"]
    with statements(app) as edit:
        response = auth.post(f"{base}/{span_id}", data={"version": 1, "severity": "major"},
                             headers={"HX-Request": "true"})
    assert response.status_code == 200, response.text
    with statements(app) as delete:
        response = auth.post(f"{base}/{span_id}/delete", data={"version": 2}, headers={"HX-Request": "true"})
    assert response.status_code == 200, response.text
    return len(edit), len(delete), edit + delete


def export(app, auth, slug: str, what: str) -> tuple[int, list]:
    with statements(app) as seen:
        response = auth.post(f"/projects/{slug}/exports", data={"what": what})
    assert response.status_code == 200
    return len(seen), seen


def test_the_group_page_runs_as_many_queries_for_a_group_ten_times_larger(app, auth, corpus):
    auth.login()
    small, _, small_page = group_page(app, auth.client, corpus["many"], "small")
    large, _, large_page = group_page(app, auth.client, corpus["many"], "large")
    # The large page really shows ten times as many paragraphs and highlights.
    assert large_page.count("data-spans=") >= 10 * small_page.count("data-spans=") > 0
    assert small == large <= PAGE_MAX, (small, large)


def test_saving_a_span_runs_as_many_queries_in_a_large_group_as_in_a_small_one(app, auth, session, corpus):
    auth.login()
    small, _ = save_span(app, auth, session, corpus["many"], "small")
    large, _ = save_span(app, auth, session, corpus["many"], "large")
    assert small == large <= SAVE_MAX, (small, large)


def test_editing_and_deleting_a_span_run_as_many_queries_in_a_large_group_as_in_a_small_one(app, auth, session,
                                                                                             corpus):
    auth.login()
    small = edit_and_delete(app, auth, session, corpus["many"], "small")
    large = edit_and_delete(app, auth, session, corpus["many"], "large")
    assert small[:2] == large[:2], (small[:2], large[:2])
    assert max(large[:2]) <= SAVE_MAX, large[:2]


@pytest.mark.parametrize("what", ["gold", "all", "alignment"])
def test_an_export_runs_a_fixed_number_of_queries_per_group_whatever_the_number_of_spans(app, auth, corpus, what,
                                                                                        monkeypatch):
    # The export streams a batch of groups at a time (memory holds one batch's documents and one group's spans):
    # a fixed number of queries per batch (documents, paragraphs, alignment) and per group (its spans), none per
    # document, paragraph or span.
    import labeler.export_reading

    auth.login("rev_user")
    one, _ = export(app, auth, corpus["one"], what)
    few, _ = export(app, auth, corpus["few"], what)
    three, _ = export(app, auth, corpus["three"], what)
    many, _ = export(app, auth, corpus["many"], what)  # two groups too, with 600 spans and 10× the paragraphs
    per_group = few - one  # all in one batch: the spans of each group (none for the alignment)
    assert per_group == (0 if what == "alignment" else 1), per_group
    assert three - few == per_group
    assert many == few, (few, many)
    monkeypatch.setattr(labeler.export_reading, "GROUPS_PER_BATCH", 1)
    alone = export(app, auth, corpus["few"], what)[0] - export(app, auth, corpus["one"], what)[0]
    assert per_group < alone <= EXPORT_MAX_PER_GROUP, alone  # a batch per group
    assert export(app, auth, corpus["three"], what)[0] - export(app, auth, corpus["few"], what)[0] == alone


def _scanned_tables(connection, statement: str, parameters) -> set[str]:
    """The growing tables that the query plan reads in full (a scan, not a search through an index)."""
    if connection.dialect.name == "sqlite":
        plan = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
        # "SCAN annotation" or "SCAN annotation USING INDEX …" read every row; "SEARCH … USING INDEX" does not.
        return {match.group(1) for row in plan if (match := re.match(r"SCAN (\w+)", row[-1]))} & GROWING
    (plan,) = connection.exec_driver_sql("EXPLAIN (FORMAT JSON) " + statement, parameters).one()
    scanned, nodes = set(), [(plan if isinstance(plan, list) else json.loads(plan))[0]["Plan"]]
    while nodes:
        node = nodes.pop()
        nodes += node.get("Plans", [])
        table = node.get("Relation Name")
        # With sequential scans disabled, a query that no index serves still gets a seq scan, or an index scan
        # that reads the whole index (no Index Cond) only to return rows in order.
        if table in GROWING and (node["Node Type"] == "Seq Scan" or (
                node["Node Type"] in ("Index Scan", "Index Only Scan") and "Index Cond" not in node)):
            scanned.add(table)
    return scanned


def test_the_hot_paths_find_their_rows_through_indexes(app, auth, session, engine, corpus):
    """EXPLAIN every query that the group page, a save and an export run: none reads a growing table in full."""
    auth.login("rev_user")
    hot = group_page(app, auth.client, corpus["many"], "large")[1] + save_span(app, auth, session, corpus["many"], "large")[1]
    hot += edit_and_delete(app, auth, session, corpus["many"], "large")[2]
    for what in ("gold", "all"):
        hot += export(app, auth, corpus["many"], what)[1]
    queries = [(statement, parameters) for statement, parameters in hot if statement.lstrip().upper().startswith("SELECT")]
    # The queries the issue names: a group's rows, a user's spans of a document, the annotations of an export.
    assert any("FROM alignment_row" in statement and "position" in statement for statement, _ in queries)
    assert any("FROM annotation" in statement and "annotator_id =" in statement for statement, _ in queries)
    assert any("FROM annotation" in statement and "annotator_id" not in statement.split("WHERE")[-1]
               for statement, _ in queries)
    with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            # On tiny test tables, reading everything (a seq scan, a hash or merge join) is the cheapest plan;
            # forbid those to see which index serves each lookup, as the planner would on a large database.
            for setting in ("enable_seqscan", "enable_hashjoin", "enable_mergejoin"):
                connection.exec_driver_sql(f"SET {setting} = off")
        scans = {statement: tables for statement, parameters in queries
                 if (tables := _scanned_tables(connection, statement, parameters))}
    assert not scans, "\n\n".join(f"{sorted(tables)} read in full by:\n{statement}" for statement, tables in scans.items())
