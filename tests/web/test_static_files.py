"""Static files: versioned URLs that browsers keep for a year, and no query to serve them."""

import re

from sqlalchemy import event

from labeler import static_files

VERSIONED = re.compile(r'(/static/css/app\.css)\?v=([0-9a-f]{12})"')


def test_pages_link_static_files_by_version_and_browsers_may_keep_them(auth):
    auth.login()
    page = auth.client.get("/projects/").text
    path, version = VERSIONED.search(page).groups()

    kept = auth.client.get(f"{path}?v={version}")
    assert kept.status_code == 200
    assert kept.cache_control.max_age == static_files.YEAR
    assert kept.cache_control.immutable and kept.cache_control.public


def test_an_unversioned_or_outdated_url_is_revalidated_as_before(client):
    for url in ("/static/css/app.css", "/static/css/app.css?v=000000000000"):
        response = client.get(url)
        assert response.status_code == 200
        assert not response.cache_control.immutable
        assert response.cache_control.max_age is None


def test_a_static_file_costs_no_query_even_for_a_logged_in_reader(app, auth):
    auth.login()
    seen = []

    def record(*_args):
        seen.append(_args[2])

    engine = app.extensions["labeler.engine"]
    event.listen(engine, "before_cursor_execute", record)
    try:
        assert auth.client.get("/static/js/app.js").status_code == 200
        assert auth.client.get("/projects/").status_code == 200  # a page still finds its reader
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert seen and "account" in seen[0]
    assert len([statement for statement in seen if "account" in statement]) == 1


def test_the_version_follows_the_content_and_stays_inside_the_folder(tmp_path):
    (tmp_path / "app.js").write_text("one", encoding="utf-8")
    first = static_files.version(str(tmp_path), "app.js")
    (tmp_path / "app.js").write_text("two!", encoding="utf-8")
    assert static_files.version(str(tmp_path), "app.js") not in (None, first)
    (tmp_path.parent / "secret.txt").write_text("no", encoding="utf-8")
    assert static_files.version(str(tmp_path), "../secret.txt") is None
    assert static_files.version(str(tmp_path), "missing.js") is None
