"""Exports: the gold JSONL (valid against its schema, deterministic, recorded), --all, the alignment, the CLI."""

import io
import json
from importlib import resources

import jsonschema
import pytest
from click.testing import CliRunner
from sqlmodel import select

from labeler import annotations
from labeler.auth import create_user
from labeler.cli import main
from labeler.export import ExportError, export
from labeler.ingest import import_documents
from labeler.models import Annotation, Document, ExportRecord, Group, Project
from labeler.readers import read_paths
from tests.conftest import PASSWORD

# Our own sentences: English, a line with emoji and a combining mark, Japanese, Arabic.
TEXTS = {
    "en": "Mayor Ana Ruiz opened the bridge in Port Elin.\nIt cost 40 million euros.",
    "xx": "Ana 👨‍👩‍👧 waved at Port Elin 🇵🇹 and the Spın̈al band.\nIt cost 41 million euros 🎉.",
    "ja": "アナ・ルイス市長がポートエリンの橋を開通させた。\n費用は4000万ユーロだった。",
    "ar": "افتتحت رئيسة البلدية آنا رويز الجسر في بورت إلين.\nبلغت التكلفة 40 مليون يورو.",
}
SCHEMA = json.loads(resources.files("labeler").joinpath("schemas/gold-1.schema.json").read_text("utf-8"))


def write_corpus(path, texts=TEXTS, group="bridge"):
    lines = [{"group": group, "doc_id": name, "lang": "en" if name == "xx" else name, "text": text,
              "role": "source" if name == "en" else "translation"} for name, text in texts.items()]
    path.write_text("\n".join(json.dumps(line, ensure_ascii=False) for line in lines) + "\n", encoding="utf-8")
    return path


def doc(session, name: str) -> Document:
    return session.exec(select(Document).where(Document.origin == name)).one()


def fields(session, name: str, surface: str, **extra) -> dict:
    document = doc(session, name)
    start = document.text.index(surface)
    return {"document_id": document.id, "char_start": start, "char_end": start + len(surface), "surface": surface,
            "layer": "entity", "label": "PER", **extra}


def gold(session, name: str, surface: str, decided=None, **extra) -> Annotation:
    """Add a span to the gold set (decided by the user ``decided``, else unanimous)."""
    span = Annotation(segment_id=0, annotator_id=None, decided_by_id=decided,
                      decision=None if decided else "unanimous", **fields(session, name, surface, **extra))
    document = session.get(Document, span.document_id)
    span.segment_id = annotations._segment_of(session, document, span.char_start, span.char_end).id
    session.add(span)
    session.flush()
    return span


@pytest.fixture
def labelled(session, tmp_path):
    """A group labelled by two annotators; the gold set holds what they agreed on and one reviewer decision."""
    import_documents(session, "Bridge", read_paths([write_corpus(tmp_path / "bridge.jsonl")]))
    project = session.exec(select(Project)).one()
    group = session.exec(select(Group)).one()
    ana = create_user(session, "ana", PASSWORD)
    ben = create_user(session, "ben", PASSWORD)
    rev = create_user(session, "rev", PASSWORD, "reviewer")
    concept = annotations.create_concept(session, project, "entity", "Ana Ruiz", "Q1")
    for user in (ana, ben):
        mention = annotations.create(session, project, group, user.id, fields(session, "en", "Ana Ruiz"))
        annotations.update(session, project, group, user.id, mention.id, {"version": 1, "concept_id": concept.id})
    annotations.create(session, project, group, ana.id, fields(session, "xx", "👨‍👩‍👧", label="MISC"))
    right = annotations.create(session, project, group, ben.id, fields(session, "en", "40 million euros", label="MONEY"))
    wrong = annotations.create(session, project, group, ben.id, fields(
        session, "xx", "41 million euros", layer="error", label="Accuracy/Mistranslation", severity="major"))
    annotations.update(session, project, group, ben.id, wrong.id, {"version": 1, "counterpart_id": right.id,
                                                                     "attrs": {"note": "40, not 41"}})
    annotations.create(session, project, group, ana.id, fields(
        session, "ar", "بلغت التكلفة 40 مليون يورو", layer="claim", label="CLAIM",
        attrs={"check_worthy": "yes", "claim_type": "numeric"}))

    gold(session, "en", "Ana Ruiz", concept_id=concept.id)
    gold(session, "ja", "アナ・ルイス", concept_id=concept.id)
    money = gold(session, "en", "40 million euros", decided=rev.id, label="MONEY")
    error = gold(session, "xx", "41 million euros", decided=rev.id, layer="error", label="Accuracy/Mistranslation",
                 attrs={"severity": "major"})
    error.counterpart_id = money.id
    session.commit()
    return project


