"""Pre-annotations: a gold file imported with --pre-annotate offers its spans to every annotator, who accepts
(the span becomes theirs) or rejects (it is hidden for them); undo brings the suggestion back."""

import io
import json
import re

import pytest
from click.testing import CliRunner
from sqlmodel import select

from labeler import annotations
from labeler.cli import main
from labeler.export import export
from labeler.labels import labels_in_use
from labeler.models import Annotation, Document, Group, Project, User
from tests.conftest import AuthActions
from tests.web.test_annotations import BASE, TEXTS, message

HX = {"HX-Request": "true"}


@pytest.fixture
def offered(database_url, session, users, tmp_path):
    """The bridge group with two pre-annotations (an entity and an error) from a gold file."""
    en, xx = TEXTS["en"], TEXTS["xx"]

    def record(doc_id, text, entities=(), errors=()):
        return {"schema": "labeler.gold/1", "group": "bridge", "doc_id": doc_id, "lang": "en", "role": "translation",
                "title": doc_id, "text": text, "entities": list(entities), "errors": list(errors)}
    start = en.index("Ana Ruiz")
    bad = xx.index("Port Elin")
    lines = [record("en", en, entities=[{"id": "s1", "char_start": start, "char_end": start + 8, "surface": "Ana Ruiz",
                                         "label": "PER", "concept": None, "annotators": [], "decided_by": None}]),
             record("xx", xx, errors=[{"id": "s1", "char_start": bad, "char_end": bad + 9, "surface": "Port Elin",
                                       "category": "Accuracy/Mistranslation", "severity": "minor", "attrs": {},
                                       "counterpart": None, "annotators": [], "decided_by": None}])]
    path = tmp_path / "machine.gold.jsonl"
    path.write_text("\n".join(json.dumps(line, ensure_ascii=False) for line in lines) + "\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["import", str(path), "--project", "Bridge", "--pre-annotate", "--db", database_url])
    assert result.exit_code == 0, result.output
    session.expire_all()
    return {s.surface: s for s in session.exec(select(Annotation))}


def login(client, username="ann_user"):
    auth = AuthActions(client)
    auth.login(username)
    return auth


def test_pre_annotations_are_suggestions_of_no_annotator(offered):
    assert {(s.surface, s.annotator_id, s.status, s.origin) for s in offered.values()} == {
        ("Ana Ruiz", None, "suggested", "import"), ("Port Elin", None, "suggested", "import")}


def test_suggestions_show_dashed_and_open_with_accept_and_reject(client, offered):
    login(client)
    page = client.get(BASE).text
    suggestion = offered["Ana Ruiz"]
    assert f'class="run ent ent-per depth-1 start suggested" data-spans="{suggestion.id}"' in page
    editor = client.get(f"{BASE}/spans?ids={suggestion.id}", headers=HX).text
    assert "data-suggestion" in editor and "Accept <kbd>Enter</kbd>" in editor and "Reject <kbd>Backspace</kbd>" in editor
    assert "from import" in editor


def test_accepting_makes_the_span_yours_and_hides_the_suggestion_for_you_only(client, session, offered):
    auth = login(client)
    suggestion = offered["Ana Ruiz"]
    response = auth.post(f"{BASE}/annotations/{suggestion.id}/accept", headers=HX)
    assert response.status_code == 200
    trigger = json.loads(response.headers["HX-Trigger"])["labeler:saved"]
    assert trigger["message"] == "Accepted PER"
    session.expire_all()
    mine = session.get(Annotation, trigger["span"])
    user = session.exec(select(User).where(User.username == "ann_user")).one()
    assert (mine.annotator_id, mine.status, mine.origin, mine.label) == (user.id, "accepted", "import", "PER")
    assert f'data-spans="{mine.id}"' in response.text and "suggested" not in response.text.split(f'data-spans="{mine.id}"')[0][-80:]
    page = client.get(BASE).text
    assert f'data-spans="{suggestion.id}"' not in page
    assert auth.post(f"{BASE}/annotations/{suggestion.id}/accept", headers=HX).status_code == 409
    other = login(client, "rev_user")
    assert f'data-spans="{suggestion.id}"' in client.get(BASE).text
    assert other.post(f"{BASE}/annotations/{suggestion.id}/reject", headers=HX).status_code == 200


def test_rejecting_hides_it_and_writes_no_label(client, session, offered):
    auth = login(client)
    suggestion = offered["Port Elin"]
    response = auth.post(f"{BASE}/annotations/{suggestion.id}/reject", headers=HX)
    assert response.status_code == 200 and json.loads(response.headers["HX-Trigger"])["labeler:saved"]["message"] == \
        "Rejected Accuracy/Mistranslation"
    assert f'data-spans="{suggestion.id}"' not in client.get(BASE).text
    assert "MQM 0 ·" in client.get(BASE).text  # a rejected error counts for nothing
    project = session.exec(select(Project)).one()
    out = io.BytesIO()
    export(session, project, out, labels="all")
    session.rollback()  # the export's record: not kept, and the database free for the next request
    assert all(not line["errors"] for line in map(json.loads, out.getvalue().decode().splitlines()))
    # A span like the rejected one can still be made by hand.
    document = session.get(Document, suggestion.document_id)
    made = auth.post(f"{BASE}/annotations", headers=HX, data={
        "document_id": document.id, "char_start": suggestion.char_start, "char_end": suggestion.char_end,
        "surface": suggestion.surface, "layer": "error", "label": "Accuracy/Mistranslation"})
    assert made.status_code == 201


def test_undo_brings_a_suggestion_back(client, offered):
    auth = login(client)
    suggestion = offered["Ana Ruiz"]
    assert auth.post(f"{BASE}/annotations/{suggestion.id}/accept", headers=HX).status_code == 200
    undone = auth.post(f"{BASE}/undo", headers=HX)
    assert undone.status_code == 200 and f'data-spans="{suggestion.id}"' in client.get(BASE).text
    assert auth.post(f"{BASE}/redo", headers=HX).status_code == 200
    assert f'data-spans="{suggestion.id}"' not in client.get(BASE).text


def test_only_suggestions_of_this_group_can_be_answered(client, session, offered):
    auth = login(client)
    created = auth.post(f"{BASE}/annotations", headers=HX, data={
        **{k: v for k, v in {"document_id": offered["Ana Ruiz"].document_id, "char_start": 0, "char_end": 5,
                             "surface": "Mayor", "layer": "entity", "label": "MISC"}.items()}})
    own_id = json.loads(created.headers["HX-Trigger"])["labeler:saved"]["span"]
    for target in (own_id, 999999):
        response = auth.post(f"{BASE}/annotations/{target}/accept", headers=HX)
        assert response.status_code == 404 and "no suggestion" in message(response)
    other_group = session.exec(select(Group).where(Group.key != "bridge")).first()
    if other_group is not None:
        response = auth.post(f"/projects/bridge/groups/{other_group.key}/annotations/{offered['Ana Ruiz'].id}/accept",
                             headers=HX)
        assert response.status_code == 404


def test_suggestions_stay_out_of_the_gold_set_and_count_as_labels_in_use(session, offered):
    project = session.exec(select(Project)).one()
    out = io.BytesIO()
    export(session, project, out)
    assert all(not line["entities"] and not line["errors"] for line in map(json.loads, out.getvalue().decode().splitlines()))
    assert labels_in_use(session, project)[("entity", "PER")] == 1


def test_pre_annotate_and_annotator_cannot_be_combined(database_url, tmp_path):
    result = CliRunner().invoke(main, ["import", str(tmp_path), "--project", "X", "--pre-annotate",
                                       "--annotator", "ann_user", "--db", database_url])
    assert result.exit_code != 0 and "choose --annotator or --pre-annotate" in result.output


# The suggesters, run from the command line on a stored group, and "accept all in this row".

FOUR = {
    "en": "The model GPT-4.5 from OpenAI costs 1,200 euros.\nIt ships on 3 March.",
    "es": "El modelo GPT-4.5 de Operai cuesta 1.200 euros.\nSe lanza el 3 de marzo.",
    "pt": "O modelo GPT-4.5 da OpenAI custa 1.200 euros.\nSerá lançado em 3 de março.",
    "fr": "Le modèle GPT-4.5 d'OpenAI coûte 1 200 euros.\nIl sort le 3 mars.",
    "de": "Das Modell GPT-44 von OpenAI kostet 1.200 Euro.\nEs erscheint am 3. März.",
}


@pytest.fixture
def four(database_url, session, users, tmp_path):
    path = tmp_path / "four.jsonl"
    path.write_text("\n".join(json.dumps({"group": "gpt", "doc_id": lang, "lang": lang, "text": text,
                                          "role": "source" if lang == "en" else "translation"}, ensure_ascii=False)
                              for lang, text in FOUR.items()) + "\n", encoding="utf-8")
    assert CliRunner().invoke(main, ["import", str(path), "--project", "GPT", "--db", database_url]).exit_code == 0
    return database_url


def test_suggest_stores_suggestions_and_prints_one_json_object_each(four, session):
    result = CliRunner().invoke(main, ["suggest", "--project", "GPT", "--db", four])
    assert result.exit_code == 0, result.output
    printed = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(p["doc_id"], p["surface"], p["layer"], p["label"]) for p in printed] == [
        ("es", "Operai", "error", "Fluency/Spelling"), ("de", "GPT-44", "error", "Accuracy/Mistranslation")]
    assert set(printed[0]) == {"group", "doc_id", "lang", "char_start", "char_end", "surface", "layer", "label",
                               "reason", "score"}
    assert "2 suggestions, 2 new" in result.stderr
    stored = session.exec(select(Annotation).where(Annotation.status == "suggested")).all()
    assert {(s.origin, s.surface) for s in stored} == {("suggestion:names", "Operai"), ("suggestion:numbers", "GPT-44")}
    wrong = next(s for s in stored if s.surface == "GPT-44")
    assert wrong.attrs["counterpart"] == {"doc_id": "en", "lang": "en", "char_start": 10, "char_end": 17,
                                          "surface": "GPT-4.5"}
    again = CliRunner().invoke(main, ["suggest", "--project", "GPT", "--db", four])
    assert "2 suggestions, 0 new" in again.stderr
    assert len(session.exec(select(Annotation).where(Annotation.status == "suggested")).all()) == 2


