"""Hostile input at every door: span endpoints (page and API) and importers (CLI) get random, malformed and
oversized input. The answer is always a clear 4xx or a clean CLI error, never a 500 or a traceback, and a
refused request or import writes nothing.

Hypothesis drives the random cases (few examples each, so that the suite stays fast); the cases it found once
stay below as plain examples. In TESTING mode an unhandled exception reaches the test, so a 500 fails loudly.
"""

import json
from urllib.parse import quote, unquote

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlmodel import func, select

from labeler.auth import issue_token
from labeler.cli import main
from labeler.models import Annotation, Concept, Document, Event, Group, Project
from tests.web.test_annotations import BASE, annotator, group, span  # noqa: F401 (fixtures and helpers)

API_GROUP = "/api/v1/projects/bridge/groups/bridge"
SETTINGS = settings(max_examples=40, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
HUGE = 2**63  # too large for any database integer (SQLite 64-bit, PostgreSQL 32-bit INTEGER)
# 405: Werkzeug's answer when an id in the URL is too large for any route (another method's rule matched).
REFUSED = {400, 404, 405, 409, 413, 422}

# Strings a hostile client sends: markup, script URLs, bidi overrides, NUL, lone surrogates (valid in JSON
# escapes, invalid in UTF-8), very long text.
NASTY_STRINGS = st.sampled_from([
    "", " ", "<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "javascript:alert(1)", "\u202egnp.exe",
    "\x00", "\ud800", "a\udfffb", "PER\n", "per", "x" * 5000, "💥" * 300, "' OR 1=1 --", "{{ 7*7 }}",
])
TEXT = st.one_of(NASTY_STRINGS, st.text(max_size=40), st.text(st.characters(codec="utf-8"), max_size=10))
INTEGERS = st.one_of(st.integers(-3, 120), st.sampled_from([HUGE, -HUGE, 10**40, 2**31, -1, 0]))
JSON_SCALARS = st.one_of(st.none(), st.booleans(), INTEGERS, st.floats(allow_nan=False), TEXT)
JSON_VALUES = st.recursive(JSON_SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(TEXT, inner, max_size=3)), max_leaves=8)


def count(session, model) -> int:
    session.expire_all()
    return session.exec(select(func.count(model.id))).one()


def message(response) -> str:
    if response.is_json:
        return response.json["error"]
    return unquote(response.headers.get("X-Labeler-Message", ""))


@pytest.fixture
def token(session, users, group):
    made = issue_token(session, users["annotator"])
    session.commit()
    return made


@pytest.fixture
def texts(session, group) -> dict[int, str]:
    """Every document id a request may name, with its text (the group's, and one of another group)."""
    return {document.id: document.text for document in session.exec(select(Document))}


LAYER_LABELS = {"entity": ["PER", "ORG", "LOC"], "claim": ["CLAIM"], "error": ["Accuracy/Mistranslation"]}


@st.composite
def span_fields(draw, texts: dict[int, str]) -> dict:
    """A span that is right, then zero to three of its fields made near-right or hostile."""
    document_id = draw(st.sampled_from(sorted(texts)))
    text = texts[document_id]
    start = draw(st.integers(0, len(text) - 1))
    end = draw(st.integers(start + 1, min(len(text), start + 12)))
    layer = draw(st.sampled_from(sorted(LAYER_LABELS)))
    fields = {"document_id": document_id, "char_start": start, "char_end": end, "surface": text[start:end],
              "layer": layer, "label": draw(st.sampled_from(LAYER_LABELS[layer]))}
    hostile = {
        "document_id": st.one_of(st.sampled_from(sorted(texts)), INTEGERS, TEXT),
        "char_start": st.one_of(st.integers(-2, len(text) + 2), INTEGERS),
        "char_end": st.one_of(st.integers(-2, len(text) + 2), INTEGERS),
        "surface": st.one_of(st.just(fields["surface"].upper()), st.just(fields["surface"] + " "), TEXT),
        "layer": st.sampled_from(["entity", "claim", "error", "", "ENTITY", "<b>entity</b>", "gold"]),
        "label": st.one_of(st.sampled_from(["PER", "CLAIM", "Accuracy/Mistranslation", "per"]), TEXT),
        "severity": st.one_of(st.sampled_from(["minor", "major", "critical"]), TEXT),
        "attrs": st.one_of(st.dictionaries(TEXT, JSON_VALUES, max_size=4), st.just({"note": "x" * 5000}),
                           st.just({"note": "<script>alert(1)</script>"}), JSON_VALUES),
        "annotator_id": INTEGERS,  # not a field a client may send
    }
    for name in draw(st.lists(st.sampled_from(sorted(hostile)), max_size=3, unique=True)):
        fields[name] = draw(st.one_of(hostile[name], JSON_VALUES) if draw(st.booleans()) else hostile[name])
    return fields