def run_export(session, project, **options) -> tuple[bytes, ExportRecord]:
    out = io.BytesIO()
    record = export(session, project, out, **options)
    session.commit()
    return out.getvalue(), record


def records(data: bytes) -> list[dict]:
    # JSON lines end at "\n" only: str.splitlines would also cut at a U+2028 that a text holds unescaped.
    return [json.loads(line) for line in data.decode("utf-8").split("\n") if line]


def test_gold_export_is_valid_and_complete(session, labelled):
    data, record = run_export(session, labelled)
    lines = records(data)
    for line in lines:
        jsonschema.validate(line, SCHEMA)
    assert [line["doc_id"] for line in lines] == ["en", "xx", "ja", "ar"]
    en, xx, ja, ar = lines
    assert (en["schema"], en["project"], en["group"], en["offset_unit"]) == ("labeler.gold/1", "Bridge", "bridge", "codepoint")
    for line in lines:
        for layer in ("entities", "claims", "errors"):
            for span in line[layer]:
                assert line["text"][span["char_start"]:span["char_end"]] == span["surface"]
    assert [(e["surface"], e["label"], e["concept"], e["annotators"], e["decided_by"]) for e in en["entities"]] == [
        ("Ana Ruiz", "PER", "c1", ["ana", "ben"], "unanimous"), ("40 million euros", "MONEY", None, ["ben"], "rev")]
    assert en["concepts"] == [{"id": "c1", "kind": "entity", "name": "Ana Ruiz", "kb_id": "Q1"}]
    assert ja["entities"][0]["concept"] == "c1" and ja["entities"][0]["annotators"] == []
    (error,) = xx["errors"]
    assert (error["category"], error["severity"], error["counterpart"]) == (
        "Accuracy/Mistranslation", "major", {"doc_id": "en", "id": "s2"})
    assert xx["mqm"]["penalty"] == 5 and en["mqm"]["penalty"] == 0
    assert ar["claims"] == []  # only in ana's own labels, not in the gold set
    # Paragraphs carry their alignment row, shared across languages.
    assert [p["row"] for p in en["paragraphs"]] == [p["row"] for p in ar["paragraphs"]] == [0, 1]
    assert record.format == "jsonl" and record.filters == {"labels": "gold"} and record.record_count == 4
    assert record.counts["entities"] == 3 and record.counts["errors"] == 1


RECORD_KEYS = ["schema", "project", "group", "doc_id", "lang", "role", "title", "text", "text_sha256", "offset_unit",
               "paragraphs", "entities", "claims", "errors", "concepts", "mqm"]
SPAN_KEYS = {
    "entities": ["id", "char_start", "char_end", "surface", "label", "concept", "annotators", "decided_by"],
    "claims": ["id", "char_start", "char_end", "surface", "label", "attrs", "concept", "annotators", "decided_by"],
    "errors": ["id", "char_start", "char_end", "surface", "category", "severity", "attrs", "counterpart", "annotators",
               "decided_by"],
}


