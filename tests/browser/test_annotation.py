"""Labelling in the browser: select → key → highlight → reload → edit → delete → undo, on Latin, emoji and
right-to-left text; hovering a span lights up the same concept in every column."""

import json
import re

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from labeler.ingest import import_documents
from labeler.models import Annotation, Concept, Document
from labeler.readers import read_paths
from tests.conftest import PASSWORD

TEXTS = {
    "en": "Mayor Ana Ruiz opened the bridge in Port Elin.\nIt cost 40 million euros.",
    "xx": "Ana 👨‍👩‍👧 waved at Port Elin 🇵🇹 and the Spın̈al band.\nIt cost 40 million euros 🎉.",
    "ar": "افتتحت رئيسة البلدية آنا رويز الجسر في بورت إلين.\nبلغت التكلفة 40 مليون يورو.",
}
URL = "/projects/bridge/groups/bridge"

# Select the first occurrence of `needle` inside a paragraph (DOM offsets are UTF-16 units, as in a real
# selection) and release the mouse there, as a person dragging over the text does.
def select_text(page, para, needle: str, alt: bool = False):
    para.evaluate(
        """(el, [needle, alt]) => {
          const text = el.textContent, at = text.indexOf(needle);
          if (at < 0) throw new Error("not found: " + needle);
          const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
          let node, pos = 0, start = null, end = null;
          while ((node = walker.nextNode())) {
            const length = node.textContent.length;
            if (!start && at < pos + length) start = [node, at - pos];
            if (!end && at + needle.length <= pos + length) end = [node, at + needle.length - pos];
            pos += length;
          }
          const range = document.createRange();
          range.setStart(...start);
          range.setEnd(...end);
          const selection = getSelection();
          selection.removeAllRanges();
          selection.addRange(range);
          const box = range.getBoundingClientRect();
          el.dispatchEvent(new MouseEvent("mouseup", {bubbles: true, altKey: alt, clientX: box.right, clientY: box.bottom}));
        }""",
        [needle, alt],
    )


@pytest.fixture
def bridge(session, tmp_path):
    path = tmp_path / "bridge.jsonl"
    path.write_text("\n".join(json.dumps({"group": "bridge", "doc_id": name, "lang": "en" if name == "xx" else name,
                                          "role": "source" if name == "en" else "translation", "text": text},
                                         ensure_ascii=False) for name, text in TEXTS.items()) + "\n", encoding="utf-8")
    import_documents(session, "Bridge", read_paths([path]))
    session.commit()


def column(page, index: int):
    """The paragraphs of one column (0: en, 1: the emoji text, 2: ar)."""
    return page.locator(f'td[data-col="{index}"] p.para')


def spans(session) -> list[Annotation]:
    session.expire_all()
    return list(session.exec(select(Annotation).where(Annotation.deleted_at == None)))  # noqa: E711


def test_select_key_reload_edit_delete_undo(bridge, logged_in, page, session):
    page.goto(logged_in + URL)
    english = column(page, 0).first
    select_text(page, english, "Ana Rui")  # snaps to the whole word
    picker = page.locator("#picker")
    expect(picker).to_be_visible()
    expect(picker.get_by_role("button", name=re.compile("PER"))).to_be_visible()
    page.keyboard.press("1")
    run = english.locator(".run.ent-per")
    expect(run).to_have_text("Ana Ruiz")
    expect(picker).to_be_hidden()
    expect(page.locator("#toast")).to_contain_text("Saved PER")
    (saved,) = spans(session)
    assert (saved.surface, saved.label) == ("Ana Ruiz", "PER")

    page.reload()
    run = column(page, 0).first.locator(".run.ent-per")
    expect(run).to_have_text("Ana Ruiz")

    run.click()
    editor = page.locator("#editor")
    expect(editor).to_be_visible()
    editor.get_by_label("Label").select_option("ORG")
    expect(column(page, 0).first.locator(".run.ent-org")).to_have_text("Ana Ruiz")
    assert spans(session)[0].label == "ORG"

    editor.get_by_role("button", name="Delete").click()
    expect(column(page, 0).first.locator(".run")).to_have_count(0)
    expect(editor).to_be_hidden()
    assert spans(session) == []

    page.keyboard.press("Control+z")
    expect(column(page, 0).first.locator(".run.ent-org")).to_have_text("Ana Ruiz")
    page.keyboard.press("Control+z")
    expect(column(page, 0).first.locator(".run.ent-per")).to_have_text("Ana Ruiz")
    page.keyboard.press("Control+Shift+z")
    expect(column(page, 0).first.locator(".run.ent-org")).to_have_text("Ana Ruiz")


def test_escape_cancels_and_translation_errors_take_a_severity(bridge, logged_in, page, session):
    page.goto(logged_in + URL)
    english = column(page, 0).nth(1)
    select_text(page, english, "40 million")
    expect(page.locator("#picker")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("#picker")).to_be_hidden()
    assert spans(session) == []

    page.keyboard.press("t")  # the translation-error layer
    select_text(page, english, "40 million euros")
    picker = page.locator("#picker")
    expect(picker.get_by_role("tab", name=re.compile("Translation error"))).to_have_attribute("aria-selected", "true")
    picker.get_by_label("minor").check()
    page.keyboard.press("/")
    page.keyboard.type("mistr")
    page.keyboard.press("Enter")
    run = english.locator(".run.err.sev-minor")
    expect(run).to_have_text("40 million euros")
    expect(page.locator('th.doc-head[data-col="0"] .doc-mqm')).to_contain_text("MQM 1")
    (error,) = spans(session)
    assert (error.label, error.attrs) == ("Accuracy/Mistranslation", {"severity": "minor"})


