"""Correcting an alignment in the browser: confirm a row from the keyboard, move a paragraph, undo a split."""

import json
import re

import pytest
from playwright.sync_api import expect

from labeler.ingest import import_documents
from labeler.readers import read_paths

EN = ["The ferry service resumes on Friday.", "Tickets cost 12 euros.", "Captain Ines Moreau will sail the first trip.",
      "The port expects 3,000 passengers a week."]
IT = ["Il servizio di traghetti riprende venerdì.", "I biglietti costano 12 euro.",
      "La capitana Ines Moreau guiderà la prima traversata.", "Il porto prevede 3.000 passeggeri a settimana."]


@pytest.fixture
def ferry(session, tmp_path):
    path = tmp_path / "ferry.jsonl"
    path.write_text("\n".join(json.dumps({"group": "ferry", "doc_id": lang, "lang": lang, "text": "\n".join(text)})
                              for lang, text in (("en", EN), ("it", IT))) + "\n")
    import_documents(session, "Ferry", read_paths([path]))


def test_confirm_with_the_keyboard_and_move_a_paragraph(ferry, logged_in, page):
    page.goto(f"{logged_in}/projects/ferry/groups/ferry")
    rows = page.locator("tr.arow")
    expect(rows).to_have_count(4)
    page.keyboard.press("j")
    expect(rows.nth(0)).to_have_class(re.compile("current"))
    page.keyboard.press("a")
    expect(rows.nth(0)).to_have_class(re.compile("status-confirmed"))
    expect(rows.nth(0).locator(".status")).to_have_text("✓")

    # Detach the Italian paragraph of row 2 into a row of its own, then move it back up.
    italian = page.locator('p.para[lang="it"]', has_text="biglietti")
    italian.click()
    page.keyboard.press("d")
    expect(rows).to_have_count(5)
    expect(rows.nth(2).locator('p.para[lang="it"]')).to_have_text(re.compile("biglietti"))
    page.keyboard.press("Alt+ArrowUp")
    expect(rows).to_have_count(4)
    expect(rows.nth(1).locator("p.para")).to_have_count(2)
    expect(rows.nth(1)).to_have_class(re.compile("status-confirmed"))
    page.reload()
    expect(rows).to_have_count(4)
    expect(rows.nth(1)).to_have_class(re.compile("status-confirmed"))


def test_an_impossible_move_shows_why(ferry, logged_in, page):
    page.goto(f"{logged_in}/projects/ferry/groups/ferry")
    page.locator('p.para[lang="en"]').first.click()
    page.keyboard.press("Alt+ArrowUp")
    expect(page.locator("#toast")).to_have_text(re.compile("no row above"))


def test_the_paragraph_tools_follow_the_pointer_and_work_with_the_mouse(ferry, logged_in, page):
    # One toolbar for the page (issue 8): it appears on the paragraph under the pointer, with that paragraph's
    # actions, and the current paragraph keeps its own copy; no paragraph ever shows two.
    page.goto(f"{logged_in}/projects/ferry/groups/ferry")
    rows = page.locator("tr.arow")
    expect(rows).to_have_count(4)
    assert page.locator("td .para-tools").count() == 0  # nothing drawn per paragraph
    english = page.locator('p.para[lang="en"]', has_text="Captain")
    english.click()  # the current paragraph
    italian = page.locator('p.para[lang="it"]', has_text="biglietti")
    italian.hover()
    tools = page.locator(".seg", has=italian).locator(".para-tools")
    expect(tools).to_be_visible()
    expect(tools.locator("button")).to_have_count(5)
    expect(page.locator(".seg", has=english).locator(".para-tools")).to_have_count(1)
    english.hover()
    expect(page.locator(".seg", has=english).locator(".para-tools")).to_have_count(1)
    italian.hover()
    tools.get_by_role("button", name="Give this paragraph a row of its own").click()
    expect(rows).to_have_count(5)
    expect(rows.nth(2).locator('p.para[lang="it"]')).to_have_text(re.compile("biglietti"))
    # The toolbar that came back with the new row acts on it: up again, with the mouse.
    moved = page.locator('p.para[lang="it"]', has_text="biglietti")
    moved.hover()
    page.locator(".seg", has=moved).get_by_role("button", name="Move to the row above").click()
    expect(rows).to_have_count(4)
    expect(rows.nth(1).locator("p.para")).to_have_count(2)