@pytest.mark.parametrize("labels", ["gold", "all"])
def test_each_line_is_exactly_what_the_standard_json_encoder_writes(session, labelled, labels, tmp_path):
    # The export writes its JSON text piece by piece (issue 8): the bytes must still be json.dumps's for the record,
    # keys in the documented order, numbers (1e-05, not 0.00001), escapes and non-ASCII text included.
    odd = {"group": "odd", "doc_id": "odd", "lang": "en", "role": "source",
           "text": "A tab\there, \"quotes\" and \\ a line\u2028separator \x7f.\nSecond 🎉 line."}
    (tmp_path / "odd.jsonl").write_text(json.dumps(odd) + "\n", encoding="utf-8")
    import_documents(session, "Bridge", read_paths([tmp_path / "odd.jsonl"]))
    gold(session, "en", "Port Elin", layer="claim", label="CLAIM",
         attrs={"z": 1e-05, "a": "é \u2028 \x01 \"q\" \\", "m": [1e16, -0.0, True, None, {"y": 2, "b": 1}]})
    gold(session, "ja", "ポートエリン", layer="error", label="Fluency/Spelling",
         attrs={"severity": "minor", "note": "\t🎉"})
    session.commit()
    data, _ = run_export(session, labelled, labels=labels)
    lines = data.decode("utf-8").split("\n")
    assert lines.pop() == ""
    for line in lines:
        record = json.loads(line)
        jsonschema.validate(record, SCHEMA)
        assert line == json.dumps(record, ensure_ascii=False, separators=(",", ":"))
        keys = RECORD_KEYS[:7] + ["annotator"] + RECORD_KEYS[7:] if labels == "all" else RECORD_KEYS
        assert list(record) == keys
        for layer, span_keys in SPAN_KEYS.items():
            assert all(list(span) == span_keys for span in record[layer])
    claims = [claim for line in records(data) for claim in line["claims"] if claim["surface"] == "Port Elin"]
    assert claims and list(claims[0]["attrs"]) == ["a", "m", "z"] and claims[0]["attrs"]["z"] == 1e-05


def test_spans_at_one_place_are_numbered_by_layer_label_then_attributes(session, labelled):
    # Ids follow reading order; spans with the same offsets are ordered by layer, label, then attributes (sorted
    # keys), so the same data always numbers them the same way. An error's counterpart shows which is which.
    later = gold(session, "ar", "رويز", label="PER", attrs={"b": 1})
    earlier = gold(session, "ar", "رويز", label="PER", attrs={"a": 2})
    gold(session, "ar", "رويز", label="LOC")
    gold(session, "ar", "رويز", layer="error", label="Accuracy/Mistranslation", attrs={"severity": "minor"})
    gold(session, "xx", "Port Elin", layer="error", label="Accuracy/Mistranslation", counterpart_id=earlier.id)
    gold(session, "xx", "Ana", layer="error", label="Accuracy/Mistranslation", counterpart_id=later.id)
    session.commit()
    xx, ar = records(run_export(session, labelled)[0])[1::2]
    assert [(span["id"], span["label"]) for span in ar["entities"]] == [("s1", "LOC"), ("s2", "PER"), ("s3", "PER")]
    assert [span["id"] for span in ar["errors"]] == ["s4"]
    counterparts = {error["surface"]: error["counterpart"] for error in xx["errors"]}
    assert counterparts["Port Elin"] == {"doc_id": "ar", "id": "s2"}
    assert counterparts["Ana"] == {"doc_id": "ar", "id": "s3"}


def test_the_same_data_exports_the_same_bytes_and_each_export_is_recorded(session, labelled):
    first, one = run_export(session, labelled)
    second, two = run_export(session, labelled)
    assert first == second and one.sha256 == two.sha256
    import hashlib
    assert one.sha256 == hashlib.sha256(first).hexdigest()
    assert len(session.exec(select(ExportRecord)).all()) == 2


def test_all_exports_every_annotators_labels_one_record_each(session, labelled):
    data, record = run_export(session, labelled, labels="all")
    lines = records(data)
    for line in lines:
        jsonschema.validate(line, SCHEMA)
    assert [(line["annotator"], line["doc_id"]) for line in lines] == [
        (who, doc_id) for who in ("ana", "ben", None) for doc_id in ("en", "xx", "ja", "ar")]
    ana_ar = lines[3]
    (claim,) = ana_ar["claims"]
    assert claim["attrs"] == {"check_worthy": "yes", "claim_type": "numeric"} and claim["annotators"] == ["ana"]
    ben_xx = lines[5]
    assert ben_xx["errors"][0]["attrs"] == {"note": "40, not 41"}
    assert ben_xx["errors"][0]["counterpart"] == {"doc_id": "en", "id": "s2"}
    assert record.filters == {"labels": "all"}


