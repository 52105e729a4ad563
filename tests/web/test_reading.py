"""The reading screens: projects, groups, and the side-by-side group page."""

import re

from pathlib import Path

import pytest

from labeler.ingest import import_documents
from labeler.readers import read_paths
from tests.conftest import DATA


@pytest.fixture
def corpus(session):
    report = import_documents(session, "Seedlike news", read_paths([DATA / "seedlike"]))
    return report


@pytest.fixture
def reader(auth, corpus):
    auth.login()
    return auth


def test_project_list_shows_counts(reader, client):
    page = client.get("/projects/").text
    assert "Seedlike news" in page
    assert "de · es · fr · pt" in page


def test_group_list_shows_languages_and_paragraphs(reader, client):
    page = client.get("/projects/seedlike-news").text
    assert 'href="/projects/seedlike-news/groups/seedlike"' in page
    assert "5 · 5 · 5 · 5" in page


def test_group_search_returns_the_table_fragment_for_htmx(reader, client):
    response = client.get("/projects/seedlike-news?q=nothing-like-this", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<section id="group-table">')
    assert "No group matches" in response.text
    assert "HX-Request" in response.headers["Vary"]


def test_group_page_has_one_column_per_document_with_lang_and_dir(reader, client):
    page = client.get("/projects/seedlike-news/groups/seedlike").text
    assert page.count('class="doc-head') == 5
    for lang in ("es", "pt", "fr", "de"):
        assert f'lang="{lang}" dir="auto"' in page
    assert "Portuguese" in page and "German" in page


def test_group_page_escapes_corpus_text(reader, client, session):
    hostile = {"group": "xss", "doc_id": "a", "lang": "en", "text": "<script>alert(1)</script> and \"quotes\""}
    path = Path(client.application.instance_path).parent / "hostile.jsonl"
    import json

    path.write_text(json.dumps(hostile) + "\n")
    import_documents(session, "Seedlike news", read_paths([path]))
    page = client.get("/projects/seedlike-news/groups/xss").text
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_unknown_project_and_group_are_404_with_a_message(reader, client):
    response = client.get("/projects/nope")
    assert response.status_code == 404
    assert "No project" in response.text
    response = client.get("/projects/seedlike-news/groups/nope", headers={"HX-Request": "true"})
    assert response.status_code == 404
    assert "data-error-message" in response.text


def test_long_group_loads_rows_in_pages(reader, client, session, tmp_path):
    import json

    lines = [json.dumps({"group": "long", "doc_id": lang, "lang": lang,
                         "text": "\n".join(f"Paragraph {i} in {lang} about item {i}." for i in range(95))})
             for lang in ("en", "de")]
    path = tmp_path / "long.jsonl"
    path.write_text("\n".join(lines) + "\n")
    import_documents(session, "Seedlike news", read_paths([path]))
    page = client.get("/projects/seedlike-news/groups/long").text
    assert page.count('class="arow') == 40
    assert 'id="rows-more"' in page
    seen = re.findall(r'data-row="(\d+)"', page)
    pages = 1
    while 'id="rows-more"' in page:
        after = re.search(r'rows\?after=(\d+)', page).group(1)
        assert after == seen[-1]  # the next page continues from the last row shown
        page = client.get(f"/projects/seedlike-news/groups/long/rows?after={after}", headers={"HX-Request": "true"}).text
        seen += re.findall(r'data-row="(\d+)"', page)
        pages += 1
    assert pages == 3 and len(seen) == len(set(seen)) == 95
