"""Correcting an alignment in the browser: confirm a row from the keyboard, move a paragraph, undo a split."""

import json
import re

import pytest
from playwright.sync_api import expect

from labeler.ingest import import_documents, read_paths

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
