"""The gold export in several processes: the same bytes as in one, one snapshot, and a failing worker fails it."""

import hashlib
import io
import json
import os
import time

import pytest
from click.testing import CliRunner
from sqlmodel import Session, select

import labeler.export
import labeler.export_parallel
import labeler.gold_records
from labeler.auth import create_user
from labeler.cli import main
from labeler.db import make_engine
from labeler.export import export
from labeler.ingest import import_documents
from labeler.models import Annotation, Document, ExportRecord, Group, Project, Segment
from labeler.readers import read_paths
from tests.conftest import PASSWORD

GROUPS = 7
LANGS = ("en", "de", "fr")


def sentence(lang: str, group: int, number: int) -> str:
    return (f"{lang.upper()} {group}.{number}: Mayor Ana Ruiz opened bridge {number} in Port Elin "
            f"for {number + 3} million.")


@pytest.fixture
def project(session, tmp_path):
    """Seven groups of three documents; gold spans (one with a counterpart) and two annotators' spans in each."""
    path = tmp_path / "corpus.jsonl"
    path.write_text("".join(json.dumps({
        "group": f"g{group}", "doc_id": lang, "lang": lang, "role": "source" if lang == "en" else "translation",
        "text": "\n".join(sentence(lang, group, number) for number in range(3))}) + "\n"
        for group in range(GROUPS) for lang in LANGS), encoding="utf-8")
    import_documents(session, "Many", read_paths([path]))
    ana, ben = create_user(session, "ana", PASSWORD), create_user(session, "ben", PASSWORD)
    rev = create_user(session, "rev", PASSWORD, "reviewer")
    for document, segment in session.exec(select(Document, Segment).join(Segment, Segment.document_id == Document.id)):
        text = document.text[segment.char_start:segment.char_end]

        def at(surface: str, **fields) -> Annotation:
            start = segment.char_start + text.index(surface)
            return Annotation(document_id=document.id, segment_id=segment.id, char_start=start,
                              char_end=start + len(surface), surface=surface, **fields)

        person = at("Ana Ruiz", layer="entity", label="PER", decided_by_id=rev.id, decision="accept")
        session.add_all([person, at("Ana Ruiz", layer="entity", label="PER", annotator_id=ana.id),
                         at("Port Elin", layer="entity", label="LOC", annotator_id=ben.id),
                         at("Port Elin", layer="entity", label="LOC", decision="unanimous"),
                         at("million", layer="claim", label="CLAIM", attrs={"check_worthy": "yes"},
                            annotator_id=ana.id)])
        session.flush()
        session.add(at("bridge", layer="error", label="Accuracy/Mistranslation", attrs={"severity": "minor"},
                       counterpart_id=person.id, decision="unanimous"))
    session.commit()
    return session.exec(select(Project)).one()


@pytest.fixture
def parallel(monkeypatch):
    """Any export of two groups or more may run in several processes."""
    monkeypatch.setattr(labeler.export, "PARALLEL_MIN_GROUPS", 2)


def exported(session, project, **options) -> tuple[bytes, ExportRecord]:
    out = io.BytesIO()
    record = export(session, project, out, **options)
    session.commit()
    return out.getvalue(), record


@pytest.mark.parametrize("labels", ["gold", "all"])
@pytest.mark.parametrize("workers", [2, 3])
def test_several_processes_write_the_same_bytes_as_one(session, project, parallel, labels, workers):
    serial, one = exported(session, project, labels=labels)
    split, many = exported(session, project, labels=labels, workers=workers)
    assert split == serial and len(serial.split(b"\n")) == GROUPS * len(LANGS) * (3 if labels == "all" else 1) + 1
    assert many.sha256 == one.sha256 == hashlib.sha256(serial).hexdigest()
    assert many.counts == one.counts and many.record_count == one.record_count


def test_a_small_export_stays_in_one_process(session, project, monkeypatch):
    monkeypatch.setattr(labeler.export_parallel, "parallel_gold_blocks", None)  # would fail if called
    assert exported(session, project, workers=2)[0]


