"""GuideCode's NCCI format (desktop.core.ncci.reader, docs/ncci.md): a good folder reads and round-trips;
every kind of mistake is refused with exactly its located problem (file:line: entry: what is wrong); files
are bounded (size limit, links, FIFOs refused before opening); the built-in tables load and cite their
sources. Rows in the made-up folders are not claims about CMS's tables."""

from __future__ import annotations

import os
import threading
from datetime import date
from pathlib import Path

import pytest

from desktop.core.data import load_builtin
from desktop.core.ncci import reader
from desktop.core.ncci.data import merge_ncci, read_pack_ncci
from desktop.core.ncci.reader import parse_ncci, read_ncci_dir

TABLES = """\
tables:
  - kind: practitioner
    table: ptp
    version: "30.2"
    quarter: 2024Q3
    source: X-NCCI-PTP-302
    file: ptp.csv
    rows: {ptp_rows}
  - kind: practitioner
    table: mue
    version: "2024Q3"
    quarter: 2024Q3
    source: X-NCCI-MUE-2024Q3
    file: mue.csv
    rows: {mue_rows}
"""
PTP = """\
column_1,column_2,effective,deletion,modifier_indicator,rationale
64449,77002,2015-01-01,,1,Misuse of Column Two code with Column One code
64405,77002,,2009-12-31,1,CPT Manual or CMS manual coding instruction
77002,77003,,,1,Mutually exclusive procedures
"""
MUE = """\
code,value,mai,rationale,effective
77003,1,3,CMS Policy,2024-07-01
64483,1,2,Anatomic Consideration,2024-07-01
"""
SOURCES = {"X-NCCI-PTP-302", "X-NCCI-MUE-2024Q3"}


def files(ptp: str = PTP, mue: str = MUE, tables: str | None = None, **extra: bytes) -> dict[str, bytes]:
    ptp_rows = max(ptp.count("\n") - 1, 0)
    mue_rows = max(mue.count("\n") - 1, 0)
    text = tables if tables is not None else TABLES.format(ptp_rows=ptp_rows, mue_rows=mue_rows)
    out = {"tables.yaml": text.encode(), "ptp.csv": ptp.encode(), "mue.csv": mue.encode()}
    out.update(extra)
    return out


def problems_of(contents: dict[str, bytes]) -> list[str]:
    data, problems = parse_ncci(contents, sources=SOURCES)
    assert (data is None) == bool(problems)
    return [str(p) for p in problems]


