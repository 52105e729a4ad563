"""Adjudication in the browser: J to the next undecided place, a number accepts that annotator's label, X rejects."""

import re

from playwright.sync_api import expect
from sqlmodel import select

from labeler.models import Annotation
from tests.conftest import PASSWORD
from tests.web.test_adjudication import mark, two  # noqa: F401 (fixtures and helper)
from tests.web.test_annotations import group  # noqa: F401 (fixture)


def test_review_from_the_keyboard(live_server, page, session, two):
    page.goto(f"{live_server}/login")
    page.get_by_label("User name").fill("rita")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{live_server}/projects/bridge/groups/bridge/review")
    expect(page.get_by_text("2 of 3 places wait for a decision")).to_be_visible()
    agreed = page.locator("tr.place", has_text="Ana Ruiz")
    expect(agreed).to_have_class(re.compile("decided"))
    expect(agreed.locator(".gold")).to_contain_text("unanimous")

    page.keyboard.press("j")
    port = page.locator("tr.place", has_text="Port Elin")
    expect(port).to_have_class(re.compile("current"))
    page.keyboard.press("2")  # ben's label
    expect(page.locator("#toast")).to_contain_text("Gold: ORG")
    expect(page.locator("tr.place", has_text="Port Elin").locator(".gold")).to_contain_text("ORG")

    page.keyboard.press("j")
    expect(page.locator("tr.place", has_text="40 million euros")).to_have_class(re.compile("current"))
    page.keyboard.press("x")
    expect(page.locator("tr.place", has_text="40 million euros").locator(".gold")).to_contain_text("rejected")

    page.reload()
    expect(page.get_by_text("0 of 3 places wait for a decision")).to_be_visible()
    session.expire_all()
    decided = session.exec(select(Annotation).where(Annotation.annotator_id == None,  # noqa: E711
                                                    Annotation.deleted_at == None)).all()  # noqa: E711
    assert sorted((a.surface, a.label, a.status) for a in decided) == [
        ("40 million euros", "MONEY", "rejected"), ("Ana Ruiz", "PER", "accepted"), ("Port Elin", "ORG", "accepted")]
