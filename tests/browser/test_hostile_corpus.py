"""A hostile corpus in a real browser: markup, script, ``javascript:`` URLs and bidi overrides in every field a
file or a person supplies (project, group and document names, paragraph text, labels, concept names and
knowledge-base ids, notes, user names). On every page and fragment they show as text: no dialog opens, no
element is injected, the Content-Security-Policy reports nothing, and a bidi override never reverses the text
around it. The export carries them as JSON strings.
"""

import json

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from labeler import annotations
from labeler.auth import create_user
from labeler.ingest import import_documents
from labeler.models import Concept, Document, Group, Project
from labeler.readers import read_paths
from tests.browser.test_annotation import select_text
from tests.conftest import PASSWORD

RLO = "\u202e"  # RIGHT-TO-LEFT OVERRIDE, left open: everything after it on its line would read backwards
PROJECT = "Bridge \"><img src=x onerror=alert('project')>"
GROUP_NAME = f"Opening <script>alert('group')</script> {RLO}gnp.exe"
TITLES = {"en": "<svg/onload=alert('title')>", "de": f"Titel {RLO}fdp.exe"}
TEXTS = {
    "en": "Ana Ruiz opened the bridge <script>alert('text')</script> in Port Elin.\n"
          "The plaque reads \"><img src=x onerror=alert('text')> and {{ 7*7 }} today.\n"
          f"{RLO}It cost 40 million euros.",
    "de": "Ana Ruiz eröffnete die Brücke <script>alert('text')</script> in Port Elin.\n"
          "Auf der Tafel steht \"><img src=x onerror=alert('text')> und {{ 7*7 }} heute.\n"
          f"{RLO}Sie kostete 40 Millionen Euro.",
}
LABEL = "<img src=x onerror=alert('label')>"
CATEGORY = f"Accuracy/{RLO}rebmuN"  # as a WMT MQM file adds its categories to a project, unchecked
CONCEPT = "Ruiz <script>alert('concept')</script>"
KB_SCRIPT = "javascript:alert('kb')"
CONCEPT_RTL = f"{RLO}Bridge"
NOTE = "\"><img src=x onerror=alert('note')>"
ANNOTATOR = "ann\"><img/src=x/onerror=alert('user')>"
SECOND = "ben<svg/onload=alert('ben')>"
REVIEWER = "rev<script>alert('rev')</script>"

INJECTED = ("img[src='x'], svg, script:not([src]), iframe, object, embed, [onerror], [onload], "
            "a[href^='javascript' i], a[href^='data:' i]")

# Every visible text node holding a bidi control, outside the corpus paragraphs (text is shown as written),
# must be alone in its bidi isolate: the nearest ancestor that is isolated or not inline holds no other text.
BIDI_LEAKS = """() => {
  const leaks = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!/[\\u202a-\\u202e\\u2066-\\u2069]/.test(node.data)) continue;
    const parent = node.parentElement;
    if (parent.closest(".para") || !parent.checkVisibility()) continue;
    let el = parent;
    while (el !== document.body) {
      const style = getComputedStyle(el);
      if (/isolate|plaintext/.test(style.unicodeBidi) || style.display !== "inline") break;
      el = el.parentElement;
    }
    if (el.textContent.trim() !== node.data.trim()) leaks.push(el.tagName + ": " + el.textContent.trim().slice(0, 90));
  }
  return leaks;
}"""


@pytest.fixture
def hostile(session, tmp_path):
    """The hostile corpus: one group in English and German, three accounts, labels of two annotators."""
    path = tmp_path / "hostile.jsonl"
    path.write_text("\n".join(json.dumps({
        "group": "opening", "group_name": GROUP_NAME, "doc_id": f"{lang}.txt", "lang": lang, "title": TITLES[lang],
        "role": "source" if lang == "en" else "translation", "text": text}, ensure_ascii=False)
        for lang, text in TEXTS.items()) + "\n", encoding="utf-8")
    import_documents(session, PROJECT, read_paths([path]))
    project = session.exec(select(Project)).one()
    project.label_schema = {**project.label_schema,
                            "entity": {"labels": [*project.label_schema["entity"]["labels"], LABEL]},
                            "error": {**project.label_schema["error"],
                                      "labels": [*project.label_schema["error"]["labels"], CATEGORY]}}
    session.add(project)
    people = {name: create_user(session, name, PASSWORD, role) for name, role in
              [(ANNOTATOR, "annotator"), (SECOND, "annotator"), (REVIEWER, "reviewer")]}
    group = session.exec(select(Group)).one()
    english = session.exec(select(Document).where(Document.lang == "en")).one()
    concept = Concept(project_id=project.id, kind="entity", name=CONCEPT, kb_id=KB_SCRIPT)
    rtl_concept = Concept(project_id=project.id, kind="entity", name=CONCEPT_RTL, kb_id="Q42")
    session.add_all([concept, rtl_concept])
    session.flush()

    def mark(user, surface, layer, label, **extra):
        start = english.text.index(surface)
        return annotations.create(session, project, group, people[user].id, {
            "document_id": english.id, "char_start": start, "char_end": start + len(surface), "surface": surface,
            "layer": layer, "label": label, **extra})

    for user in (ANNOTATOR, SECOND):
        ruiz = mark(user, "Ana Ruiz", "entity", LABEL if user == ANNOTATOR else "PER")
        ruiz.concept_id = concept.id
        mark(user, "Port Elin", "entity", "LOC").concept_id = rtl_concept.id
        mark(user, "40 million euros", "claim", "CLAIM", attrs={"note": NOTE})
        mark(user, "today", "error", CATEGORY, severity="minor")
    session.commit()
    return project