def test_alignment_export_lists_each_rows_paragraphs(session, labelled):
    data, record = run_export(session, labelled, format="alignment")
    lines = records(data)
    assert len(lines) == 2 and record.counts["rows"] == 2
    assert lines[0] == {"schema": "labeler.alignment/1", "project": "Bridge", "group": "bridge", "row": 0,
                        "members": {"en": ["p0"], "xx": ["p0"], "ja": ["p0"], "ar": ["p0"]},
                        "continued": {"en": [], "xx": [], "ja": [], "ar": []}, "score": lines[0]["score"], "status": "suggested", "method": "auto-parallel"}


@pytest.mark.parametrize("options, problem", [
    ({"format": "xml"}, "unknown format 'xml'"),
    ({"labels": "mine"}, "unknown label set 'mine'"),
    ({"group_key": "nope"}, "no group 'nope'"),
])
def test_bad_export_options_are_refused_and_not_recorded(session, labelled, options, problem):
    with pytest.raises(ExportError, match=problem):
        export(session, labelled, io.BytesIO(), **options)
    assert session.exec(select(ExportRecord)).all() == []


def test_gold_jsonl_loads_in_pandas_and_datasets_as_it_is(session, labelled, tmp_path):
    pandas = pytest.importorskip("pandas")
    datasets = pytest.importorskip("datasets")
    path = tmp_path / "gold.jsonl"
    path.write_bytes(run_export(session, labelled)[0])
    frame = pandas.read_json(path, lines=True)
    assert list(frame["doc_id"]) == ["en", "xx", "ja", "ar"]
    assert frame.loc[0, "entities"][0]["surface"] == "Ana Ruiz"
    loaded = datasets.load_dataset("json", data_files=str(path), split="train",
                                   cache_dir=str(tmp_path / "cache"))
    assert loaded.num_rows == 4 and loaded[1]["errors"][0]["counterpart"] == {"doc_id": "en", "id": "s2"}
    assert loaded[2]["text"].startswith("アナ・ルイス")


def test_cli_writes_a_file_or_standard_output(database_url, session, labelled, tmp_path):
    runner = CliRunner()
    target = tmp_path / "out" / "gold.jsonl"
    target.parent.mkdir()
    result = runner.invoke(main, ["export", "--project", "Bridge", "-o", str(target), "--db", database_url])
    assert result.exit_code == 0, result.output
    assert "exported 4 records (4 documents, 3 entities, 0 claims, 1 errors)" in result.output
    to_stdout = runner.invoke(main, ["export", "--project", "Bridge", "--db", database_url])
    assert to_stdout.stdout_bytes == target.read_bytes()
    assert not list(target.parent.glob("*.partial"))


def test_cli_says_when_the_gold_set_is_empty_and_refuses_bad_names(database_url, session, tmp_path):
    import_documents(session, "Plain", read_paths([write_corpus(tmp_path / "plain.jsonl")]))
    runner = CliRunner()
    result = runner.invoke(main, ["export", "--project", "Plain", "-o", str(tmp_path / "g.jsonl"), "--db", database_url])
    assert result.exit_code == 0 and "the gold set has no labels yet" in result.output
    missing = runner.invoke(main, ["export", "--project", "Nope", "--db", database_url])
    assert missing.exit_code != 0 and "no project named 'Nope'" in missing.output
    bad_group = runner.invoke(main, ["export", "--project", "Plain", "--group", "zz", "-o", str(tmp_path / "z.jsonl"),
                                     "--db", database_url])
    assert bad_group.exit_code != 0 and "no group 'zz'" in bad_group.output
    assert not (tmp_path / "z.jsonl").exists() and not (tmp_path / "z.jsonl.partial").exists()


def test_cli_leaves_no_partial_file_when_an_export_fails_midway(database_url, session, labelled, tmp_path,
                                                                monkeypatch):
    # Only an ExportError used to remove the .partial file: any other failure left half an export behind.
    import labeler.export

    def failing(session, project, out, *args, **options):
        out.write(b'{"schema":"labeler.gold/1"')
        raise RuntimeError("the disk went away")
    monkeypatch.setattr(labeler.export, "export", failing)
    result = CliRunner().invoke(main, ["export", "--project", "Bridge", "-o", str(tmp_path / "g.jsonl"),
                                       "--db", database_url])
    assert result.exit_code != 0 and isinstance(result.exception, RuntimeError)
    assert not (tmp_path / "g.jsonl").exists() and not (tmp_path / "g.jsonl.partial").exists()