@pytest.mark.parametrize("needle, alt, expected", [
    ("👨‍👩‍👧", True, "👨‍👩‍👧"),  # a ZWJ sequence: 5 code points, 8 UTF-16 units, one character on screen
    ("Port Eli", False, "Port Elin"),  # after the emoji, the offsets still land on the right text
    ("🇵🇹", True, "🇵🇹"),
    ("Spın̈", False, "Spın̈al"),  # a combining mark inside a word
])
def test_emoji_and_combining_marks(bridge, logged_in, page, session, needle, alt, expected):
    page.goto(logged_in + URL)
    emoji = column(page, 1).first
    expect(emoji).to_contain_text("waved")
    select_text(page, emoji, needle, alt=alt)
    page.keyboard.press("9")  # MISC
    expect(emoji.locator(".run.ent-misc")).to_have_text(expected)
    (saved,) = spans(session)
    document = session.get(Document, saved.document_id)
    assert document.text[saved.char_start:saved.char_end] == expected == saved.surface
    page.reload()
    expect(column(page, 1).first.locator(".run.ent-misc")).to_have_text(expected)


def test_right_to_left_text(bridge, logged_in, page, session):
    page.goto(logged_in + URL)
    arabic = column(page, 2).first
    select_text(page, arabic, "آنا روي")
    page.keyboard.press("1")
    expect(arabic.locator(".run.ent-per")).to_have_text("آنا رويز")
    (saved,) = spans(session)
    assert session.get(Document, saved.document_id).text[saved.char_start:saved.char_end] == "آنا رويز"
    arabic.locator(".run.ent-per").click()
    page.locator("#editor").get_by_role("button", name="Delete").click()
    expect(arabic.locator(".run")).to_have_count(0)
    page.keyboard.press("Control+z")
    expect(arabic.locator(".run.ent-per")).to_have_text("آنا رويز")


def test_a_concept_made_in_the_editor_lights_up_across_columns(bridge, logged_in, page, session):
    page.goto(logged_in + URL)
    english, arabic = column(page, 0).first, column(page, 2).first
    select_text(page, english, "Ana Ruiz")
    page.keyboard.press("1")
    expect(english.locator(".run.ent-per")).to_have_count(1)
    select_text(page, arabic, "آنا رويز")
    page.keyboard.press("1")
    expect(arabic.locator(".run.ent-per")).to_have_count(1)

    english.locator(".run.ent-per").click()
    editor = page.locator("#editor")
    editor.get_by_label("Knowledge-base id").fill("Q000042")
    editor.get_by_role("button", name="Create & link").click()
    expect(editor.locator(".linked")).to_contain_text("Ana Ruiz")
    page.keyboard.press("Escape")

    arabic.locator(".run.ent-per").click()
    editor.get_by_label("Search concepts").fill("ruiz")
    editor.locator(".concept-results button", has_text="Ana Ruiz").click()
    expect(editor.locator(".linked")).to_contain_text("Q000042")
    page.keyboard.press("Escape")

    english.locator(".run.ent-per").hover()
    expect(arabic.locator(".run.ent-per")).to_have_class(re.compile("concept-hover"))
    page.get_by_role("button", name="Concepts").click()
    panel = page.locator("#concept-panel")
    expect(panel).to_contain_text("Ana Ruiz")
    expect(panel).to_contain_text("آنا رويز")
    concept = session.exec(select(Concept)).one()
    assert concept.kb_id == "Q000042"
    assert {a.concept_id for a in spans(session)} == {concept.id}


def test_an_admin_adds_a_label_and_the_picker_offers_it(bridge, live_server, users, page, session):
    page.goto(f"{live_server}/login")
    page.get_by_label("User name").fill("adm_user")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{live_server}/projects/bridge")
    page.get_by_role("link", name="Labels and MQM weights").click()
    labels = page.get_by_label("Entity labels")
    labels.fill("PER\nper")
    page.get_by_role("button", name="Save labels").click()
    expect(page.locator("#label-problems")).to_contain_text("'per' is listed twice")
    expect(page.locator("#toast")).to_contain_text("Nothing was saved")
    page.get_by_label("Entity labels").fill("PER\nGENE")
    page.get_by_role("button", name="Save labels").click()
    expect(page.locator("#toast")).to_contain_text("Labels saved")
    expect(page.locator("#label-problems")).to_have_count(0)

    page.goto(live_server + URL)
    english = column(page, 0).first
    select_text(page, english, "Ana Ruiz")
    picker = page.locator("#picker")
    expect(picker.locator(".pick")).to_have_count(2)
    page.keyboard.press("2")
    expect(english.locator(".run.ent")).to_have_text("Ana Ruiz")
    assert [span.label for span in spans(session)] == ["GENE"]
