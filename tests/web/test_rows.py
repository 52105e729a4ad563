"""Alignment corrections over HTTP: confirm, move, split, merge, detach; each answers with the changed rows."""

import json
import re

import pytest
from sqlmodel import select

from labeler.alignment import realign_group
from labeler.ingest import import_documents
from labeler.models import AlignmentMember, AlignmentRow, Event, Group, Segment
from labeler.readers import read_paths

EN = ["The bridge opens on Monday.", "It cost 40 million euros.", "Mayor Ana Ruiz cut the ribbon.",
      "Traffic will fall by a third."]
DE = ["Die Brücke öffnet am Montag.", "Sie kostete 40 Millionen Euro.", "Bürgermeisterin Ana Ruiz schnitt das Band durch.",
      "Der Verkehr wird um ein Drittel sinken."]


@pytest.fixture
def group(session, tmp_path):
    path = tmp_path / "bridge.jsonl"
    path.write_text("\n".join(json.dumps({"group": "bridge", "doc_id": lang, "lang": lang, "text": "\n".join(text)})
                              for lang, text in (("en", EN), ("de", DE))) + "\n")
    import_documents(session, "Bridge", read_paths([path]))
    return session.exec(select(Group)).one()


@pytest.fixture
def editor(auth, group):
    auth.login()
    return auth


def layout(session, group):
    """The rows as lists of (document origin, paragraph position), top to bottom."""
    session.expire_all()
    out = []
    for row in session.exec(select(AlignmentRow).where(AlignmentRow.group_id == group.id).order_by(AlignmentRow.position)):
        members = session.exec(select(Segment).join(AlignmentMember, AlignmentMember.segment_id == Segment.id)
                               .where(AlignmentMember.row_id == row.id).order_by(Segment.document_id, Segment.position))
        out.append(sorted((m.document_id, m.position) for m in members))
    return out


def rows(session, group):
    session.expire_all()
    return list(session.exec(select(AlignmentRow).where(AlignmentRow.group_id == group.id).order_by(AlignmentRow.position)))


def segment(session, group, lang_position, paragraph):
    from labeler.alignment import current_documents

    document = current_documents(session, group.id)[lang_position]
    return session.exec(select(Segment).where(Segment.document_id == document.id, Segment.position == paragraph)).one()


URL = "/projects/bridge/groups/bridge"


def test_import_aligns_one_to_one(session, group):
    assert [len(cells) for cells in layout(session, group)] == [2, 2, 2, 2]