def as_int(value) -> int | None:
    """The number the server reads from a value sent as text (int() allows spaces, '_' and other digits)."""
    try:
        return int(value if isinstance(value, str) else json.dumps(value))
    except ValueError:
        return None


def is_text(value: str) -> bool:
    return not any("\ud800" <= ch <= "\udfff" for ch in value)


def wire(value) -> bytes:
    """A form value as the bytes a hostile client sends: lone surrogates become invalid UTF-8."""
    return (value if isinstance(value, str) else json.dumps(value)).encode("utf-8", "surrogatepass")


def _send_span(client, auth, token, how: str, fields: dict):
    if how == "api":
        return client.post(f"{API_GROUP}/annotations", json=fields, headers={"Authorization": f"Bearer {token}"})
    if how == "json":
        return auth.post(f"{BASE}/annotations", json=fields, headers={"HX-Request": "true"})
    form = {name: wire(value) for name, value in fields.items()}
    return auth.post(f"{BASE}/annotations", data=form, headers={"HX-Request": "true"})


def test_random_spans_are_saved_exactly_or_refused_with_a_message(annotator, client, token, session, texts):
    outcomes = {"saved": 0, "refused": 0}

    @settings(SETTINGS, max_examples=80)
    @given(fields=span_fields(texts), how=st.sampled_from(["form", "json", "api"]))
    def check(fields, how):
        before = count(session, Annotation), count(session, Event)
        response = _send_span(client, annotator, token, how, fields)
        assert response.status_code in REFUSED | {201}, (response.status_code, fields)
        if response.status_code != 201:
            outcomes["refused"] += 1
            assert message(response), "a refusal says why"
            assert (count(session, Annotation), count(session, Event)) == before, "a refused span wrote something"
            return
        outcomes["saved"] += 1
        saved = session.exec(select(Annotation).order_by(Annotation.id.desc())).first()
        document = session.get(Document, saved.document_id)
        assert document.text[saved.char_start:saved.char_end] == saved.surface == fields["surface"]
        assert (saved.layer, saved.label) == (fields["layer"], fields["label"])
        assert count(session, Event) == before[1] + 1

    check()
    assert outcomes["saved"] >= 5 and outcomes["refused"] >= 20, outcomes  # both paths were exercised


@st.composite
def update_fields(draw, span_id_and_version) -> dict:
    span_id, version = span_id_and_version
    fields = {"version": draw(st.one_of(st.just(version), INTEGERS, TEXT))}
    for name, values in [("label", st.one_of(st.sampled_from(["ORG", "LOC", "PER"]), TEXT)),
                         ("severity", TEXT), ("attrs", JSON_VALUES),
                         ("concept_id", st.one_of(INTEGERS, TEXT)), ("counterpart_id", st.one_of(INTEGERS, TEXT)),
                         ("clear_concept", JSON_VALUES), ("unknown_field", JSON_VALUES)]:
        if draw(st.integers(0, 2)) == 0:
            fields[name] = draw(values)
    return fields


def test_random_edits_change_a_span_only_when_valid(annotator, client, token, session):
    created = annotator.post(f"{BASE}/annotations", data=span(session, "en", "Ana Ruiz"),
                             headers={"HX-Request": "true"})
    assert created.status_code == 201
    target = session.exec(select(Annotation)).one()

    labels = session.exec(select(Project)).first().label_schema["entity"]["labels"]
    outcomes = {"changed": 0, "refused": 0}

    def current():
        session.expire_all()
        fresh = session.get(Annotation, target.id)
        return fresh.version, fresh.label, fresh.attrs, fresh.concept_id, fresh.counterpart_id

    @SETTINGS
    @given(data=st.data(), how=st.sampled_from(["json", "api"]))
    def check(data, how):
        before = current()
        fields = data.draw(update_fields((target.id, before[0])))
        if how == "api":
            response = client.patch(f"{API_GROUP}/annotations/{target.id}", json=fields,
                                    headers={"Authorization": f"Bearer {token}"})
        else:
            response = annotator.post(f"{BASE}/annotations/{target.id}", json=fields, headers={"HX-Request": "true"})
        assert response.status_code in REFUSED | {200}, (response.status_code, fields)
        after = current()
        if response.status_code == 200:
            outcomes["changed"] += 1
            assert after[0] == before[0] + 1 and after[1] in labels
            assert after[1] == fields.get("label", before[1])
        else:
            outcomes["refused"] += 1
            assert message(response)
            assert after == before, "a refused edit changed the span"

    check()
    assert outcomes["changed"] >= 3 and outcomes["refused"] >= 10, outcomes