@pytest.fixture
def watched(page):
    """The page, recording every dialog and every Content-Security-Policy report."""
    seen = {"dialogs": [], "csp": []}

    def dialog(box):
        seen["dialogs"].append(box.message)
        box.dismiss()

    page.on("dialog", dialog)
    page.on("console", lambda message: "Content Security Policy" in message.text and seen["csp"].append(message.text))
    yield page, seen
    assert seen["dialogs"] == [], "a payload ran"
    assert seen["csp"] == [], "the Content-Security-Policy refused something on our own pages"


def log_in(page, base, username):
    page.goto(f"{base}/login")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base}/projects/")


def assert_inert(page, *texts):
    """Nothing injected, every text shown as text, no bidi override reaching past its own name."""
    for text in texts:
        expect(page.get_by_text(text).first).to_be_visible()
    expect(page.locator(INJECTED)).to_have_count(0)
    assert page.evaluate(BIDI_LEAKS) == []


def test_the_annotator_pages_show_every_payload_as_text(hostile, live_server, watched):
    page, seen = watched
    log_in(page, live_server, ANNOTATOR)
    assert_inert(page, PROJECT, ANNOTATOR)

    page.get_by_role("link", name=PROJECT).click()
    assert_inert(page, PROJECT, GROUP_NAME)

    page.get_by_role("link", name=GROUP_NAME).click()
    english = page.locator('td[data-col="0"] p.para')
    expect(english.first).to_contain_text("<script>alert('text')</script>")
    assert_inert(page, GROUP_NAME, TITLES["en"], TITLES["de"], "<script>alert('text')</script>",
                 "\"><img src=x onerror=alert('text')>", "{{ 7*7 }}")
    assert "49" not in page.locator("#group-grid").inner_text()
    label_chip = english.first.locator(".run.start", has_text="Ana Ruiz")
    assert label_chip.get_attribute("data-label").startswith("<img src=x")  # a chip drawn from an attribute

    # The picker lists the hostile label as a label, and choosing it saves it.
    select_text(page, english.nth(1), "plaque")
    picker = page.locator("#picker")
    expect(picker.get_by_role("button", name=LABEL)).to_be_visible()
    assert_inert(page, LABEL)
    picker.get_by_role("button", name=LABEL).click()
    expect(page.locator("#toast")).to_contain_text(f"Saved {LABEL}")
    assert_inert(page)

    # The editor: label, concept with a script URL as its knowledge-base id, a claim's note, an RTL category.
    english.first.locator(".run", has_text="Ana Ruiz").first.click()
    editor = page.locator("#editor")
    expect(editor.locator("select[name=label]")).to_have_value(LABEL)
    expect(editor).to_contain_text(CONCEPT)
    expect(editor).to_contain_text(KB_SCRIPT)
    expect(editor.locator("a.kb-link")).to_have_count(0)  # a javascript: id stays text, never a link
    assert_inert(page, CONCEPT)
    page.keyboard.press("Escape")
    english.nth(2).locator(".run.claim").first.click()
    expect(editor.locator("textarea[name=attr_note]")).to_have_value(NOTE)
    assert_inert(page)
    page.keyboard.press("Escape")
    english.nth(1).locator(".run.err").first.click()
    expect(editor.locator("select[name=label]")).to_have_value(CATEGORY)
    assert_inert(page)
    page.keyboard.press("Escape")

    # The concept panel: both concepts; only the Wikidata id is a link.
    page.get_by_role("button", name="Concepts").click()
    panel = page.locator("#concept-panel")
    expect(panel).to_contain_text(CONCEPT)
    expect(panel.locator("a.kb-link")).to_have_count(1)
    expect(panel.locator("a.kb-link")).to_have_attribute("href", "https://www.wikidata.org/wiki/Q42")
    assert_inert(page, CONCEPT, CONCEPT_RTL, KB_SCRIPT)


def test_the_reviewer_pages_and_the_export_keep_every_payload_as_text(hostile, live_server, watched, tmp_path):
    page, seen = watched
    log_in(page, live_server, REVIEWER)
    page.goto(f"{live_server}/projects/{hostile.slug}/groups/opening/review")
    assert_inert(page, ANNOTATOR, SECOND, GROUP_NAME, "<script>alert('text')</script>")
    expect(page.locator(f'[data-label^="{LABEL[:12]}"]').first).to_be_attached()  # the chip, from an attribute

    page.goto(f"{live_server}/projects/{hostile.slug}/agreement")
    assert_inert(page, ANNOTATOR, SECOND, LABEL)

    page.goto(f"{live_server}/projects/{hostile.slug}")
    page.locator("#export-what").select_option("all")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download").click()
    assert download.value.suggested_filename == f"{hostile.slug}.all.jsonl"
    path = tmp_path / "export.jsonl"
    download.value.save_as(path)
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    # null: the gold set, which opening the review page filled with the places both annotators agree on.
    assert {record["annotator"] for record in records} == {ANNOTATOR, SECOND, None}
    mine = next(r for r in records if r["annotator"] == ANNOTATOR and r["lang"] == "en")
    assert mine["project"] == PROJECT and mine["title"] == TITLES["en"] and mine["text"] == TEXTS["en"]
    assert {e["label"] for e in mine["entities"]} == {LABEL, "LOC"}
    assert {c["name"]: c["kb_id"] for c in mine["concepts"]} == {CONCEPT: KB_SCRIPT, CONCEPT_RTL: "Q42"}
    assert mine["claims"][0]["attrs"]["note"] == NOTE and mine["errors"][0]["category"] == CATEGORY
    assert page.url.endswith(f"/projects/{hostile.slug}")  # the download did not navigate anywhere
    assert_inert(page, PROJECT, GROUP_NAME)
