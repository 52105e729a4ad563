"""A paragraph in several alignment rows: the aligner's continuations, and the corrections that keep them sound.

German merges two English paragraphs into one: it begins in the row of the first and *continues* in the row of
the second, so every pair of paragraphs that say the same thing shares a row.
"""

import json

import pytest
from sqlmodel import select

from labeler import corrections
from labeler.alignment import current_documents, realign_group
from labeler.ingest import import_documents
from labeler.models import AlignmentMember, AlignmentRow, Group, Segment
from labeler.readers import read_paths
from tests.unit.test_align import DE as DE_PARAGRAPHS, EN, ES

# German merges English 1 and 2 into one paragraph.
DE = [DE_PARAGRAPHS[0], DE_PARAGRAPHS[1] + " " + DE_PARAGRAPHS[2], *DE_PARAGRAPHS[3:]]


@pytest.fixture
def group(session, tmp_path):
    path = tmp_path / "harbour.jsonl"
    path.write_text("\n".join(
        json.dumps({"group": "harbour", "doc_id": lang, "lang": lang, "role": role, "text": "\n".join(text)})
        for lang, role, text in (("en", "source", EN), ("de", "translation", DE), ("es", "translation", ES))) + "\n")
    import_documents(session, "Harbour", read_paths([path]))
    return session.exec(select(Group)).one()


def layout(session, group):
    """Each row as a string per language: paragraph numbers, a ``+`` after one that continues from above."""
    session.expire_all()
    langs = {d.id: d.lang for d in current_documents(session, group.id)}
    out = []
    for row in session.exec(select(AlignmentRow).where(AlignmentRow.group_id == group.id)
                            .order_by(AlignmentRow.position)):
        cells = {lang: "" for lang in langs.values()}
        for member, segment in session.exec(
                select(AlignmentMember, Segment).join(Segment, Segment.id == AlignmentMember.segment_id)
                .where(AlignmentMember.row_id == row.id).order_by(Segment.position)):
            cells[langs[segment.document_id]] += f"{segment.position}{'+' if member.continued else ''} "
        out.append(" | ".join(cells[lang].strip() for lang in ("en", "de", "es")))
    return out


def paragraph(session, group, lang, position):
    document = next(d for d in current_documents(session, group.id) if d.lang == lang)
    return session.exec(select(Segment).where(Segment.document_id == document.id, Segment.position == position)).one()


def row_ids(session, group):
    session.expire_all()
    return list(session.exec(select(AlignmentRow.id).where(AlignmentRow.group_id == group.id)
                             .order_by(AlignmentRow.position)))


ALIGNED = ["0 | 0 | 0", "1 | 1 | 1", "2 | 1+ | 2", "3 | 2 | 3", "4 | 3 | 4"]


def test_import_puts_a_merged_paragraph_in_both_rows(session, group):
    assert layout(session, group) == ALIGNED


def test_a_paragraph_begins_in_one_row_only(session, group):
    from sqlalchemy.exc import IntegrityError

    german = paragraph(session, group, "de", 1)
    session.add(AlignmentMember(row_id=row_ids(session, group)[3], segment_id=german.id))
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()


def test_moving_a_paragraph_puts_it_wholly_in_the_new_row(session, group):
    corrections.move_paragraph(session, group.id, paragraph(session, group, "de", 1).id, +1, None)
    assert layout(session, group) == ["0 | 0 | 0", "1 |  | 1", "2 | 1 | 2", "3 | 2 | 3", "4 | 3 | 4"]


def test_merging_two_rows_keeps_a_paragraph_once(session, group):
    ids = row_ids(session, group)
    corrections.merge_with_below(session, group.id, ids[1], None)
    assert layout(session, group) == ["0 | 0 | 0", "1 2 | 1 | 1 2", "3 | 2 | 3", "4 | 3 | 4"]


def test_detaching_a_paragraph_ends_its_continuation(session, group):
    corrections.detach_paragraph(session, group.id, paragraph(session, group, "de", 1).id, None)
    assert layout(session, group) == ["0 | 0 | 0", "1 |  | 1", " | 1 | ", "2 |  | 2", "3 | 2 | 3", "4 | 3 | 4"]


def test_a_paragraph_that_begins_above_a_continuation_ends_it(session, group):
    german = paragraph(session, group, "de", 2)
    corrections.move_paragraph(session, group.id, german.id, -1, None)
    assert layout(session, group) == ["0 | 0 | 0", "1 | 1 | 1", "2 | 1+ 2 | 2", "3 |  | 3", "4 | 3 | 4"]
    corrections.move_paragraph(session, group.id, german.id, -1, None)
    assert layout(session, group) == ["0 | 0 | 0", "1 | 1 2 | 1", "2 |  | 2", "3 |  | 3", "4 | 3 | 4"]
    changed, deleted = corrections.changed_elsewhere(session)
    assert row_ids(session, group)[2] in changed and not deleted