def test_the_workers_read_the_snapshot_of_the_moment_they_started(session, project, parallel, engine, monkeypatch,
                                                                 tmp_path):
    # A span saved while the export runs (here: once every process has its snapshot, before any writes a line) is
    # in none of its parts: the worker, whose share holds that group, reads only once the span is saved.
    before, _ = exported(session, project)
    parent, real = os.getpid(), labeler.export_parallel.gold_lines
    late = next(document for document in session.exec(select(Document).join(Group).where(Group.key == "g6")))
    saved = tmp_path / "saved"

    def saving_first(*args):
        if os.getpid() != parent:  # the worker
            while not saved.exists():
                time.sleep(0.01)
            return real(*args)
        other = make_engine(engine.url.render_as_string(hide_password=False))
        with Session(other) as writer:
            span = Annotation(document_id=late.id, segment_id=0, char_start=0, char_end=2, surface=late.text[:2],
                              layer="entity", label="MISC")
            span.segment_id = writer.exec(select(Segment.id).where(Segment.document_id == late.id)).first()
            writer.add(span)
            writer.commit()
        other.dispose()
        saved.touch()
        return real(*args)

    monkeypatch.setattr(labeler.export_parallel, "gold_lines", saving_first)
    during, _ = exported(session, project, workers=2)
    assert during == before
    monkeypatch.setattr(labeler.export_parallel, "gold_lines", real)
    after, _ = exported(session, project)
    assert after != before and b'"label":"MISC"' in after


def test_one_process_reads_one_snapshot_too(session, project, engine, monkeypatch):
    # The export in one process (the web page's, a small one) read each statement on the state of its moment: a
    # span saved while it ran was in the file, its group's other records not re-read, and the file half of each.
    before, _ = exported(session, project)
    real = labeler.gold_records.loaded
    late = next(document for document in session.exec(select(Document).join(Group).where(Group.key == "g6")))

    def saving_after_the_first_group(*args):
        for number, data in enumerate(real(*args)):
            if number == 1:
                other = make_engine(engine.url.render_as_string(hide_password=False))
                with Session(other) as writer:
                    segment_id = writer.exec(select(Segment.id).where(Segment.document_id == late.id)).first()
                    writer.add(Annotation(document_id=late.id, segment_id=segment_id, char_start=0, char_end=2,
                                          surface=late.text[:2], layer="entity", label="MISC"))
                    writer.commit()
                other.dispose()
            yield data

    monkeypatch.setattr(labeler.gold_records, "loaded", saving_after_the_first_group)
    during, record = exported(session, project)
    assert during == before and record.id is not None
    monkeypatch.setattr(labeler.gold_records, "loaded", real)
    assert b'"label":"MISC"' in exported(session, project)[0]


def test_a_failing_worker_fails_the_export_and_leaves_nothing_behind(session, project, parallel, monkeypatch,
                                                                     tmp_path):
    parent, real = os.getpid(), labeler.export_parallel.gold_lines

    def failing_in_workers(*args):
        if os.getpid() != parent:
            raise OSError("the disk went away")
        return real(*args)

    forked, fork = [], labeler.export_parallel._Worker.fork

    def recording(*args):
        worker = fork(*args)
        forked.append(worker.pid)
        return worker

    monkeypatch.setattr(labeler.export_parallel, "gold_lines", failing_in_workers)
    monkeypatch.setattr(labeler.export_parallel._Worker, "fork", recording)
    (tmp_path / "tmp").mkdir()
    monkeypatch.setattr(labeler.export_parallel.tempfile, "tempdir", str(tmp_path / "tmp"))
    with pytest.raises(RuntimeError, match="(?s)export worker .* failed.*the disk went away"):
        export(session, project, io.BytesIO(), workers=2)
    session.rollback()
    assert session.exec(select(ExportRecord)).all() == []
    assert list((tmp_path / "tmp").iterdir()) == []  # the parts are gone, and the worker was reaped (the test
    assert forked  # session may have children of its own, such as the browser tests' Playwright driver)
    for pid in forked:
        with pytest.raises(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)


def test_the_command_line_exports_in_several_processes(database_url, session, project, parallel, tmp_path,
                                                       monkeypatch):
    one, two = tmp_path / "one.jsonl", tmp_path / "two.jsonl"
    for path, workers in ((one, "1"), (two, "2")):
        result = CliRunner().invoke(main, ["export", "--project", "Many", "-o", str(path), "--workers", workers,
                                           "--db", database_url])
        assert result.exit_code == 0, result.output
        assert f"exported {GROUPS * len(LANGS)} records" in result.output
    assert two.read_bytes() == one.read_bytes()
    # A worker that dies leaves no file, not even a partial one.
    parent, real = os.getpid(), labeler.export_parallel.gold_lines
    monkeypatch.setattr(labeler.export_parallel, "gold_lines",
                        lambda *args: os._exit(3) if os.getpid() != parent else real(*args))
    failed = CliRunner().invoke(main, ["export", "--project", "Many", "-o", str(tmp_path / "g.jsonl"),
                                       "--workers", "2", "--db", database_url])
    assert failed.exit_code != 0 and "died" in str(failed.exception)
    assert not (tmp_path / "g.jsonl").exists() and not (tmp_path / "g.jsonl.partial").exists()