def test_the_first_rows_tools_are_not_hidden_under_the_column_headers(ferry, logged_in, page):
    # Above its paragraph, the first row's toolbar sat under the sticky column headers: it goes below there.
    page.goto(f"{logged_in}/projects/ferry/groups/ferry")
    first = page.locator('p.para[lang="en"]', has_text="ferry service")
    first.hover()
    tools = page.locator(".seg", has=first).locator(".para-tools")
    expect(tools).to_be_visible()
    expect(tools).to_have_class(re.compile(r"\bbelow\b"))
    box = tools.bounding_box()
    on_top = page.evaluate("([x, y]) => document.elementFromPoint(x, y).closest('.para-tools') !== null",
                           [box["x"] + box["width"] / 2, box["y"] + box["height"] / 2])
    assert on_top
    later = page.locator('p.para[lang="en"]', has_text="Captain")
    later.hover()
    expect(page.locator(".seg", has=later).locator(".para-tools")).not_to_have_class(re.compile(r"\bbelow\b"))


def test_tab_reaches_every_paragraphs_tools(ferry, logged_in, page):
    # Keyboard only: Tab walks the paragraphs; the tools of the focused one come next in the tab order.
    page.goto(f"{logged_in}/projects/ferry/groups/ferry")
    rows = page.locator("tr.arow")
    expect(rows).to_have_count(4)
    italian = page.locator(".seg", has=page.locator('p.para[lang="it"]', has_text="biglietti"))
    italian.focus()
    expect(italian.locator(".para-tools")).to_be_visible()
    for _ in range(4):  # ↑ ↓ ✂ ⇥
        page.keyboard.press("Tab")
    expect(italian.get_by_role("button", name="Give this paragraph a row of its own")).to_be_focused()
    page.keyboard.press("Enter")
    expect(rows).to_have_count(5)


IT_MERGED = [IT[0], IT[1] + " " + IT[2], IT[3]]
FR = ["Le service de ferry reprend vendredi.", "Les billets coûtent 12 euros.",
      "La capitaine Ines Moreau pilotera la première traversée.", "Le port attend 3 000 passagers par semaine."]


@pytest.fixture
def merged(session, tmp_path):
    path = tmp_path / "merged.jsonl"
    path.write_text("\n".join(
        json.dumps({"group": "merged", "doc_id": lang, "lang": lang, "role": role, "text": "\n".join(text)})
        for lang, role, text in (("en", "source", EN), ("it", "translation", IT_MERGED), ("fr", "translation", FR)))
        + "\n")
    import_documents(session, "Merged", read_paths([path]))


def test_a_paragraph_that_covers_two_rows_points_from_the_second_and_can_be_ended_and_continued(merged, logged_in,
                                                                                                 page):
    page.goto(f"{logged_in}/projects/merged/groups/merged")
    rows = page.locator("tr.arow")
    expect(rows).to_have_count(4)
    # Italian merges English 1 and 2: its text in row 2, a pointer in row 3.
    expect(rows.nth(1).locator('p.para[lang="it"]')).to_have_text(re.compile("biglietti"))
    pointer = rows.nth(2).locator(".continues")
    expect(pointer).to_contain_text("continues from the row above")
    pointer.locator("button").click()
    expect(rows.nth(2).locator(".continues")).to_have_count(0)
    expect(rows.nth(2)).to_have_class(re.compile("status-confirmed"))
    # And back: the paragraph's toolbar lets it go on into the row below again.
    rows.nth(1).locator('p.para[lang="it"]').hover()
    rows.nth(1).locator('[data-para-action="continue"]').click()
    expect(rows.nth(2).locator(".continues")).to_have_count(1)
    page.reload()
    expect(rows.nth(2).locator(".continues")).to_have_count(1)
    expect(page.locator("tr.arow .continues")).to_have_count(1)