def test_suggest_refuses_unknown_names(four):
    bad = CliRunner().invoke(main, ["suggest", "--project", "GPT", "--only", "numbers,magic", "--db", four])
    assert bad.exit_code != 0 and "unknown suggester(s): magic" in bad.output
    assert "no group 'zz'" in CliRunner().invoke(main, ["suggest", "--project", "GPT", "--group", "zz", "--db", four]).output


def test_accept_all_in_a_row_accepts_every_suggestion_there(client, four, session):
    CliRunner().invoke(main, ["suggest", "--project", "GPT", "--db", four])
    auth = login(client)
    base = "/projects/gpt/groups/gpt"
    page = client.get(base).text
    first_row = re.search(r'<tr id="row-(\d+)"', page).group(1)
    assert 'title="Accept the 2 suggestions in this row"' in page
    response = auth.post(f"{base}/rows/{first_row}/accept-suggestions", headers=HX)
    assert response.status_code == 200
    assert json.loads(response.headers["HX-Trigger"])["labeler:saved"]["message"] == "Accepted 2 suggestions"
    assert 'class="tool accept-all"' not in response.text and 'hx-swap-oob="outerHTML"' in response.text  # MQM
    user = session.exec(select(User).where(User.username == "ann_user")).one()
    session.expire_all()
    mine = session.exec(select(Annotation).where(Annotation.annotator_id == user.id)).all()
    assert sorted((a.surface, a.label, a.attrs.get("note", "")[:8]) for a in mine) == [
        ("GPT-44", "Accuracy/Mistranslation", "'GPT-44'"), ("Operai", "Fluency/Spelling", "'Operai'")]
    assert all("reason" not in a.attrs and "counterpart" not in a.attrs for a in mine)
    nothing = auth.post(f"{base}/rows/{first_row}/accept-suggestions", headers=HX)
    assert json.loads(nothing.headers["HX-Trigger"])["labeler:saved"]["message"] == "No suggestion left in this row"