def test_a_row_left_with_nothing_but_an_ended_continuation_is_removed(session, group):
    ids = row_ids(session, group)
    for lang in ("en", "es"):  # row 2 keeps only the German continuation
        corrections.move_paragraph(session, group.id, paragraph(session, group, lang, 2).id, -1, None)
    assert layout(session, group)[1:3] == ["1 2 | 1 | 1 2", " | 1+ | "]
    corrections.end_continuation(session, group.id, ids[2], paragraph(session, group, "de", 1).id, None)
    assert layout(session, group) == ["0 | 0 | 0", "1 2 | 1 | 1 2", "3 | 2 | 3", "4 | 3 | 4"]


def test_continue_below_and_end_it(session, group):
    spanish = paragraph(session, group, "es", 3)
    ids = row_ids(session, group)
    below = corrections.continue_below(session, group.id, spanish.id, None)
    assert below.id == ids[4]
    assert layout(session, group)[3:] == ["3 | 2 | 3", "4 | 3 | 3+ 4"]
    assert {r.status for r in session.exec(select(AlignmentRow).where(AlignmentRow.id.in_(ids[3:])))} == {"confirmed"}
    with pytest.raises(corrections.AlignmentError, match="no row below"):
        corrections.continue_below(session, group.id, spanish.id, None)
    corrections.end_continuation(session, group.id, ids[4], spanish.id, None)
    assert layout(session, group) == ALIGNED
    with pytest.raises(corrections.AlignmentError, match="does not continue"):
        corrections.end_continuation(session, group.id, ids[4], spanish.id, None)
    # A sentence drawn across a boundary: Spanish 1 goes on in the row where Spanish 2 begins.
    corrections.continue_below(session, group.id, paragraph(session, group, "es", 1).id, None)
    assert layout(session, group)[2] == "2 | 1+ | 1+ 2"


def test_a_paragraph_cannot_continue_past_the_next_one(session, group):
    corrections.merge_with_below(session, group.id, row_ids(session, group)[0], None)
    assert layout(session, group)[0] == "0 1 | 0 1 | 0 1"
    with pytest.raises(corrections.AlignmentError, match="begins in the same row"):
        corrections.continue_below(session, group.id, paragraph(session, group, "es", 0).id, None)


def test_realigning_keeps_a_confirmed_continuation(session, group):
    ids = row_ids(session, group)
    corrections.confirm_row(session, group.id, ids[2], None)
    for _ in range(2):
        realign_group(session, group)
        # German 1 is in a confirmed row: it stays there, and now begins there; the rest is aligned around it.
        rows = layout(session, group)
        assert rows[2] == "2 | 1 | 2" and rows[3:] == ["3 | 2 | 3", "4 | 3 | 4"]
        assert session.get(AlignmentRow, ids[2]).status == "confirmed"


def test_realigning_leaves_suggested_continuations_as_the_aligner_makes_them(session, group):
    realign_group(session, group)
    assert layout(session, group) == ALIGNED


def test_the_review_grid_shows_a_continued_paragraph_once(session, group):
    from labeler import review

    built = review.grid(session, group, current_documents(session, group.id), every_row=True)
    german = [[(p.id, p.continued) for p in row.cells[1]] for row in built.rows]
    merged = paragraph(session, group, "de", 1).id
    assert german[1] == [(merged, False)] and german[2] == [(merged, True)]
    assert built.rows[2].cells[1][0].versions == []


def test_the_review_page_points_from_a_continuation_to_its_paragraph(auth, session, group):
    auth.login("rev_user")
    page = auth.client.get("/projects/harbour/groups/harbour/review?rows=all")
    assert page.status_code == 200
    merged = paragraph(session, group, "de", 1).id
    # Nobody has labelled yet: one version column per document, the gold one.
    assert page.text.count(f'data-continues="{merged}"') == 1
    assert page.text.count(f'<p class="para" data-segment="{merged}"') == 1


