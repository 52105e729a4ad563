"""TMX and XLIFF translation memories: one group each, its units as confirmed rows; bad files refused."""

import pytest
from click.testing import CliRunner
from sqlmodel import select

from labeler.alignment import current_documents
from labeler.cli import main
from labeler.models import AlignmentMember, AlignmentRow, Group, Project, Segment

TMX = """<?xml version="1.0" encoding="UTF-8"?>
<tmx version="1.4">
  <header srclang="en" datatype="plaintext" segtype="sentence" adminlang="en" o-tmf="none"
          creationtool="tests" creationtoolversion="1"/>
  <body>
    <tu><tuv xml:lang="en"><seg>The harbour bridge opened on Saturday.</seg></tuv>
        <tuv xml:lang="de"><seg>Die Hafenbrücke wurde am Samstag eröffnet.</seg></tuv>
        <tuv xml:lang="fr"><seg>Le pont du port a ouvert samedi.</seg></tuv></tu>
    <tu><tuv xml:lang="en"><seg>It cost 212 million
        euros.</seg></tuv>
        <tuv xml:lang="de"><seg>Sie kostete 212 Millionen Euro.</seg></tuv></tu>
    <tu><tuv xml:lang="en"><seg>Trams start in March.</seg></tuv>
        <tuv xml:lang="de"><seg>Straßenbahnen fahren ab März.</seg></tuv>
        <tuv xml:lang="fr"><seg>Les trams partent en mars.</seg></tuv></tu>
  </body>
</tmx>
"""

XLIFF = """<?xml version="1.0" encoding="UTF-8"?>
<xliff version="1.2" xmlns="urn:oasis:names:tc:xliff:document:1.2">
  <file original="bridge.txt" source-language="en" target-language="es" datatype="plaintext">
    <body>
      <trans-unit id="1"><source>The harbour bridge opened on Saturday.</source>
        <target>El puente del puerto se inauguró el sábado.</target></trans-unit>
      <trans-unit id="2"><source>It cost 212 million euros.</source><target/></trans-unit>
      <trans-unit id="3"><source>Trams start in March.</source><target>Los tranvías empiezan en marzo.</target></trans-unit>
    </body>
  </file>
</xliff>
"""


def cli(database_url, *args):
    return CliRunner().invoke(main, [*map(str, args), "--db", database_url])


def layout(session, group):
    """Each row as {doc_id: [paragraph texts]}, in order."""
    documents = {d.id: d for d in current_documents(session, group.id)}
    rows = []
    for row in session.exec(select(AlignmentRow).where(AlignmentRow.group_id == group.id).order_by(AlignmentRow.position)):
        cells = {}
        for segment in session.exec(select(Segment).join(AlignmentMember, AlignmentMember.segment_id == Segment.id)
                                    .where(AlignmentMember.row_id == row.id)):
            document = documents[segment.document_id]
            cells.setdefault(document.origin, []).append(document.text[segment.char_start:segment.char_end])
        rows.append((row.status, cells))
    return rows


def test_a_tmx_file_is_a_group_with_a_document_per_language_and_its_units_as_rows(database_url, session, tmp_path):
    path = tmp_path / "harbour.tmx"
    path.write_text(TMX, encoding="utf-8")
    result = cli(database_url, "import", path, "--project", "TM")
    assert result.exit_code == 0, result.output
    group = session.exec(select(Group)).one()
    assert group.key == "harbour"
    documents = current_documents(session, group.id)
    assert [(d.origin, d.lang, d.role) for d in documents] == [("en", "en", "source"), ("de", "de", "translation"),
                                                                ("fr", "fr", "translation")]
    assert documents[0].text.split("\n")[1] == "It cost 212 million euros."  # the newline inside became a space
    assert layout(session, group) == [
        ("confirmed", {"en": ["The harbour bridge opened on Saturday."], "de": ["Die Hafenbrücke wurde am Samstag eröffnet."],
                       "fr": ["Le pont du port a ouvert samedi."]}),
        ("confirmed", {"en": ["It cost 212 million euros."], "de": ["Sie kostete 212 Millionen Euro."]}),
        ("confirmed", {"en": ["Trams start in March."], "de": ["Straßenbahnen fahren ab März."],
                       "fr": ["Les trams partent en mars."]}),
    ]
    again = cli(database_url, "import", path, "--project", "TM")
    assert again.exit_code == 0 and "0 new documents" in again.output


def test_an_xliff_file_gives_source_and_target_with_empty_cells_for_missing_targets(database_url, session, tmp_path):
    path = tmp_path / "bridge-es.xliff"
    path.write_text(XLIFF, encoding="utf-8")
    result = cli(database_url, "import", path, "--project", "TM")
    assert result.exit_code == 0, result.output
    group = session.exec(select(Group)).one()
    assert [(d.origin, d.lang, d.role) for d in current_documents(session, group.id)] == [
        ("source", "en", "source"), ("target", "es", "translation")]
    assert [cells for _, cells in layout(session, group)] == [
        {"source": ["The harbour bridge opened on Saturday."], "target": ["El puente del puerto se inauguró el sábado."]},
        {"source": ["It cost 212 million euros."]},
        {"source": ["Trams start in March."], "target": ["Los tranvías empiezan en marzo."]},
    ]


@pytest.mark.parametrize("name, content, problem", [
    ("broken.tmx", "<tmx><body><tu>", "not a readable TMX file"),
    ("empty.tmx", '<tmx version="1.4"><header srclang="en"/><body/></tmx>', "no translation unit with text"),
    ("nolang.xliff", XLIFF.replace(' source-language="en" target-language="es"', ""), "needs source-language and target-language"),
    ("broken.xlf", "<xliff>", "not a readable XLIFF file"),
])
def test_a_bad_translation_memory_is_refused_and_nothing_imported(database_url, session, tmp_path, name, content, problem):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    result = cli(database_url, "import", path, "--project", "TM")
    assert result.exit_code != 0 and problem in result.output and name in result.output, result.output
    assert session.exec(select(Project)).all() == []
