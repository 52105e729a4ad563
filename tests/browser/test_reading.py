"""A new reader's first minutes: log in, open a project, open a group, read it side by side."""

import re

import pytest
from playwright.sync_api import expect

from labeler.ingest import import_documents
from labeler.readers import read_paths
from tests.conftest import DATA


@pytest.fixture
def corpus(session):
    import_documents(session, "Seedlike news", read_paths([DATA / "seedlike"]))


def test_log_in_open_a_group_and_read_five_columns(corpus, logged_in, page):
    page.get_by_role("link", name="Seedlike news").click()
    page.get_by_role("link", name=re.compile("seedlike")).click()
    expect(page.locator("thead th.doc-head")).to_have_count(5)
    headers = page.locator("thead th.doc-head .lang-code").all_inner_texts()
    assert headers == ["es", "pt", "fr", "de", "fr*"]
    expect(page.locator('p.para[lang="de"]').first).to_be_visible()
    assert page.locator('p.para[lang="es"]').count() == 5


def test_columns_can_be_hidden_and_shown_and_stay_hidden_after_reload(corpus, logged_in, page):
    page.goto(f"{logged_in}/projects/seedlike-news/groups/seedlike")
    german = page.locator('th.doc-head[data-col="3"]')
    expect(german).to_be_visible()
    page.get_by_label("de", exact=True).uncheck()
    expect(german).to_be_hidden()
    expect(page.locator('td[data-col="3"]').first).to_be_hidden()
    page.reload()
    expect(german).to_be_hidden()
    page.get_by_label("de", exact=True).check()
    expect(german).to_be_visible()


def test_hovering_a_paragraph_outlines_its_row(corpus, logged_in, page):
    page.goto(f"{logged_in}/projects/seedlike-news/groups/seedlike")
    first = page.locator("tr.arow").first
    first.locator('p.para[lang="pt"]').hover()
    expect(first).to_have_class(re.compile("row-hover"))


def test_n_and_p_walk_the_groups_in_key_order(session, tmp_path, logged_in, page):
    import json

    path = tmp_path / "three.jsonl"
    path.write_text("\n".join(json.dumps({"group": key, "doc_id": "en", "lang": "en", "text": f"Group {key} text."})
                              for key in ("b-second", "a-first", "c-third")) + "\n")
    import_documents(session, "Three", read_paths([path]))
    page.goto(f"{logged_in}/projects/three/groups/b-second")
    expect(page.locator(".crumbs")).to_contain_text("Group 2 of 3")
    page.keyboard.press("n")
    expect(page).to_have_url(re.compile("/groups/c-third$"))
    page.wait_for_load_state()  # the keys work once the page's scripts run, as for a person
    expect(page.locator(".crumbs")).to_contain_text("Group 3 of 3")
    expect(page.locator("#next-group")).to_have_count(0)
    page.keyboard.press("p")
    expect(page).to_have_url(re.compile("/groups/b-second$"))
    page.wait_for_load_state()
    page.keyboard.press("p")
    expect(page).to_have_url(re.compile("/groups/a-first$"))
    expect(page.locator(".crumbs")).to_contain_text("Group 1 of 3")
    expect(page.locator("#prev-group")).to_have_count(0)