def test_random_deletes_delete_only_the_right_version(annotator, client, token, session):
    annotator.post(f"{BASE}/annotations", data=span(session, "en", "Port Elin", label="LOC"),
                   headers={"HX-Request": "true"})
    target = session.exec(select(Annotation)).one()

    @SETTINGS
    @given(version=st.one_of(INTEGERS, TEXT), annotation_id=st.sampled_from([target.id, target.id + 1, 0, HUGE]),
           how=st.sampled_from(["form", "api"]))
    def check(version, annotation_id, how):
        session.expire_all()
        live = session.get(Annotation, target.id).deleted_at is None
        if how == "api":
            query = quote(str(version).encode("utf-8", "surrogatepass"))
            response = client.delete(f"{API_GROUP}/annotations/{annotation_id}?version={query}",
                                     headers={"Authorization": f"Bearer {token}"})
        else:
            response = annotator.post(f"{BASE}/annotations/{annotation_id}/delete", data={"version": wire(version)},
                                      headers={"HX-Request": "true"})
        deleted = annotation_id == target.id and as_int(version) == 1 and live
        assert response.status_code == 200 if deleted else response.status_code in REFUSED, (
            response.status_code, annotation_id, version)
        session.expire_all()
        assert (session.get(Annotation, target.id).deleted_at is None) == (live and not deleted)

    check()


def test_hostile_concept_names_are_kept_as_text_or_refused(annotator, session):
    annotator.post(f"{BASE}/annotations", data=span(session, "en", "Ana Ruiz"), headers={"HX-Request": "true"})
    target = session.exec(select(Annotation)).one()

    @SETTINGS
    @given(name=TEXT, kb_id=st.one_of(st.none(), TEXT), body=st.sampled_from(["form", "json"]))
    def check(name, kb_id, body):
        session.expire_all()
        version = session.get(Annotation, target.id).version
        before = count(session, Concept)
        fields = {"annotation": target.id, "version": version, "name": name, "kb_id": kb_id}
        if body == "json":
            response = annotator.post(f"{BASE}/concepts", json=fields, headers={"HX-Request": "true"})
        else:
            fields = {key: wire(str(value)) for key, value in fields.items() if value is not None}
            response = annotator.post(f"{BASE}/concepts", data=fields, headers={"HX-Request": "true"})
        assert response.status_code in REFUSED | {200}, (response.status_code, name, kb_id)
        if response.status_code == 200:
            outcomes["created"] += 1
            concept = session.exec(select(Concept).order_by(Concept.id.desc())).first()
            assert count(session, Concept) == before + 1
            if is_text(name):  # invalid UTF-8 in a form arrives as its percent-escapes: text, but not the same
                assert concept.name == name.strip()
        else:
            outcomes["refused"] += 1
            assert message(response) and count(session, Concept) == before

    outcomes = {"created": 0, "refused": 0}
    check()
    assert outcomes["created"] >= 5 and outcomes["refused"] >= 3, outcomes


# Found by the tests above: numbers too large for a database integer reached SQLite (OverflowError, a 500).
@pytest.mark.parametrize("method, path, field", [
    ("post", f"{BASE}/annotations/{HUGE}", None),
    ("post", f"{BASE}/annotations/{HUGE}/delete", None),
    ("post", f"{BASE}/annotations/{HUGE}/accept", None),
    ("post", f"{BASE}/rows/{HUGE}/confirm", None),
    ("post", f"{BASE}/paragraphs/{HUGE}/split", None),
    ("get", f"{BASE}/spans?ids={HUGE}", None),
    ("get", f"{BASE}/concepts?annotation={HUGE}", None),
    ("get", f"{BASE}/rows?after={HUGE}", None),
    ("post", f"{BASE}/annotations", "document_id"),
])
def test_numbers_too_large_for_the_database_are_refused_not_a_crash(annotator, session, method, path, field):
    fields = span(session, "en", "Ana Ruiz")
    if field:
        fields[field] = HUGE
    if method == "get":
        response = annotator.client.get(path, headers={"HX-Request": "true"})
    else:
        response = annotator.post(path, data={**fields, "version": "1"}, headers={"HX-Request": "true"})
    assert response.status_code in (404, 422)
    assert count(session, Annotation) == 0