def _two_suggestions_in_the_first_row(client, four, session):
    """Suggest on the GPT group, log in: the client, the group's URL, its first row's id and the two suggestions."""
    CliRunner().invoke(main, ["suggest", "--project", "GPT", "--db", four])
    auth = login(client)
    base = "/projects/gpt/groups/gpt"
    first_row = re.search(r'<tr id="row-(\d+)"', client.get(base).text).group(1)
    offered = session.exec(select(Annotation).where(Annotation.status == "suggested").order_by(Annotation.id)).all()
    assert len(offered) == 2
    return auth, base, first_row, offered


def _accept_all_count(answer: str, row: str) -> str | None:
    """The count on the row's "accept all" button sent out of band in an answer (None: no such button)."""
    button = re.search(rf'<button[^>]*id="accept-all-{row}"[^>]*>\+(\d)</button>', answer)
    return button.group(1) if button and 'hx-swap-oob="outerHTML"' in button.group(0) else None


def test_answering_one_suggestion_counts_the_rows_accept_all_again(client, four, session):
    # The row's "+2" stayed "+2" after one of its suggestions was accepted from the editor.
    auth, base, first_row, offered = _two_suggestions_in_the_first_row(client, four, session)
    one = auth.post(f"{base}/annotations/{offered[0].id}/accept", headers=HX).text
    assert _accept_all_count(one, first_row) == "1"
    two = auth.post(f"{base}/annotations/{offered[1].id}/reject", headers=HX).text
    assert re.search(rf'<span id="accept-all-{first_row}" hidden hx-swap-oob="outerHTML"></span>', two)
    assert f'id="accept-all-{first_row}"' in client.get(base).text and 'class="tool accept-all"' not in client.get(base).text


def test_undo_and_redo_of_an_answer_count_the_rows_accept_all_again(client, four, session):
    # Ctrl+Z after accepting a suggestion brought the suggestion back, but the row still said "+1".
    auth, base, first_row, offered = _two_suggestions_in_the_first_row(client, four, session)
    auth.post(f"{base}/annotations/{offered[0].id}/accept", headers=HX)
    assert _accept_all_count(auth.post(f"{base}/undo", headers=HX).text, first_row) == "2"
    assert _accept_all_count(auth.post(f"{base}/redo", headers=HX).text, first_row) == "1"


def test_the_seeds_get_the_garbled_version_and_the_misspelled_company(database_url, session):
    from tests.conftest import require_seeds
    seeds = require_seeds()
    assert CliRunner().invoke(main, ["import", str(seeds), "--project", "Seeds", "--db", database_url]).exit_code == 0
    result = CliRunner().invoke(main, ["suggest", "--project", "Seeds", "--db", database_url])
    found = {(p["lang"], p["surface"], p["label"]) for p in map(json.loads, result.stdout.splitlines())}
    assert ("de", "GPT-44", "Accuracy/Mistranslation") in found and ("es", "Operai", "Fluency/Spelling") in found
