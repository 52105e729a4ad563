"""Adjudication in the browser: the aligned grid with every annotator's version, J to the next undecided place,
a number accepts that annotator's version, X rejects, and text selected in the Gold column goes into gold with a
label nobody chose."""

import re

from playwright.sync_api import expect
from sqlmodel import select

from labeler.models import Annotation
from tests.browser.test_annotation import select_text
from tests.conftest import PASSWORD
from tests.web.test_adjudication import mark, two  # noqa: F401 (fixtures and helper)
from tests.web.test_annotations import group  # noqa: F401 (fixture)


def test_review_from_the_keyboard(live_server, page, session, two):
    page.goto(f"{live_server}/login")
    page.get_by_label("User name").fill("rita")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{live_server}/projects/bridge/groups/bridge/review")
    expect(page.locator("#review-count")).to_have_text("2 of 3 places wait for a decision")
    english = page.locator("tr.rrow").first
    # ana's and ben's versions of the English paragraph side by side, then the gold set's.
    expect(english.locator('.para[data-who="ana"]').first).to_contain_text("Mayor Ana Ruiz")
    expect(english.locator('.para[data-who="gold"]').first.locator(".run", has_text="Ana Ruiz")).to_have_class(
        re.compile("ent-per"))  # unanimous: already gold

    page.keyboard.press("j")
    port = english.locator('[data-place].current', has_text="Port Elin")
    expect(port).to_have_count(2)  # ana's and ben's spans light up together
    panel = page.locator("#review-panel")
    expect(panel).to_contain_text("labels differ")
    page.keyboard.press("2")  # ben's version
    expect(page.locator("#toast")).to_contain_text("Gold: ORG")
    expect(panel.locator(".vote.chosen")).to_contain_text("ben")
    expect(page.locator("#review-count")).to_have_text("1 of 3 places wait for a decision")
    gold_port = page.locator("tr.rrow").first.locator('.para[data-who="gold"]').first.locator(".run", has_text="Port Elin")
    expect(gold_port).to_have_class(re.compile("ent-org"))

    page.keyboard.press("j")
    expect(panel).to_contain_text("40 million euros")
    page.keyboard.press("x")
    expect(panel.locator(".gold-list")).to_contain_text("rejected")
    expect(page.locator("tr.rrow").nth(1).locator('.para[data-who="ana"] .run.pl-rejected')).to_have_count(1)
    page.keyboard.press("j")
    expect(page.locator("#toast")).to_contain_text("Every place is decided.")

    # Edit into gold: select "Elin" in the English gold column, pick MISC (a label nobody chose) by its key.
    select_text(page, page.locator("tr.rrow").first.locator('.para[data-who="gold"]').first, "Elin")
    form = panel.locator(".gold-form")
    expect(form).to_contain_text("“Elin”")
    key = form.locator("button.pick", has_text="MISC").get_attribute("data-key")
    page.keyboard.press(key)
    expect(page.locator("#toast")).to_contain_text("Gold: MISC")

    page.reload()
    expect(page.locator("#review-count")).to_have_text("0 of 3 places wait for a decision")
    session.expire_all()
    decided = session.exec(select(Annotation).where(Annotation.annotator_id == None,  # noqa: E711
                                                    Annotation.deleted_at == None)).all()  # noqa: E711
    assert sorted((a.surface, a.label, a.status, a.decision) for a in decided) == [
        ("40 million euros", "MONEY", "rejected", "rejected"), ("Ana Ruiz", "PER", "accepted", "unanimous"),
        ("Elin", "MISC", "accepted", "edited"), ("Port Elin", "ORG", "accepted", "accepted")]