def login(client, username):
    from tests.conftest import AuthActions
    auth = AuthActions(client)
    assert auth.login(username).status_code == 302
    return auth


def test_the_project_page_downloads_an_export_for_reviewers(client, session, labelled):
    auth = login(client, "rev")
    page = client.get("/projects/bridge")
    assert 'action="/projects/bridge/exports"' in page.text
    response = auth.post("/projects/bridge/exports", data={"what": "gold", "csrf_token": auth.csrf})
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == "attachment; filename=bridge.gold.jsonl"
    assert [line["doc_id"] for line in records(response.data)] == ["en", "xx", "ja", "ar"]
    record = session.exec(select(ExportRecord)).one()
    assert record.user_id is not None and record.sha256 == __import__("hashlib").sha256(response.data).hexdigest()
    alignment = auth.post("/projects/bridge/exports", data={"what": "alignment"})
    assert alignment.headers["Content-Disposition"].endswith("bridge.alignment.jsonl")


def test_annotators_cannot_export_and_bad_choices_are_refused(client, session, labelled):
    auth = login(client, "ana")
    assert 'action="/projects/bridge/exports"' not in client.get("/projects/bridge").text
    assert auth.post("/projects/bridge/exports", data={"what": "all"}).status_code == 403
    auth = login(client, "rev")
    assert auth.post("/projects/bridge/exports", data={"what": "everything"}).status_code == 422
    assert auth.post("/projects/bridge/exports", data={"what": "gold", "group": "zz"}).status_code == 422
    assert client.post("/projects/bridge/exports", data={"what": "gold"}).status_code == 400  # no CSRF token
    assert session.exec(select(ExportRecord)).all() == []


# Round trip: what an export writes, an import reads back, and exporting again gives the same records.

def fresh_database(tmp_path, migrated_template, name):
    import shutil
    path = tmp_path / f"{name}.db"
    shutil.copy(migrated_template, path)
    return f"sqlite:///{path}"


def cli(*args):
    result = CliRunner().invoke(main, [str(arg) for arg in args])
    return result


@pytest.mark.parametrize("labels", ["gold", "all"])
def test_an_export_imports_back_and_exports_the_same_records(database_url, session, labelled, tmp_path,
                                                              migrated_template, labels):
    if not str(database_url).startswith("sqlite"):
        pytest.skip("copies a SQLite template")
    # Confirm a row so that the file carries an alignment a person made, not only the automatic one.
    from labeler.models import AlignmentRow
    row = session.exec(select(AlignmentRow).order_by(AlignmentRow.position)).first()
    row.status, row.method = "confirmed", "manual"
    session.add(row)
    session.commit()
    first = tmp_path / "first.jsonl"
    flag = "--gold" if labels == "gold" else "--all"
    assert cli("export", "--project", "Bridge", flag, "-o", first, "--db", database_url).exit_code == 0
    other = fresh_database(tmp_path, migrated_template, "other")
    for name in ("ana", "ben", "rev"):
        added = CliRunner().invoke(main, ["user", "add", name, "--db", other], input="s3cret-pass\n")
        assert added.exit_code == 0, added.output
    imported = cli("import", first, "--project", "Bridge", "--db", other)
    assert imported.exit_code == 0, imported.output
    assert "new spans (0 already there)" in imported.output
    second = tmp_path / "second.jsonl"
    assert cli("export", "--project", "Bridge", flag, "-o", second, "--db", other).exit_code == 0
    assert records(second.read_bytes()) == records(first.read_bytes())
    # Importing the same file again adds nothing.
    again = cli("import", first, "--project", "Bridge", "--db", other)
    assert again.exit_code == 0 and " 0 new spans" in again.output