def write_folder(folder: Path, contents: dict[str, bytes]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, raw in contents.items():
        (folder / name).write_bytes(raw)
    return folder


# ---------------------------------------------------------------------------------------------------------
# Good data


def test_a_good_folder_reads_with_its_versions_and_rows(tmp_path: Path) -> None:
    data, problems = read_ncci_dir(write_folder(tmp_path / "ncci", files()), sources=SOURCES, origin="Pack A")
    assert problems == []
    assert data is not None
    assert [v.label for v in data.versions] == [
        "NCCI PTP practitioner v30.2 (2024-07-01 to 2024-09-30)",
        "NCCI MUE practitioner 2024Q3 (2024-07-01 to 2024-09-30)"]
    assert {v.origin for v in data.versions} == {"Pack A"}
    t = data.for_date("practitioner", date(2024, 8, 1)).tables
    e = t.pair("77002", "64449", date(2024, 8, 1))
    assert e is not None and (e.column_1, e.column_2, e.modifier_indicator) == ("64449", "77002", 1)
    assert str(e.location) == "ncci/ptp.csv:2"
    assert t.pair("64449", "77002", date(2014, 12, 31)) is None
    mue = t.mue("77003")
    assert mue is not None and (mue.value, mue.mai, mue.rationale) == (1, 3, "CMS Policy")


def test_writing_and_reading_back_gives_the_same_rows(tmp_path: Path) -> None:
    data, _ = parse_ncci(files(), sources=SOURCES)
    assert data is not None
    ptp, mue = data.ptp_tables[0], data.mue_tables[0]
    text = reader.ptp_csv(ptp.edits)
    assert text.splitlines()[0] == ",".join(reader.PTP_COLUMNS)
    again, problems = parse_ncci(files(ptp=text, mue=reader.mue_csv(mue.by_code.values())), sources=SOURCES)
    assert problems == [] and again is not None
    key = lambda e: (e.column_1, e.column_2, e.effective, e.deletion, e.modifier_indicator, e.rationale)  # noqa: E731
    assert sorted(map(key, again.ptp_tables[0].edits), key=str) == sorted(map(key, ptp.edits), key=str)
    assert reader.tables_yaml(data.versions, "a comment").startswith("# a comment\ntables:\n  - kind: practitioner")


def test_pack_files_are_read_under_the_pack_tag_and_merge_over_the_built_in_tables() -> None:
    pack = {f"ncci/{k}": v for k, v in files().items()} | {"pack.yaml": b"name: x"}
    data, problems = read_pack_ncci(pack, "packs/office", SOURCES, "Office NCCI")
    assert problems == [] and data is not None
    builtin = load_builtin().ncci
    merged = merge_ncci(builtin, [data])
    t = merged.for_date("practitioner", date(2024, 8, 1)).tables
    assert t.ptp is not None and t.ptp.version.origin == "Office NCCI"
    assert t.pair("64530", "77002", date(2024, 8, 1)) is None  # the pack's table replaced the built-in one
    bad = {f"ncci/{k}": v for k, v in files(ptp=PTP.replace("64449,77002", "64449,7700")).items()}
    assert [str(p) for p in read_pack_ncci(bad, "packs/office", SOURCES, "x")[1]] == [
        "packs/office/ncci/ptp.csv:2: 64449/7700: column_2 '7700' is not a CPT/HCPCS code (5 characters, e.g. "
        "64405, 0213T)"]


# ---------------------------------------------------------------------------------------------------------
# tables.yaml


def test_tables_yaml_problems_are_located() -> None:
    text = """\
tables:
  - kind: practitioners
    table: ptp
    version: 30.2
    quarter: 2024-Q3
    source: X-NOWHERE
    file: sub/ptp.csv
    rows: many
    colour: red
"""
    assert problems_of(files(tables=text)) == [
        "ncci/tables.yaml:9: table 1: unknown key 'colour'",
        "ncci/tables.yaml:2: table 1: 'kind' must be one of practitioner, outpatient_hospital; got 'practitioners'",
        "ncci/tables.yaml:4: table 1: 'version' must be text, got the number 30.2 (quote it: \"30.2\")",
        "ncci/tables.yaml:5: table 1: 'quarter' must be written like 2024Q3 (year, Q, 1-4); got '2024-Q3'",
        "ncci/tables.yaml:6: table 1: source 'X-NOWHERE' is not in sources.yaml",
        "ncci/tables.yaml:7: table 1: 'file' must be the name of a .csv file beside tables.yaml; got 'sub/ptp.csv'",
        "ncci/tables.yaml:8: table 1: 'rows' must be a whole number of rows, got 'many'",
    ]
    only_ptp = TABLES.format(ptp_rows=3, mue_rows=2).split("  - kind: practitioner\n    table: mue")[0]
    assert problems_of(files(tables=only_ptp)) == ["ncci/mue.csv:1: file is not listed in tables.yaml"]


def test_tables_yaml_must_exist_and_be_yaml_and_list_each_table_once() -> None:
    contents = files()
    del contents["tables.yaml"]
    assert problems_of(contents) == ["ncci/tables.yaml:1: file is missing (it lists the NCCI tables)"]
    assert problems_of(files(tables="tables: [\n")) == [
        "ncci/tables.yaml:2: not valid YAML: did not find expected node content (while parsing a flow node)"]
    assert problems_of(files(tables="- kind: practitioner\n")) == [
        "ncci/tables.yaml:1: tables.yaml must be a mapping with the key 'tables'"]
    twice = TABLES.format(ptp_rows=3, mue_rows=2).replace("table: mue", "table: ptp").replace("mue.csv", "ptp.csv")
    assert problems_of(files(tables=twice)) == [
        "ncci/tables.yaml:15: a second practitioner ptp table for 2024Q3 (the first is at line 8)",
        "ncci/tables.yaml:15: ptp.csv is listed twice",
        "ncci/tables.yaml:15: ptp.csv has 3 rows but tables.yaml says 2 (a cut or edited file?)",
    ]


def test_scope_is_checked_and_every_row_must_be_inside_it() -> None:
    scoped = TABLES.format(ptp_rows=3, mue_rows=2).replace(
        "    rows: 3\n",
        '    rows: 3\n    scope:\n      codes: ["64449", "64405", "77002"]\n      paired_with: ["77002"]\n'
    ).replace("    rows: 2\n", '    rows: 2\n    scope:\n      codes: ["77003"]\n')
    assert problems_of(files(tables=scoped)) == [
        "ncci/ptp.csv:4: 77002/77003: the pair is outside the table's 'scope' in tables.yaml",
        "ncci/mue.csv:3: 64483: the code is outside the table's 'scope' in tables.yaml",
    ]
    bad = TABLES.format(ptp_rows=3, mue_rows=2).replace(
        "    rows: 3\n",
        '    rows: 3\n    scope:\n      codes: [64449]\n      paired_with: ["77002"]\n      other: 1\n'
    ).replace("    rows: 2\n", '    rows: 2\n    scope:\n      codes: ["77003"]\n      paired_with: ["77003"]\n')
    assert problems_of(files(tables=bad)) == [
        "ncci/tables.yaml:9: table 1: unknown key 'other' in 'scope'",
        "ncci/tables.yaml:9: table 1: 'scope: codes' holds the number 64449, not a quoted CPT/HCPCS code",
        "ncci/tables.yaml:20: table 2: 'scope: paired_with' is only for a PTP table",
    ]


def test_a_cut_file_is_caught_by_its_row_count() -> None:
    cut = PTP.rsplit("\n", 2)[0] + "\n"  # the last row lost at a line end
    assert problems_of(files(ptp=cut, tables=TABLES.format(ptp_rows=3, mue_rows=2))) == [
        "ncci/tables.yaml:8: ptp.csv has 2 rows but tables.yaml says 3 (a cut or edited file?)"]


# ---------------------------------------------------------------------------------------------------------
# The CSV files


def test_ptp_row_problems_are_located() -> None:
    ptp = """\
column_1,column_2,effective,deletion,modifier_indicator,rationale
6444,77002,,,1,x
77002,77002,,,1,x
64449,77002,2015-13-01,,1,x
64449,77003,2015-01-01,20091231,1,x
64449,77012,2015-01-01,2009-12-31,1,x
64449,77021,2024-10-01,,1,x
64449,76942,,,2,x
64449,76000,,,1
"""
    assert problems_of(files(ptp=ptp, tables=TABLES.format(ptp_rows=8, mue_rows=2))) == [
        "ncci/ptp.csv:2: 6444/77002: column_1 '6444' is not a CPT/HCPCS code (5 characters, e.g. 64405, 0213T)",
        "ncci/ptp.csv:3: 77002/77002: column_1 and column_2 are the same code",
        "ncci/ptp.csv:4: 64449/77002: effective must be a date written YYYY-MM-DD or empty (start not known); "
        "got '2015-13-01'",
        "ncci/ptp.csv:5: 64449/77003: deletion must be a date written YYYY-MM-DD or empty (not deleted); got "
        "'20091231'",
        "ncci/ptp.csv:6: 64449/77012: deletion 2009-12-31 is before effective 2015-01-01",
        "ncci/ptp.csv:7: 64449/77021: effective 2024-10-01 is after the end of the table's quarter (2024-09-30); "
        "such an edit belongs to a later table",
        "ncci/ptp.csv:8: 64449/76942: modifier_indicator must be 0, 1 or 9; got '2'",
        "ncci/ptp.csv:9: expected 6 fields (column_1,column_2,effective,deletion,modifier_indicator,rationale), "
        "found 5",
    ]


def test_ptp_duplicates_are_refused() -> None:
    ptp = """\
column_1,column_2,effective,deletion,modifier_indicator,rationale
64449,77002,2015-01-01,,1,x
64449,77002,2019-01-01,,1,y
62273,76000,,1998-12-31,1,a
62273,76000,,,1,b
62273,76000,,1998-12-31,1,c
"""
    assert problems_of(files(ptp=ptp, tables=TABLES.format(ptp_rows=5, mue_rows=2))) == [
        "ncci/ptp.csv:3: 64449/77002: repeats the edit at line 2 (their dates overlap)",
        "ncci/ptp.csv:6: 62273/76000: repeats the edit at line 4 (same deletion date and a start that is not "
        "known)",
    ]


def test_header_empty_lines_and_csv_syntax() -> None:
    assert problems_of(files(ptp="column_1,column_2,effective,deletion,modifier,rationale\n")) == [
        "ncci/ptp.csv:1: the first line must be the header column_1,column_2,effective,deletion,"
        "modifier_indicator,rationale; got 'column_1,column_2,effective,deletion,modifier,rationale'"]
    assert problems_of(files(ptp="")) == [
        "ncci/ptp.csv:1: the file is empty; it must start with the header column_1,column_2,effective,deletion,"
        "modifier_indicator,rationale"]
    blank = PTP.replace("\n64405", "\n\n64405")
    assert problems_of(files(ptp=blank, tables=TABLES.format(ptp_rows=3, mue_rows=2))) == [
        "ncci/ptp.csv:3: empty line; remove it"]
    quote = PTP + '64480,77003,,,1,"unfinished\n'
    assert problems_of(files(ptp=quote, tables=TABLES.format(ptp_rows=4, mue_rows=2))) == [
        "ncci/ptp.csv:5: not valid CSV (in the record that starts here): unexpected end of data"]


def test_mue_row_problems_are_located() -> None:
    mue = """\
code,value,mai,rationale,effective
77003,one,3,CMS Policy,2024-07-01
77002,1,4,CMS Policy,2024-07-01
77012,1,3,CMS Policy,
77021,1,3,CMS Policy,2024-10-01
77003,2,3,CMS Policy,2024-07-01
"""
    assert problems_of(files(mue=mue, tables=TABLES.format(ptp_rows=3, mue_rows=5))) == [
        "ncci/mue.csv:2: 77003: value must be a whole number of units (0 or more); got 'one'",
        "ncci/mue.csv:3: 77002: mai must be 1 (line edit), 2 (date of service, policy) or 3 (date of service, "
        "clinical); got '4'",
        "ncci/mue.csv:4: 77012: effective must be a date written YYYY-MM-DD (the first day of the quarter whose "
        "table gave the value); got ''",
        "ncci/mue.csv:5: 77021: effective 2024-10-01 is after the end of the table's quarter (2024-09-30)",
    ]
    dup = MUE + "77003,2,3,CMS Policy,2024-07-01\n"
    assert problems_of(files(mue=dup, tables=TABLES.format(ptp_rows=3, mue_rows=3))) == [
        "ncci/mue.csv:4: 77003: code 77003 has a second MUE (first at line 2)"]


def test_encoding_and_binary_data() -> None:
    assert problems_of(files(ptp=PTP + "64480,77003,,,1,caf\xe9\n", tables=TABLES.format(ptp_rows=4, mue_rows=2))
                       | {"ptp.csv": (PTP + "64480,77003,,,1,caf").encode() + b"\xe9\n"}) == [
        "ncci/ptp.csv:5: file is not UTF-8 text (invalid continuation byte at byte 274)"]
    assert problems_of(files() | {"mue.csv": MUE.encode() + b"\x00\n"}) == [
        "ncci/mue.csv:4: file holds binary data (a NUL byte), not text"]


def test_the_problems_of_one_garbled_file_are_capped() -> None:
    garbled = "column_1,column_2,effective,deletion,modifier_indicator,rationale\n" + "x,y,z,w,v,u\n" * 500
    problems = problems_of(files(ptp=garbled, tables=TABLES.format(ptp_rows=500, mue_rows=2)))
    assert len(problems) == reader.MAX_PROBLEMS_PER_FILE
    assert problems[-1].endswith(f"(stopped after {reader.MAX_PROBLEMS_PER_FILE} problems in this file)")


# ---------------------------------------------------------------------------------------------------------
# Bounded reading


def test_a_file_over_the_size_limit_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reader, "MAX_CSV_BYTES", 200)  # the PTP file is 255 bytes, the MUE file 111
    _, problems = read_ncci_dir(write_folder(tmp_path / "ncci", files()), sources=SOURCES)
    assert [str(p) for p in problems] == ["ncci/ptp.csv:1: file is larger than 200 bytes (255 bytes); refused"]


