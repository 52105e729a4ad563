"""The admin page in the browser: add a user, change a role inline, refuse to demote the last admin, assign."""

import re

from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.web.test_annotations import group  # noqa: F401 (fixture: project Bridge, groups "bridge" and "other")


def test_an_admin_adds_a_user_changes_roles_and_assigns_groups(live_server, page, users, group):
    page.goto(f"{live_server}/login")
    page.get_by_label("User name").fill("adm_user")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Admin").click()
    expect(page.get_by_role("heading", name="Admin", exact=True)).to_be_visible()

    # A new annotator with a generated password, shown once; the table below lists her at once.
    page.get_by_label("User name").fill("maria")
    page.get_by_role("button", name="Add user").click()
    expect(page.locator("#toast")).to_contain_text("Added annotator 'maria'")
    expect(page.locator("#account-form code.secret")).to_have_text(re.compile(r"^\S{12,}$"))
    expect(page.locator("#accounts")).to_contain_text("maria")
    # …and so does the list of annotators a project can assign.
    expect(page.locator("#admin-projects select[name=username]")).to_contain_text("maria")

    # The only admin cannot step down: the row says why and still shows "admin".
    page.get_by_label("Role of adm_user").select_option("annotator")
    expect(page.locator("#toast")).to_contain_text("this is the last admin")
    expect(page.get_by_label("Role of adm_user")).to_have_value("admin")

    # A role changes inline; the reviewer is no longer offered for assignments.
    page.get_by_label("Role of ann_user").select_option("reviewer")
    expect(page.locator("#toast")).to_contain_text("'ann_user' is now reviewer")
    expect(page.locator("#admin-projects select[name=username]")).not_to_contain_text("ann_user")

    # Assign maria to a group by hand; her row counts it.
    card = page.locator("article.admin-project", has_text="Bridge")
    card.get_by_label("Assign").select_option("maria")
    card.get_by_label("to group").fill("other")
    card.get_by_role("button", name="Assign", exact=True).last.click()
    expect(page.locator("#toast")).to_contain_text("maria now works on other")
    expect(page.locator("#accounts tr", has_text="maria")).to_contain_text("1 · 0 submitted")