def test_a_gold_export_can_become_one_annotators_labels(database_url, session, labelled, tmp_path):
    path = tmp_path / "gold.jsonl"
    path.write_bytes(run_export(session, labelled)[0])
    result = cli("import", path, "--project", "Copy", "--annotator", "ana", "--db", database_url)
    assert result.exit_code == 0, result.output
    copy = session.exec(select(Project).where(Project.name == "Copy")).one()
    session.expire_all()
    spans = session.exec(select(Annotation).join(Document).join(Group).where(Group.project_id == copy.id)).all()
    assert len(spans) == 4 and {span.origin for span in spans} == {"import"}
    assert {span.annotator_id for span in spans} == {session.exec(select(Annotation.annotator_id).where(
        Annotation.surface == "👨‍👩‍👧")).one()}
    (error,) = [span for span in spans if span.layer == "error"]
    assert session.get(Annotation, error.counterpart_id).surface == "40 million euros"


def corrupt(session, project, tmp_path, change) -> str:
    lines = records(run_export(session, project)[0])
    change(lines)
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join(json.dumps(line, ensure_ascii=False) for line in lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("change, problem", [
    (lambda lines: lines[0]["entities"][0].update(surface="Ana Ruis"), "line 1: entities s1: the surface 'Ana Ruis' is not the text"),
    (lambda lines: lines[0]["entities"][0].update(char_end=999), "line 1: entities s1: 6–999 is outside the text"),
    (lambda lines: lines[0]["entities"][0].update(label="PERSON"), "line 1: entities s1: 'PERSON' is not one of this project's entity labels"),
    (lambda lines: lines[1]["errors"][0].update(severity="huge"), "line 2: errors s1: unknown severity 'huge'"),
    (lambda lines: lines[1]["errors"][0].update(counterpart={"doc_id": "en", "id": "s9"}), "line 2: errors s1: no span s9"),
    (lambda lines: lines[0]["entities"][0].update(concept="c7"), "line 1: entity s1: concept 'c7' is not in"),
    (lambda lines: lines[0]["entities"][0].update(char_start="6"), "line 1: entities s1: char_start must be a whole number"),
    (lambda lines: lines[0].update(annotator="zoe"), "line 1: no user 'zoe'"),
    (lambda lines: lines[0].update(text_sha256="0" * 64), "line 1: text_sha256 does not match"),
    (lambda lines: lines[0].update(schema="labeler.alignment/1"), "line 1: records of schema 'labeler.alignment/1' cannot"),
    (lambda lines: lines[2]["entities"][0].update(char_start=0, char_end=30, surface=None), "line 3: entities s1: surface must be a string"),
    (lambda lines: lines[0]["entities"][0].update(annotators="ana"), "line 1: entities s1: annotators must be a list of names"),
])
def test_a_bad_gold_file_is_refused_with_its_line_and_imports_nothing(database_url, session, labelled, tmp_path,
                                                                        change, problem):
    path = corrupt(session, labelled, tmp_path, change)
    result = cli("import", path, "--project", "Copy", "--db", database_url)
    assert result.exit_code != 0 and problem in result.output, result.output
    assert "Nothing was imported." in result.output
    session.expire_all()
    assert session.exec(select(Project).where(Project.name == "Copy")).first() is None


def test_a_span_across_paragraphs_is_refused(database_url, session, labelled, tmp_path):
    def across(lines):
        text = lines[0]["text"]
        lines[0]["entities"][0].update(char_start=40, char_end=52, surface=text[40:52])
    result = cli("import", corrupt(session, labelled, tmp_path, across), "--project", "Copy", "--db", database_url)
    assert result.exit_code != 0 and "crosses a paragraph boundary" in result.output


def test_a_gold_file_without_paragraphs_keeps_the_automatic_alignment(database_url, session, tmp_path):
    # A hand-written gold file may leave out paragraphs; the new group must still get its rows.
    lines = [{"schema": "labeler.gold/1", "group": "g", "doc_id": name, "lang": "en" if name == "xx" else name,
              "text": text} for name, text in TEXTS.items()]
    path = tmp_path / "bare.jsonl"
    path.write_text("\n".join(json.dumps(line, ensure_ascii=False) for line in lines) + "\n", encoding="utf-8")
    assert cli("import", path, "--project", "Bare", "--db", database_url).exit_code == 0
    from labeler.models import AlignmentRow
    assert len(session.exec(select(AlignmentRow)).all()) >= 2