def test_links_are_refused(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "ncci", files())
    (tmp_path / "elsewhere.csv").write_bytes(MUE.encode())
    (folder / "mue.csv").unlink()
    try:
        os.symlink(tmp_path / "elsewhere.csv", folder / "mue.csv")
    except (OSError, NotImplementedError):
        pytest.skip("this system cannot make symbolic links")
    _, problems = read_ncci_dir(folder, sources=SOURCES)
    assert [str(p) for p in problems] == ["ncci/mue.csv:1: is a link; only plain files are read"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
def test_a_fifo_is_refused_before_it_is_opened(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "ncci", files())
    (folder / "mue.csv").unlink()
    os.mkfifo(folder / "mue.csv")
    result: list[object] = []
    worker = threading.Thread(target=lambda: result.append(read_ncci_dir(folder, sources=SOURCES)), daemon=True)
    worker.start()
    worker.join(timeout=20)
    assert not worker.is_alive(), "reading blocked on the FIFO"
    _, problems = result[0]  # type: ignore[misc]
    assert [str(p) for p in problems] == ["ncci/mue.csv:1: is a FIFO, device or socket, not a regular file; refused"]


def test_the_limits_are_the_documented_ones() -> None:
    doc = (Path(__file__).resolve().parents[1] / "docs" / "ncci.md").read_text(encoding="utf-8")
    assert f"{reader.MAX_CSV_BYTES // (1024 * 1024)} MB" in doc
    assert f"{reader.MAX_TABLES_BYTES // 1024} KB" in doc


# ---------------------------------------------------------------------------------------------------------
# The built-in tables


def test_the_built_in_tables_load_and_cite_known_sources(catalog) -> None:  # type: ignore[no-untyped-def]
    data = load_builtin().ncci
    assert load_builtin().ncci is data  # cached
    assert [(v.kind, v.table, v.version, v.quarter, v.source) for v in data.versions] == [
        ("practitioner", "ptp", "30.2", "2024Q3", "X-NCCI-PTP-302"),
        ("practitioner", "mue", "2024Q3", "2024Q3", "X-NCCI-MUE-2024Q3")]
    assert all(v.source in catalog.sources for v in data.versions)
    assert "X-NCCI-PM-IX" in catalog.sources
    assert not any(v.kind == "outpatient_hospital" for v in data.versions)
    t = data.for_date("practitioner", date(2024, 8, 1)).tables
    # CMS NCCI PTP practitioner v30.2 (2024-07-01): guidance codes with each other, indicator 1
    for c1, c2 in (("77002", "77003"), ("76942", "77002"), ("77012", "77002"), ("77021", "77012")):
        e = t.pair(c2, c1, date(2024, 8, 1))
        assert e is not None and (e.column_1, e.column_2, e.modifier_indicator) == (c1, c2, 1)
        assert e.rationale == "Mutually exclusive procedures"
    # CMS NCCI MUE practitioner 2024-07-01: one unit of each guidance code per day, clinical
    for code in ("76942", "77002", "77003", "77012", "77021"):
        mue = t.mue(code)
        assert mue is not None and (mue.value, mue.mai) == (1, 3)
    every = {c for tbl in data.ptp_tables for e in tbl.edits for c in (e.column_1, e.column_2)}
    assert every <= set(catalog.by_code)
    # what the extract covers: pairs with an imaging code; not procedure pairs, nor codes added after it
    assert t.knows_pair("64449", "77002") and t.knows_pair("62321", "77003")
    assert not t.knows_pair("62321", "62323")
    assert t.knows_code("27370") and t.mue("27370") is None  # CMS's 2024 table lists no MUE for it
    new_codes = set(catalog.by_code) - set(t.ptp.version.scope_codes or ())  # type: ignore[union-attr]
    assert all(not t.knows_pair(c, "77002") and not t.knows_code(c) for c in new_codes)


def test_nothing_outside_the_test_names_the_shared_folder() -> None:
    """The NCCI files name neither the shared extract's folder nor a machine path; only
    tests/test_ncci_shared_extract.py reads the extract, on purpose."""
    root = Path(__file__).resolve().parents[1]
    mine = [*(root / "desktop" / "core" / "ncci").glob("*.py"), root / "desktop" / "commands" / "import_ncci.py",
            *(root / "resources" / "data" / "ncci").iterdir(), root / "docs" / "ncci.md",
            root / "scripts" / "ncci_from_extract.py", *(root / "tests").glob("test_ncci_*.py"),
            *(root / "tests" / "fixtures" / "ncci").rglob("*")]
    offenders = []
    for path in mine:
        if path.is_file() and path.name != "test_ncci_shared_extract.py" and path.suffix != ".zip":
            text = path.read_text(encoding="utf-8", errors="replace")
            if any(needle in text for needle in ("../" + "shared", "/" + "work/")):
                offenders.append(str(path.relative_to(root)))
    assert offenders == []