def test_an_edit_with_null_attrs_is_refused_not_a_crash(annotator, session):
    annotator.post(f"{BASE}/annotations", data=span(session, "en", "Ana Ruiz"), headers={"HX-Request": "true"})
    target = session.exec(select(Annotation)).one()
    for attrs in (None, 5, ["note"]):
        response = annotator.post(f"{BASE}/annotations/{target.id}", json={"version": 1, "attrs": attrs},
                                  headers={"HX-Request": "true"})
        assert response.status_code == 422 and "attrs must be a JSON object" in message(response)
    session.expire_all()
    assert session.get(Annotation, target.id).version == 1


def test_json_with_lone_surrogates_is_refused_everywhere(annotator, session, client, token):
    annotator.post(f"{BASE}/annotations", data=span(session, "en", "Ana Ruiz"), headers={"HX-Request": "true"})
    target = session.exec(select(Annotation)).one()
    body = json.dumps({"annotation": target.id, "version": 1, "name": "Ana \ud800 Ruiz"})  # escaped: valid JSON
    response = annotator.post(f"{BASE}/concepts", data=body, content_type="application/json",
                              headers={"HX-Request": "true"})
    assert response.status_code == 400 and message(response)
    body = json.dumps({**span(session, "en", "Ana Ruiz"), "label": "ORG", "attrs": {"note": "\udfff"}})
    response = client.post(f"{API_GROUP}/annotations", data=body, content_type="application/json",
                           headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 400 and "JSON" in response.json["error"]
    assert count(session, Concept) == 0 and count(session, Annotation) == 1


def test_a_page_number_too_large_shows_no_groups_and_the_api_refuses_it(annotator, client, token):
    assert 'href="/projects/bridge/groups/bridge"' in annotator.client.get("/projects/bridge").text
    page = annotator.client.get(f"/projects/bridge?page={HUGE}")
    assert page.status_code == 200 and 'href="/projects/bridge/groups/bridge"' not in page.text
    for value in (str(HUGE), "²", "-1", "x"):
        response = client.get(f"/api/v1/projects/bridge/groups?page={value}", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 422 and "page" in response.json["error"]


def test_attributes_over_the_size_limit_are_refused(annotator, session):
    fields = span(session, "en", "It cost 40 million euros.", layer="claim", label="CLAIM")
    response = annotator.post(f"{BASE}/annotations", json={**fields, "attrs": {"note": "x" * 5000}},
                              headers={"HX-Request": "true"})
    assert response.status_code == 422 and "limited to" in message(response)
    assert count(session, Annotation) == 0


def test_a_body_over_the_upload_limit_is_413_with_a_message(annotator, app, session, token, client):
    limit = app.config["MAX_CONTENT_LENGTH"]
    assert limit and limit <= 64 * 1024 * 1024
    # The request claims more bytes than the limit: refused before the body is read.
    response = annotator.post(f"{BASE}/annotations", data=b"x", content_type="application/x-www-form-urlencoded",
                              headers={"HX-Request": "true"}, environ_overrides={"CONTENT_LENGTH": str(limit + 1)})
    assert response.status_code == 413 and message(response)
    response = client.post(f"{API_GROUP}/annotations", data=b"{}", content_type="application/json",
                           headers={"Authorization": f"Bearer {token}"},
                           environ_overrides={"CONTENT_LENGTH": str(limit + 1)})
    assert response.status_code == 413 and response.json["status"] == 413
    assert count(session, Annotation) == 0


# Importers, through the command line: random bytes, wrong encodings, broken structure. A bad file is a
# clean error naming the file (exit 1, no traceback) and nothing of the batch is written.

GOOD_TEXT = "The bridge opened on Monday.\nIt cost forty million euros.\n"


def run_import(database_url, *paths):
    return CliRunner().invoke(main, ["import", *map(str, paths), "--project", "Hostile", "--db", database_url])


def assert_clean(result, paths, session, before, outcomes):
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output
    if result.exit_code != 0:
        outcomes["refused"] += 1
        assert result.exit_code == 1 and "Nothing was imported" in result.output
        assert any(str(path) in result.output for path in paths), result.output
        assert count(session, Document) == before, "a refused import wrote documents"
    else:
        outcomes["imported"] += 1
        assert count(session, Document) > before or "unchanged" in result.output


BYTES = st.one_of(
    st.binary(max_size=300),
    st.text(max_size=200).map(lambda text: text.encode("utf-8")),
    st.text(max_size=100).map(lambda text: text.encode("utf-16")),  # a BOM, then UTF-16: not UTF-8
    st.text(st.characters(max_codepoint=255), max_size=100).map(lambda text: text.encode("latin-1")),
    st.sampled_from([b"", b"\xef\xbb\xbf", b"\r\n\r\n", b"\x00\x00", b"caf\xe9\n", b"\xef\xbb\xbfHello\r\nworld\r\n"]),
)


@pytest.mark.parametrize("suffix", [".txt", ".jsonl", ".tsv", ".tmx", ".xliff"])
def test_importers_on_random_bytes_import_or_refuse_cleanly(database_url, session, tmp_path, suffix):
    good = tmp_path / "good"
    good.mkdir()
    (good / "en.txt").write_text(GOOD_TEXT, encoding="utf-8")
    examples = iter(range(10**6))

    @settings(max_examples=15, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(data=BYTES)
    def check(data):
        folder = tmp_path / f"case{next(examples)}"
        folder.mkdir()
        if suffix == ".txt":
            (folder / "en.txt").write_bytes(data)
            (folder / "group.json").write_text('{"documents": {"en.txt": {"lang": "en"}}}')  # bytes, not langid
            target = folder
        else:
            target = folder / f"file{suffix}"
            target.write_bytes(data)
        before = count(session, Document)
        result = run_import(database_url, good, target)
        assert_clean(result, [target, folder], session, before, outcomes)

    outcomes = {"imported": 0, "refused": 0}
    check()
    # Random bytes are rarely a valid JSONL, TSV, TMX or XLIFF file (the record tests below cover those).
    assert outcomes["refused"] >= 3 and (outcomes["imported"] >= 3 or suffix != ".txt"), outcomes


def _jsonl_record():
    known = ["group", "doc_id", "text", "lang", "role", "title", "group_name", "schema", "entities", "claims",
             "errors", "concepts", "paragraphs", "text_sha256", "annotator"]
    return st.one_of(
        st.dictionaries(st.sampled_from(known), JSON_VALUES, max_size=8),
        st.fixed_dictionaries({"group": TEXT, "doc_id": TEXT, "text": TEXT}, optional={"lang": TEXT, "role": TEXT}),
        st.fixed_dictionaries({"schema": st.just("labeler.gold/1"), "group": st.just("g"), "doc_id": st.just("d"),
                               "lang": st.just("en"), "text": st.just("Ana Ruiz spoke.")},
                              optional={"entities": JSON_VALUES, "errors": JSON_VALUES, "concepts": JSON_VALUES,
                                        "paragraphs": JSON_VALUES}),
        JSON_VALUES,
    )


def test_jsonl_records_of_any_shape_import_or_refuse_cleanly(database_url, session, tmp_path):
    examples = iter(range(10**6))

    @settings(max_examples=30, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(records=st.lists(_jsonl_record(), min_size=1, max_size=3))
    # Records that import, whatever the random ones do: how many of those import depends on the examples drawn
    # (two in one run, one in another), and the test must see both outcomes.
    @example(records=[{"group": "plain", "doc_id": "en", "lang": "en", "text": "A plain record imports."}])
    @example(records=[{"schema": "labeler.gold/1", "group": "g", "doc_id": "d", "lang": "en",
                       "text": "Ana Ruiz spoke.", "entities": [], "concepts": []}])
    def check(records):
        path = tmp_path / f"case{next(examples)}.jsonl"
        path.write_text("\n".join(json.dumps(record) for record in records) + "\n", encoding="utf-8")
        before = count(session, Document)
        assert_clean(run_import(database_url, path), [path], session, before, outcomes)

    outcomes = {"imported": 0, "refused": 0}
    check()
    assert outcomes["refused"] >= 5 and outcomes["imported"] >= 2, outcomes


def test_group_manifests_of_any_shape_import_or_refuse_cleanly(database_url, session, tmp_path):
    examples = iter(range(10**6))
    manifests = st.one_of(
        JSON_VALUES,
        st.fixed_dictionaries({"documents": st.one_of(JSON_VALUES, st.dictionaries(
            st.sampled_from(["en.txt", "de.txt", "missing.txt"]), JSON_VALUES, max_size=2))},
            optional={"name": JSON_VALUES}),
        st.fixed_dictionaries({"documents": st.fixed_dictionaries({"en.txt": st.fixed_dictionaries(
            {}, optional={"lang": JSON_VALUES, "role": JSON_VALUES, "title": JSON_VALUES})})}),
    )

    @settings(max_examples=30, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(manifest=manifests)
    def check(manifest):
        folder = tmp_path / f"case{next(examples)}"
        folder.mkdir()
        (folder / "en.txt").write_text(GOOD_TEXT, encoding="utf-8")
        (folder / "group.json").write_text(json.dumps(manifest), encoding="utf-8")
        before = count(session, Document)
        assert_clean(run_import(database_url, folder), [folder], session, before, outcomes)

    outcomes = {"imported": 0, "refused": 0}
    check()
    assert outcomes["refused"] >= 5 and outcomes["imported"] >= 2, outcomes


@pytest.mark.parametrize("manifest, problem", [
    ({"documents": {"en.txt": None}}, "'en.txt': expected"),
    ({"documents": {"en.txt": ["en"]}}, "'en.txt': expected"),
    ({"documents": {"en.txt": {"lang": 7, "title": ["x"]}}}, "lang, title must be text"),
])
def test_a_group_manifest_of_the_wrong_shape_is_named(database_url, session, tmp_path, manifest, problem):
    folder = tmp_path / "g"
    folder.mkdir()
    (folder / "en.txt").write_text(GOOD_TEXT, encoding="utf-8")
    (folder / "group.json").write_text(json.dumps(manifest), encoding="utf-8")
    result = run_import(database_url, folder)
    assert result.exit_code == 1 and f"{folder / 'group.json'}: " in result.output and problem in result.output
    assert count(session, Document) == 0


def test_a_gold_record_whose_concepts_are_not_a_list_is_named(database_url, session, tmp_path):
    path = tmp_path / "gold.jsonl"
    record = {"schema": "labeler.gold/1", "group": "g", "doc_id": "d", "lang": "en", "text": "Ana Ruiz spoke.",
              "concepts": 1}
    path.write_text(json.dumps(record) + "\n", encoding="utf-8")
    result = run_import(database_url, path)
    assert result.exit_code == 1 and f"{path}, line 1: concepts must be a list" in result.output
    assert count(session, Document) == 0


@pytest.mark.parametrize("name, data, problem", [
    ("empty", b"", "empty"),
    ("only a BOM", b"\xef\xbb\xbf", "empty"),
    ("only blank lines", b"\r\n \n\t\n", "empty"),
    ("UTF-16", "The bridge opened.".encode("utf-16"), "not UTF-8"),
    ("Latin-1", "Caf\u00e9 opened.".encode("latin-1"), "not UTF-8"),
    ("NUL byte", b"The bridge\x00 opened.", "NUL"),
])
def test_bad_text_files_are_named_and_nothing_is_imported(database_url, session, tmp_path, name, data, problem):
    good = tmp_path / "good"
    good.mkdir()
    (good / "en.txt").write_text(GOOD_TEXT, encoding="utf-8")
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "de.txt").write_bytes(data)
    result = run_import(database_url, good, bad)
    assert result.exit_code == 1
    assert f"{bad / 'de.txt'}" in result.output and problem in result.output
    assert count(session, Document) == 0


@pytest.mark.parametrize("name, data, expected", [
    ("CRLF", b"First line.\r\nSecond line.\r\n", "First line.\nSecond line.\n"),
    ("BOM and CRLF", b"\xef\xbb\xbfFirst line.\r\nSecond line.", "First line.\nSecond line."),
    ("old Mac CR", b"First line.\rSecond line.", "First line.\nSecond line."),
    ("decomposed accents", "Cafe\u0301 opened.".encode(), "Caf\u00e9 opened."),
    ("a huge line", ("word " * 200_000).encode(), ("word " * 200_000).rstrip() + " "),
])
def test_odd_but_valid_text_files_import_normalised(database_url, session, tmp_path, name, data, expected):
    folder = tmp_path / "g"
    folder.mkdir()
    (folder / "en.txt").write_bytes(data)
    (folder / "group.json").write_text('{"documents": {"en.txt": {"lang": "en"}}}')
    result = run_import(database_url, folder)
    assert result.exit_code == 0, result.output
    (document,) = session.exec(select(Document)).all()
    assert document.text == expected
    assert session.exec(select(Group)).one().key == "g"