def test_export_lists_continuations_and_an_import_restores_them(database_url, session, group, tmp_path,
                                                                migrated_template):
    import io
    import shutil

    import jsonschema
    from click.testing import CliRunner

    from labeler.cli import main
    from labeler.export import export
    from labeler.models import Project
    from tests.web.test_export import SCHEMA

    if not str(database_url).startswith("sqlite"):
        pytest.skip("copies a SQLite template")
    # A continuation a person made (Spanish 3 goes on into the last row), so the file differs from the aligner's.
    corrections.continue_below(session, group.id, paragraph(session, group, "es", 3).id, None)
    session.commit()
    project = session.exec(select(Project)).one()
    out = io.BytesIO()
    export(session, project, out, format="alignment")
    rows = [json.loads(line) for line in out.getvalue().decode().split("\n") if line]
    assert rows[2]["members"]["de"] == ["p1"] and rows[2]["continued"] == {"en": [], "de": ["p1"], "es": []}
    out = io.BytesIO()
    export(session, project, out)
    records = {r["doc_id"]: r for r in (json.loads(line) for line in out.getvalue().decode().split("\n") if line)}
    for record in records.values():
        jsonschema.validate(record, SCHEMA)
    assert [(p["row"], p["continues_in"]) for p in records["de"]["paragraphs"]] == [(0, []), (1, [2]), (3, []), (4, [])]
    assert records["es"]["paragraphs"][3]["continues_in"] == [4]
    path = tmp_path / "gold.jsonl"
    path.write_bytes(out.getvalue())
    other = tmp_path / "other.db"
    shutil.copy(migrated_template, other)
    result = CliRunner().invoke(main, ["import", str(path), "--project", "Harbour", "--db", f"sqlite:///{other}"])
    assert result.exit_code == 0, result.output
    from sqlmodel import Session, create_engine

    with Session(create_engine(f"sqlite:///{other}")) as restored:
        assert layout(restored, restored.exec(select(Group)).one()) == ALIGNED[:4] + ["4 | 3 | 3+ 4"]


URL = "/projects/harbour/groups/harbour"


def test_the_group_page_shows_a_pointer_where_a_paragraph_goes_on(auth, session, group):
    auth.login()
    page = auth.client.get(URL)
    merged = paragraph(session, group, "de", 1).id
    ids = row_ids(session, group)
    assert page.text.count(f'class="seg" data-segment="{merged}"') == 1  # its text once, in the row it begins in
    assert f'data-continues="{merged}"' in page.text
    assert f'{URL}/rows/{ids[2]}/continued/{merged}/end' in page.text
    assert "/paragraphs/{id}/continue" in page.text  # the shared toolbar's pattern


def test_continue_and_end_over_http_answer_with_the_changed_rows(auth, session, group):
    auth.login()
    spanish = paragraph(session, group, "es", 3)
    ids = row_ids(session, group)
    response = auth.post(f"{URL}/paragraphs/{spanish.id}/continue", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert f'id="row-{ids[3]}"' in response.text and f'id="row-{ids[4]}"' in response.text
    assert f'data-continues="{spanish.id}"' in response.text
    assert layout(session, group)[4] == "4 | 3 | 3+ 4"
    again = auth.post(f"{URL}/paragraphs/{spanish.id}/continue")
    assert again.status_code == 409 and "no row below" in again.text
    ended = auth.post(f"{URL}/rows/{ids[4]}/continued/{spanish.id}/end", headers={"HX-Request": "true"})
    assert ended.status_code == 200 and f'data-continues="{spanish.id}"' not in ended.text
    assert layout(session, group) == ALIGNED
    assert auth.post(f"{URL}/rows/{ids[4]}/continued/{spanish.id}/end").status_code == 409


def test_ending_the_last_member_of_a_row_removes_the_row_from_the_page(auth, session, group):
    auth.login()
    ids = row_ids(session, group)
    for lang in ("en", "es"):
        corrections.move_paragraph(session, group.id, paragraph(session, group, lang, 2).id, -1, None)
    session.commit()
    german = paragraph(session, group, "de", 1).id
    response = auth.post(f"{URL}/rows/{ids[2]}/continued/{german}/end", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert f'<tr id="row-{ids[2]}" hx-swap-oob="delete">' in response.text
    assert ids[2] not in row_ids(session, group)


def test_a_move_that_ends_a_continuation_sends_that_row_too(auth, session, group):
    auth.login()
    ids = row_ids(session, group)
    german = paragraph(session, group, "de", 2)
    auth.post(f"{URL}/paragraphs/{german.id}/move/up")
    response = auth.post(f"{URL}/paragraphs/{german.id}/move/up", headers={"HX-Request": "true"})
    assert response.status_code == 200
    # German 2 now begins above German 1's continuation, which ends: row 2 comes back out of band without it.
    assert f'<tr id="row-{ids[2]}"' in response.text and 'data-continues' not in response.text
