"""Pre-annotations in the browser: a suggestion is dashed; Enter accepts it, Backspace rejects it."""

import json

from playwright.sync_api import expect
from sqlmodel import select

from labeler.ingest import import_documents
from labeler.models import Annotation
from labeler.readers import read_paths
from tests.browser.test_annotation import TEXTS, URL, column


def _import_suggestions(session, tmp_path) -> None:
    """The bridge group, its English source pre-annotated with two suggestions: Ana Ruiz (PER), Port Elin (LOC)."""
    en = TEXTS["en"]

    def entity(surface, label):
        start = en.index(surface)
        return {"id": f"s{start}", "char_start": start, "char_end": start + len(surface), "surface": surface,
                "label": label, "concept": None, "annotators": [], "decided_by": None}
    records = [{"schema": "labeler.gold/1", "group": "bridge", "doc_id": name, "lang": "en" if name == "xx" else name,
                "role": "source" if name == "en" else "translation", "text": text,
                "entities": [entity("Ana Ruiz", "PER"), entity("Port Elin", "LOC")] if name == "en" else []}
               for name, text in TEXTS.items()]
    path = tmp_path / "pre.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n", encoding="utf-8")
    import_documents(session, "Bridge", read_paths([path]), pre_annotate=True)


def test_accept_with_enter_and_reject_with_backspace(logged_in, page, session, tmp_path):
    _import_suggestions(session, tmp_path)
    page.goto(logged_in + URL)
    english = column(page, 0).first
    person = english.locator(".run.suggested", has_text="Ana Ruiz")
    expect(person).to_be_visible()
    person.click()
    expect(page.locator("#editor [data-suggestion]")).to_be_visible()
    page.keyboard.press("Enter")
    expect(page.locator("#toast")).to_contain_text("Accepted PER")
    expect(english.locator(".run.ent-per:not(.suggested)")).to_have_text("Ana Ruiz")

    page.keyboard.press("Escape")
    page.keyboard.press("]")  # the keyboard path to the next suggestion
    expect(page.locator("#editor [data-suggestion] .surface")).to_have_text("Port Elin")
    expect(page.locator("#editor [data-suggestion]")).to_be_visible()
    page.keyboard.press("Backspace")
    expect(page.locator("#toast")).to_contain_text("Rejected LOC")
    expect(english.locator(".run.suggested")).to_have_count(0)

    page.reload()
    english = column(page, 0).first
    expect(english.locator(".run.ent-per")).to_have_text("Ana Ruiz")
    expect(english.locator(".run.suggested")).to_have_count(0)
    session.expire_all()
    mine = session.exec(select(Annotation).where(Annotation.annotator_id != None)).all()  # noqa: E711
    assert sorted((a.surface, a.status) for a in mine) == [("Ana Ruiz", "accepted"), ("Port Elin", "rejected")]


def test_the_editor_shows_only_once_its_own_buttons_work(logged_in, page, session, tmp_path):
    # Another response settling while the editor's swap has not settled yet used to show the editor with buttons
    # htmx had not wired: the Backspace pressed then was lost (a flaky failure under load, made certain here).
    _import_suggestions(session, tmp_path)
    page.goto(logged_in + URL)
    page.evaluate("htmx.config.defaultSettleDelay = 1000")
    column(page, 0).first.locator(".run.suggested", has_text="Ana Ruiz").click()
    expect(page.locator("#editor [data-suggestion] .surface")).to_have_text("Ana Ruiz")
    page.evaluate("htmx.trigger(document.getElementById('main'), 'htmx:afterSettle')")
    expect(page.locator("#editor [data-suggestion]")).to_be_visible()
    page.keyboard.press("Backspace")
    expect(page.locator("#toast")).to_contain_text("Rejected PER")


def test_accept_all_in_a_row(logged_in, page, session, tmp_path, database_url):
    from click.testing import CliRunner

    from labeler.cli import main
    from tests.web.test_suggestions import FOUR
    path = tmp_path / "four.jsonl"
    path.write_text("\n".join(json.dumps({"group": "gpt", "doc_id": lang, "lang": lang, "text": text,
                                          "role": "source" if lang == "en" else "translation"}, ensure_ascii=False)
                              for lang, text in FOUR.items()) + "\n", encoding="utf-8")
    assert CliRunner().invoke(main, ["import", str(path), "--project", "GPT", "--db", database_url]).exit_code == 0
    assert CliRunner().invoke(main, ["suggest", "--project", "GPT", "--db", database_url]).exit_code == 0

    page.goto(logged_in + "/projects/gpt/groups/gpt")
    expect(page.locator(".run.suggested")).to_have_count(2)
    page.get_by_role("button", name="Accept all suggestions in this row").click()
    expect(page.locator("#toast")).to_contain_text("Accepted 2 suggestions")
    expect(page.locator(".run.suggested")).to_have_count(0)
    expect(page.locator(".run.err")).to_have_count(2)
    expect(page.locator(".doc-mqm", has_text="MQM 5 ·")).to_have_count(2)  # es and de: one major error each
    page.reload()
    expect(page.locator(".run.err")).to_have_count(2)
    expect(page.get_by_role("button", name="Accept all suggestions in this row")).to_have_count(0)
