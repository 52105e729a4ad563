"""WMT MQM TSV: import (plain and CSV-quoted), scores by the WMT convention, every bad row refused by line."""

import json

import pytest
from click.testing import CliRunner
from sqlmodel import select

from labeler.cli import main
from labeler.models import Annotation, Document, Group, MqmRating, Project, User
from tests.conftest import DATA

MQM = DATA / "mqm"
HEADER = "system\tdoc\tdoc_id\tseg_id\trater\tsource\ttarget\tcategory\tseverity\n"


def cli(database_url, *args):
    return CliRunner().invoke(main, [*map(str, args), "--db", database_url])


def test_a_tsv_file_becomes_groups_of_source_and_systems_with_raters_spans_and_ratings(database_url, session):
    result = cli(database_url, "import", MQM / "bridge.tsv", "--project", "WMT")
    assert result.exit_code == 0, result.output
    assert "MQM: 5 new error spans" in result.output and "3 new raters" not in result.output
    assert "2 new raters" in result.output and "categories added to the project: Non-translation!" in result.output
    group = session.exec(select(Group)).one()
    documents = {d.origin: d for d in session.exec(select(Document).where(Document.group_id == group.id))}
    assert sorted(documents) == ["source", "sysA", "sysB"]
    assert documents["source"].role == "source" and documents["sysA"].role == "translation"
    assert documents["sysA"].text == "Die Brücke wurde am Samstag eröffnet.\nSie kostete 41 Millionen Euro.\nStraßenbahnen fahren ab März."
    spans = session.exec(select(Annotation)).all()
    by_surface = {(s.surface, s.label): s for s in spans}
    omission = by_surface[("on", "Accuracy/Omission")]
    assert omission.document_id == documents["source"].id and omission.attrs == {"severity": "minor", "system": "sysB"}
    assert documents["sysA"].text[by_surface[("41", "Accuracy/Mistranslation")].char_start:][:2] == "41"
    raters = {u.username for u in session.exec(select(User))}
    assert {"r1", "r2"} <= raters
    assert len(session.exec(select(MqmRating)).all()) == 8  # (system, segment, rater) triples, errors or not
    # Importing the same file again adds nothing.
    again = cli(database_url, "import", MQM / "bridge.tsv", "--project", "WMT")
    assert again.exit_code == 0 and "MQM: 0 new error spans (5 already there), 0 new segment ratings" in again.output


def test_scores_follow_the_wmt_convention(database_url, session):
    assert cli(database_url, "import", MQM / "bridge.tsv", "--project", "WMT").exit_code == 0
    result = cli(database_url, "mqm", "--project", "WMT", "--format", "json")
    assert result.exit_code == 0, result.output
    scores = json.loads(result.output)
    # By hand: sysA seg 1 (r1 0, r2 0) = 0; seg 2 (r1 major 5, r2 major 5 + minor punctuation 0.1) = 5.05;
    # seg 3 (r1 0) = 0; system 5.05 / 3. sysB seg 1 omission minor 1; seg 2 0; seg 3 Non-translation 25.
    assert [(r["system"], r["seg"], r["raters"], r["score"]) for r in scores["segments"]] == [
        ("sysA", 1, 2, 0.0), ("sysA", 2, 2, 5.05), ("sysA", 3, 1, 0.0),
        ("sysB", 1, 1, 1.0), ("sysB", 2, 1, 0.0), ("sysB", 3, 1, 25.0)]
    assert scores["systems"] == [{"system": "sysA", "segments": 3, "score": 1.6833},
                                 {"system": "sysB", "segments": 3, "score": 8.6667}]
    table = cli(database_url, "mqm", "--project", "WMT")
    assert "sysA\tbridge.1\t2\t2\t5.05" in table.output and "sysB\t3\t8.6667" in table.output


def test_csv_quoted_files_with_a_comment_column(database_url, session):
    result = cli(database_url, "import", MQM / "quoted.tsv", "--project", "Quoted")
    assert result.exit_code == 0, result.output
    (span,) = session.exec(select(Annotation)).all()
    assert span.surface == '"ja"' and span.attrs == {"severity": "minor", "note": "German quotes are „…“"}
    system = session.exec(select(Document).where(Document.origin == "sysC")).one()
    assert system.text == 'Sie sagte "ja".\nFertig.'


ROW = "sysA\tbridge.1\t1\t1\tr1\tThe bridge opened.\t{target}\t{category}\t{severity}\n"