def test_confirm_marks_the_row_and_returns_it(editor, session, group):
    first = rows(session, group)[0]
    response = editor.post(f"{URL}/rows/{first.id}/confirm", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert f'id="row-{first.id}"' in response.text and "status-confirmed" in response.text
    assert rows(session, group)[0].status == "confirmed"
    assert session.exec(select(Event).where(Event.action == "alignment.confirm")).one().user_id is not None


def test_detach_then_merge_restores_the_row(editor, session, group):
    german = segment(session, group, 1, 1)
    first_row = rows(session, group)[1]
    response = editor.post(f"{URL}/paragraphs/{german.id}/detach")
    assert response.status_code == 200
    assert response.text.count('class="arow') == 2
    assert [len(cells) for cells in layout(session, group)] == [2, 1, 1, 2, 2]
    merged = editor.post(f"{URL}/rows/{first_row.id}/merge")
    assert merged.status_code == 200 and 'hx-swap-oob="delete"' in merged.text
    assert [len(cells) for cells in layout(session, group)] == [2, 2, 2, 2]
    assert [r.position for r in rows(session, group)] == [0, 1, 2, 3]


def test_the_row_count_above_the_rows_follows_a_correction(editor, session, group):
    # It said "4 rows" until the page was loaded again, whatever a detach or a merge had made of them.
    assert re.search(r'id="row-total"[^>]*>\s*4 rows', editor.client.get(URL).text)
    german = segment(session, group, 1, 1)
    detached = editor.post(f"{URL}/paragraphs/{german.id}/detach", headers={"HX-Request": "true"})
    assert re.search(r'id="row-total" hx-swap-oob="true"[^>]*>\s*5 rows', detached.text)
    merged = editor.post(f"{URL}/rows/{rows(session, group)[1].id}/merge", headers={"HX-Request": "true"})
    assert re.search(r'id="row-total" hx-swap-oob="true"[^>]*>\s*4 rows', merged.text)


def test_move_down_joins_the_row_below_and_removes_an_empty_row(editor, session, group):
    german = segment(session, group, 1, 0)
    editor.post(f"{URL}/paragraphs/{german.id}/detach")
    response = editor.post(f"{URL}/paragraphs/{german.id}/move/down")
    assert response.status_code == 200
    assert 'hx-swap-oob="outerHTML"' in response.text
    assert [len(cells) for cells in layout(session, group)] == [1, 3, 2, 2]
    assert all(r.method == "manual" and r.status == "confirmed" for r in rows(session, group)[:2])


def test_split_puts_later_paragraphs_of_the_column_in_a_new_row(editor, session, group):
    first, second = rows(session, group)[:2]
    editor.post(f"{URL}/rows/{first.id}/merge")
    english = segment(session, group, 0, 1)
    response = editor.post(f"{URL}/paragraphs/{english.id}/split")
    assert response.status_code == 200
    assert [len(cells) for cells in layout(session, group)] == [3, 1, 2, 2]


@pytest.mark.parametrize("action, message", [
    ("paragraphs/{top}/move/up", "no row above"),
    ("paragraphs/{top}/split", "nothing to split"),
    ("rows/{last_row}/merge", "no row below"),
])
def test_impossible_corrections_are_409_with_a_reason_and_change_nothing(editor, session, group, action, message):
    before = layout(session, group)
    top = segment(session, group, 0, 0).id
    last_row = rows(session, group)[-1].id
    response = editor.post(f"{URL}/{action.format(top=top, last_row=last_row)}", headers={"HX-Request": "true"})
    assert response.status_code == 409
    assert message in response.text
    assert layout(session, group) == before


def test_a_paragraph_of_another_group_is_refused(editor, session, group, tmp_path):
    path = tmp_path / "other.jsonl"
    path.write_text(json.dumps({"group": "other", "doc_id": "x", "lang": "en", "text": "Other text here."}) + "\n")
    import_documents(session, "Bridge", read_paths([path]))
    foreign = session.exec(select(Segment).order_by(Segment.id.desc())).first()
    response = editor.post(f"{URL}/paragraphs/{foreign.id}/detach")
    assert response.status_code == 404 and "not in this group" in response.text


def test_corrections_need_the_csrf_token(editor, client, session, group):
    first = rows(session, group)[0]
    assert client.post(f"{URL}/rows/{first.id}/confirm").status_code == 400


def test_realigning_keeps_confirmed_rows(editor, session, group):
    german = segment(session, group, 1, 2)
    editor.post(f"{URL}/paragraphs/{german.id}/detach")
    before = layout(session, group)
    realign_group(session, session.get(Group, group.id))
    session.commit()
    after = layout(session, group)
    assert before[2] in after and before[3] in after


def test_the_page_draws_the_paragraph_tools_once_and_their_urls_reach_the_routes(editor, session, group):
    # Four buttons in every paragraph made most of a group page's HTML (issue 8): the page now carries one set, in a
    # template whose URL patterns the script fills in for the paragraph at hand.
    page = editor.client.get(URL).text
    assert page.count('data-para-action="') == 5
    template = page[page.index('<template id="para-tools">'):page.index("</template>")]
    assert page.count('class="seg" data-segment=') == page.count('tabindex="0"') == 8  # each reachable by Tab
    pattern = dict(re.findall(r'data-para-action="(\w+)"[^>]*?data-url="([^"]+)"', template, re.S))
    assert set(pattern) == {"up", "down", "split", "detach", "continue"}
    german = segment(session, group, 1, 1)
    response = editor.post(pattern["detach"].replace("{id}", str(german.id)), headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert [len(cells) for cells in layout(session, group)] == [2, 1, 1, 2, 2]