@pytest.mark.parametrize("body, problem", [
    ("sysA\tbridge.1\t1\t1\tr1\tThe bridge opened.\tDie Brücke.\tNo-error\n", "line 2: expected 9 tab-separated columns, found 8"),
    (ROW.format(target="Die <v>Brücke.", category="Other", severity="Minor"), "line 2: the target has unmatched or repeated <v> markers"),
    (ROW.format(target="Die <v>Brücke</v> <v>x</v>.", category="Other", severity="Minor"), "line 2: the target has unmatched"),
    (ROW.format(target="Die Brücke.", category="Other", severity="Minor"), "line 2: an error row needs exactly one <v>…</v> span"),
    (ROW.format(target="Die <v>Brücke</v>.", category="Other", severity="Huge"), "line 2: unknown severity 'Huge'"),
    (ROW.format(target="Die <v>Brücke</v>.", category="No-error", severity="No-error"), "line 2: a No-error row has a <v> marker"),
    (ROW.format(target="Die Brücke.", category="No-error", severity="No-error")
     + ROW.format(target="Die Brücken.", category="No-error", severity="No-error"), "line 3: the target of segment 1 of 'bridge.1' by sysA differs from line 2"),
    ('"sysA"\t"bridge.1"\t"1"\t"1"\t"r1"\t"The bridge\t"Die"\t"No-error"\t"No-error"\n', "line 2: bad quoting"),
    (ROW.format(target="", category="No-error", severity="No-error"), "line 2: the target segment is empty"),
])
def test_a_bad_row_is_refused_with_its_line_and_nothing_is_imported(database_url, session, tmp_path, body, problem):
    path = tmp_path / "bad.tsv"
    path.write_text(HEADER + body, encoding="utf-8")
    result = cli(database_url, "import", path, "--project", "Bad")
    assert result.exit_code != 0 and problem in result.output and "Nothing was imported." in result.output, result.output
    assert session.exec(select(Project)).all() == []


def test_a_wrong_header_is_refused(database_url, session, tmp_path):
    path = tmp_path / "bad.tsv"
    path.write_text("sys\tdoc\n", encoding="utf-8")
    result = cli(database_url, "import", path, "--project", "Bad")
    assert result.exit_code != 0 and "line 1: the header must be system doc doc_id seg_id" in result.output


def rows_of(text: str) -> list[tuple]:
    """Rows without doc_id and seg_id (the export numbers them itself), as a sorted multiset."""
    lines = text.rstrip("\n").split("\n")
    return sorted(tuple(v for i, v in enumerate(line.split("\t")) if i not in (2, 3)) for line in lines[1:])


def test_export_writes_the_same_rows_back_and_round_trips(database_url, session, tmp_path, migrated_template):
    if not str(database_url).startswith("sqlite"):
        pytest.skip("copies a SQLite template")
    assert cli(database_url, "import", MQM / "bridge.tsv", "--project", "WMT").exit_code == 0
    first = tmp_path / "first.tsv"
    result = cli(database_url, "export", "--project", "WMT", "--format", "mqm-tsv", "-o", first)
    assert result.exit_code == 0, result.output
    assert "5 errors" in result.output
    original = (MQM / "bridge.tsv").read_text("utf-8")
    assert first.read_text("utf-8").split("\n")[0] == original.split("\n")[0]
    assert rows_of(first.read_text("utf-8")) == rows_of(original)
    import shutil
    other = tmp_path / "other.db"
    shutil.copy(migrated_template, other)
    other_url = f"sqlite:///{other}"
    assert cli(other_url, "import", first, "--project", "WMT").exit_code == 0
    second = tmp_path / "second.tsv"
    assert cli(other_url, "export", "--project", "WMT", "--format", "mqm-tsv", "-o", second).exit_code == 0
    assert second.read_bytes() == first.read_bytes()
    # Scores survive the round trip.
    assert cli(other_url, "mqm", "--project", "WMT").output == cli(database_url, "mqm", "--project", "WMT").output


def test_export_of_a_quoted_file_keeps_comments_and_quotes(database_url, session, tmp_path):
    assert cli(database_url, "import", MQM / "quoted.tsv", "--project", "Quoted").exit_code == 0
    out = tmp_path / "q.tsv"
    assert cli(database_url, "export", "--project", "Quoted", "--format", "mqm-tsv", "-o", out).exit_code == 0
    text = out.read_text("utf-8")
    assert text.split("\n")[0].endswith("\tcomment")
    import csv
    quoted = list(csv.reader((MQM / "quoted.tsv").read_text("utf-8").splitlines(), delimiter="\t"))
    assert rows_of(text) == sorted(tuple(v for i, v in enumerate(row) if i not in (2, 3)) for row in quoted[1:])
    assert 'Sie sagte <v>"ja"</v>.' in text  # a quote inside a field needs no quoting


def test_export_writes_a_severity_stored_as_a_number(database_url, session, tmp_path):
    # attrs are free JSON: a severity stored as a number (by a script, or an older version) crashed the TSV
    # export on .capitalize() and left a .partial file.
    assert cli(database_url, "import", MQM / "bridge.tsv", "--project", "WMT").exit_code == 0
    span = session.exec(select(Annotation).where(Annotation.label == "Accuracy/Mistranslation")).first()
    span.attrs = {**span.attrs, "severity": 3}
    session.add(span)
    session.commit()
    out = tmp_path / "n.tsv"
    result = cli(database_url, "export", "--project", "WMT", "--format", "mqm-tsv", "-o", out)
    assert result.exit_code == 0, result.output
    assert any(line.split("\t")[-1] == "3" for line in out.read_text("utf-8").splitlines())
